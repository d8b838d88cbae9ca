package awslocal

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
)

// CodeDeployTarget is the X-Amz-Target prefix of the CodeDeploy API.
const CodeDeployTarget = "CodeDeploy_20141006."

// Deployment is what GetDeployment answers for one deployment.
type Deployment struct {
	Application string
	Group       string
	// ComputePlatform is "Lambda" (the default), "Server" or "ECS".
	ComputePlatform string
	// Status is the deployment status; default "InProgress".
	Status string
	// ConfigName is the deployment configuration; default
	// "CodeDeployDefault.LambdaAllAtOnce".
	ConfigName string
	// For Lambda deployments: the function and alias whose traffic shifts
	// from CurrentVersion to TargetVersion. They make up the revision's
	// AppSpec, as CodeDeploy returns it.
	FunctionName   string
	Alias          string
	CurrentVersion string
	TargetVersion  string
	// AppSpec replaces the generated AppSpec content when not empty.
	AppSpec string
	// RevisionType is "AppSpecContent" (the default) or "String"; both carry
	// the AppSpec content.
	RevisionType string
	// HookExecutionIDs, when not empty, are the only lifecycle hook
	// execution IDs the deployment accepts reports for; others answer
	// InvalidLifecycleEventHookExecutionIdException.
	HookExecutionIDs []string
	// Stage is the lifecycle event in progress, which ListDeploymentTargets
	// and GetDeploymentTarget describe (earlier events Succeeded, later
	// ones Pending); default AfterAllowTraffic.
	Stage string
	// ECSCluster and ECSService name an ECS deployment's target
	// (ComputePlatform "ECS").
	ECSCluster, ECSService string
}

// HookReport is one accepted PutLifecycleEventHookExecutionStatus.
type HookReport struct {
	DeploymentID    string
	HookExecutionID string
	Status          string // "Succeeded" or "Failed"
}

// CodeDeploy is a local CodeDeploy endpoint.
type CodeDeploy struct {
	*endpoint
	deployments map[string]Deployment
	reports     []HookReport
}

// StartCodeDeploy starts a CodeDeploy endpoint on a free loopback port,
// stopped when t ends. It serves GetDeployment,
// PutLifecycleEventHookExecutionStatus, ListDeploymentTargets and
// GetDeploymentTarget (Lambda and ECS targets).
func StartCodeDeploy(t testing.TB) *CodeDeploy {
	t.Helper()
	cd := &CodeDeploy{deployments: map[string]Deployment{}}
	cd.endpoint = startEndpoint(t, CodeDeployTarget, map[string]operation{
		"GetDeployment":                        cd.getDeployment,
		"PutLifecycleEventHookExecutionStatus": cd.putHookStatus,
		"ListDeploymentTargets":                cd.listTargets,
		"GetDeploymentTarget":                  cd.getTarget,
	})
	return cd
}

// URL is the endpoint's base URL.
func (cd *CodeDeploy) URL() string { return cd.srv.URL }

// AddDeployment makes GetDeployment know deployment id.
func (cd *CodeDeploy) AddDeployment(id string, d Deployment) {
	cd.mu.Lock()
	defer cd.mu.Unlock()
	cd.deployments[id] = d
}

// Reports returns the accepted hook status reports, in order.
func (cd *CodeDeploy) Reports() []HookReport {
	cd.mu.Lock()
	defer cd.mu.Unlock()
	return append([]HookReport(nil), cd.reports...)
}

// Requests returns every call received, rejected ones included.
func (cd *CodeDeploy) Requests() []Request { return cd.log() }

// ThrottleNext makes the next n calls answer ThrottlingException (HTTP
// 400), an error code the SDK's standard retryer retries as a throttle.
func (cd *CodeDeploy) ThrottleNext(n int) { cd.failNext(n, "ThrottlingException", "Rate exceeded") }

// FailNext makes the next n calls answer the error code (HTTP 500 for
// InternalFailure, 503 for ServiceUnavailable, 400 otherwise).
func (cd *CodeDeploy) FailNext(n int, code, message string) { cd.failNext(n, code, message) }

// Config returns an aws.Config for this endpoint: region us-east-1, dummy
// static credentials, BaseEndpoint set.
func (cd *CodeDeploy) Config() aws.Config { return cd.awsConfig() }

// Client returns a real CodeDeploy client pointed at this endpoint.
func (cd *CodeDeploy) Client(optFns ...func(*codedeploy.Options)) *codedeploy.Client {
	return codedeploy.NewFromConfig(cd.awsConfig(), optFns...)
}

func (cd *CodeDeploy) getDeployment(body json.RawMessage) (any, *apiError) {
	var in struct {
		DeploymentID string `json:"deploymentId"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	if in.DeploymentID == "" {
		return nil, newError("DeploymentIdRequiredException", "Deployment ID is required")
	}
	d, ok := cd.deployments[in.DeploymentID]
	if !ok {
		return nil, newError("DeploymentDoesNotExistException", fmt.Sprintf("Deployment %s does not exist", in.DeploymentID))
	}
	return map[string]any{"deploymentInfo": deploymentInfo(in.DeploymentID, d)}, nil
}

func deploymentInfo(id string, d Deployment) map[string]any {
	platform := def(d.ComputePlatform, "Lambda")
	info := map[string]any{
		"applicationName":      d.Application,
		"deploymentGroupName":  d.Group,
		"deploymentId":         id,
		"computePlatform":      platform,
		"status":               def(d.Status, "InProgress"),
		"deploymentConfigName": def(d.ConfigName, "CodeDeployDefault.LambdaAllAtOnce"),
		"creator":              "user",
		"createTime":           float64(time.Now().Add(-time.Minute).Unix()),
	}
	appSpec := d.AppSpec
	if appSpec == "" && platform == "Lambda" {
		appSpec = lambdaAppSpec(d)
	}
	if appSpec != "" {
		content := map[string]any{"content": appSpec}
		if def(d.RevisionType, "AppSpecContent") == "String" {
			info["revision"] = map[string]any{"revisionType": "String", "string": content}
		} else {
			info["revision"] = map[string]any{"revisionType": "AppSpecContent", "appSpecContent": content}
		}
	}
	return info
}

// lambdaAppSpec renders the AppSpec of a Lambda deployment (JSON form).
func lambdaAppSpec(d Deployment) string {
	spec := map[string]any{
		"version": 0.0,
		"Resources": []any{map[string]any{
			def(d.FunctionName, "function"): map[string]any{
				"Type": "AWS::Lambda::Function",
				"Properties": map[string]any{
					"Name":           def(d.FunctionName, "function"),
					"Alias":          def(d.Alias, "live"),
					"CurrentVersion": d.CurrentVersion,
					"TargetVersion":  d.TargetVersion,
				},
			},
		}},
	}
	b, _ := json.Marshal(spec)
	return string(b)
}

func (cd *CodeDeploy) putHookStatus(body json.RawMessage) (any, *apiError) {
	var in struct {
		DeploymentID    string `json:"deploymentId"`
		HookExecutionID string `json:"lifecycleEventHookExecutionId"`
		Status          string `json:"status"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	if in.DeploymentID == "" {
		return nil, newError("DeploymentIdRequiredException", "Deployment ID is required")
	}
	d, ok := cd.deployments[in.DeploymentID]
	if !ok {
		return nil, newError("DeploymentDoesNotExistException", fmt.Sprintf("Deployment %s does not exist", in.DeploymentID))
	}
	if in.HookExecutionID == "" || (len(d.HookExecutionIDs) > 0 && !slices.Contains(d.HookExecutionIDs, in.HookExecutionID)) {
		return nil, newError("InvalidLifecycleEventHookExecutionIdException", fmt.Sprintf("Lifecycle event hook execution ID %q is not valid for deployment %s", in.HookExecutionID, in.DeploymentID))
	}
	if in.Status != "Succeeded" && in.Status != "Failed" {
		return nil, newError("InvalidLifecycleEventHookExecutionStatusException", fmt.Sprintf("Status %q is not valid: a hook reports Succeeded or Failed", in.Status))
	}
	for _, r := range cd.reports {
		if r.DeploymentID == in.DeploymentID && r.HookExecutionID == in.HookExecutionID {
			return nil, newError("LifecycleEventAlreadyCompletedException", fmt.Sprintf("Lifecycle event already completed: %s reported %s", in.HookExecutionID, r.Status))
		}
	}
	cd.reports = append(cd.reports, HookReport{DeploymentID: in.DeploymentID, HookExecutionID: in.HookExecutionID, Status: in.Status})
	return map[string]any{"lifecycleEventHookExecutionId": in.HookExecutionID}, nil
}

func def(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

// lifecycleEvents are the events of a Lambda and an ECS deployment's
// target, in order, as GetDeploymentTarget lists them.
var lifecycleEvents = map[string][]string{
	"Lambda": {"BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"},
	"ECS":    {"BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"},
}

// targetID names a deployment's one target as CodeDeploy does: the
// function and alias of a Lambda deployment, the cluster and service of an
// ECS one.
func targetID(d Deployment) string {
	if d.ComputePlatform == "ECS" {
		return def(d.ECSCluster, "cluster") + ":" + def(d.ECSService, "service")
	}
	return def(d.FunctionName, "function") + ":" + def(d.Alias, "live")
}

func (cd *CodeDeploy) deployment(body json.RawMessage, in any) (string, Deployment, *apiError) {
	if err := json.Unmarshal(body, in); err != nil {
		return "", Deployment{}, newError("SerializationException", err.Error())
	}
	var id struct {
		DeploymentID string `json:"deploymentId"`
	}
	_ = json.Unmarshal(body, &id)
	if id.DeploymentID == "" {
		return "", Deployment{}, newError("DeploymentIdRequiredException", "Deployment ID is required")
	}
	d, ok := cd.deployments[id.DeploymentID]
	if !ok {
		return "", Deployment{}, newError("DeploymentDoesNotExistException", fmt.Sprintf("Deployment %s does not exist", id.DeploymentID))
	}
	return id.DeploymentID, d, nil
}

func (cd *CodeDeploy) listTargets(body json.RawMessage) (any, *apiError) {
	var in struct{}
	_, d, aerr := cd.deployment(body, &in)
	if aerr != nil {
		return nil, aerr
	}
	if _, ok := lifecycleEvents[def(d.ComputePlatform, "Lambda")]; !ok {
		return map[string]any{"targetIds": []string{}}, nil
	}
	return map[string]any{"targetIds": []string{targetID(d)}}, nil
}

func (cd *CodeDeploy) getTarget(body json.RawMessage) (any, *apiError) {
	var in struct {
		TargetID string `json:"targetId"`
	}
	id, d, aerr := cd.deployment(body, &in)
	if aerr != nil {
		return nil, aerr
	}
	platform := def(d.ComputePlatform, "Lambda")
	names, ok := lifecycleEvents[platform]
	if !ok || in.TargetID != targetID(d) {
		return nil, newError("DeploymentTargetDoesNotExistException", fmt.Sprintf("Deployment target %q does not exist in deployment %s", in.TargetID, id))
	}
	stage := def(d.Stage, "AfterAllowTraffic")
	if !slices.Contains(names, stage) {
		return nil, newError("InvalidLifecycleEventHookExecutionIdException", fmt.Sprintf("test setup: %s deployments have no lifecycle event %q", platform, stage))
	}
	events := make([]map[string]any, len(names))
	status := "Succeeded"
	for i, n := range names {
		if n == stage {
			status = "InProgress"
		}
		events[i] = map[string]any{"lifecycleEventName": n, "status": status}
		if n == stage {
			status = "Pending"
		}
	}
	target := map[string]any{
		"deploymentId": id, "targetId": in.TargetID, "status": "InProgress",
		"lastUpdatedAt": float64(time.Now().Unix()), "lifecycleEvents": events,
	}
	if platform == "ECS" {
		target["targetArn"] = "arn:aws:ecs:us-east-1:123456789012:service/" + def(d.ECSCluster, "cluster") + "/" + def(d.ECSService, "service")
		return map[string]any{"deploymentTarget": map[string]any{"deploymentTargetType": "ECSTarget", "ecsTarget": target}}, nil
	}
	target["targetArn"] = "arn:aws:lambda:us-east-1:123456789012:function:" + def(d.FunctionName, "function")
	target["lambdaFunctionInfo"] = map[string]any{
		"functionName": def(d.FunctionName, "function"), "functionAlias": def(d.Alias, "live"),
		"currentVersion": d.CurrentVersion, "targetVersion": d.TargetVersion, "targetVersionWeight": 0,
	}
	return map[string]any{"deploymentTarget": map[string]any{"deploymentTargetType": "LambdaTarget", "lambdaTarget": target}}, nil
}
