package infra_test

//lint:file-ignore SA1019 cxapi.SynthesisMessage is what assertions.Annotations returns in Go; its replacement has no Go binding yet

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/test/repo"
)

// twoGates synthesizes one stack holding two staging gates, named with
// prefixes a and b, and returns the template and the validation report's
// violations ("RULE: description" each) of the cloud assembly.
func twoGates(t *testing.T, a, b string) (*infra.Template, []string, awscdk.Stack) {
	t.Helper()
	dir := t.TempDir()
	dist, err := infratest.StandInDist(dir)
	if err != nil {
		t.Fatal(err)
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := journeys.Registry()
	if err != nil {
		t.Fatal(err)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "cdk.out"))})
	stack := awscdk.NewStack(app, jsii.String("two-gates"), nil)
	for id, prefix := range map[string]string{"GateA": a, "GateB": b} {
		_, err := infra.NewJourneyGate(stack, id, infra.Props{
			Environment: "staging", NamePrefix: prefix, DistDir: dist, Catalogue: reg,
			EnvironmentsFile: filepath.Join(root, infra.DefaultEnvironmentsFile),
			DeploymentGroups: []string{"alertmanager/alertmanager-staging"},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	infra.AddNagChecks(stack)
	asm := app.Synth(nil)
	data, err := json.Marshal(asm.GetStackArtifact(stack.ArtifactId()).Template())
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := infra.ParseTemplate(data)
	if err != nil {
		t.Fatal(err)
	}
	var violations []string
	report, err := os.ReadFile(filepath.Join(dir, "cdk.out", "validation-report.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if err == nil {
		var r struct {
			PluginReports []struct {
				Violations []struct {
					RuleName    string `json:"ruleName"`
					Description string `json:"description"`
				} `json:"violations"`
			} `json:"pluginReports"`
		}
		if err := json.Unmarshal(report, &r); err != nil {
			t.Fatalf("validation report: %v", err)
		}
		for _, p := range r.PluginReports {
			for _, v := range p.Violations {
				violations = append(violations, v.RuleName+": "+v.Description)
			}
		}
	}
	return tpl, violations, stack
}

// fixedNames are the names the template gives resources itself (not
// CloudFormation's generated ones): "TYPE NAME" -> logical IDs.
func fixedNames(tpl *infra.Template) map[string][]string {
	out := map[string][]string{}
	for id, r := range tpl.Resources {
		for _, prop := range []string{"FunctionName", "AlarmName", "DashboardName", "StateMachineName", "LogGroupName", "Name", "TopicName", "BucketName", "RoleName", "ScheduleName", "TableName", "GroupName"} {
			if r.Type == "AWS::Lambda::EventInvokeConfig" || r.Type == "AWS::Lambda::Permission" || r.Type == "AWS::Lambda::Url" {
				continue // they name their function, not themselves
			}
			if name, ok := r.Properties[prop].(string); ok {
				key := r.Type + " " + name
				out[key] = append(out[key], id)
			}
		}
	}
	return out
}

// TestTwoGatesShareAnAccount: two gates for one environment, with
// different name prefixes, in one stack: no name is used twice (CDK's own
// validation, E3019, and every fixed name of the template), the hook keeps
// CodeDeployHook_, and each alarm topic takes its own gate's alarms.
func TestTwoGatesShareAnAccount(t *testing.T) {
	tpl, violations, stack := twoGates(t, infra.DefaultNamePrefix, "team-b")
	for _, v := range violations {
		if strings.Contains(v, "E3019") {
			t.Errorf("CDK's validation report: %s", v)
		}
	}
	for name, ids := range fixedNames(tpl) {
		if len(ids) > 1 {
			sort.Strings(ids)
			t.Errorf("%s is the name of %v", name, ids)
		}
	}
	names := fixedNames(tpl)
	for _, want := range []string{
		"AWS::Lambda::Function CodeDeployHook_journeygate-staging", "AWS::Lambda::Function CodeDeployHook_team-b-staging",
		"AWS::CloudWatch::Dashboard journeygate-staging", "AWS::CloudWatch::Dashboard team-b-staging",
		"AWS::CloudWatch::Alarm team-b-staging-alert-to-notification", "AWS::CloudWatch::Alarm " + infra.UnreportedAlarmName("team-b", "staging"),
	} {
		if len(names[want]) != 1 {
			t.Errorf("no %s", want)
		}
	}
	for name := range names {
		if strings.HasPrefix(name, "AWS::CloudWatch::Alarm ") && !strings.HasPrefix(name, "AWS::CloudWatch::Alarm journeygate-staging-") && !strings.HasPrefix(name, "AWS::CloudWatch::Alarm team-b-staging-") {
			t.Errorf("%s carries neither prefix", name)
		}
	}
	// Each topic's CloudWatch statement names its own gate's alarms.
	var sources []string
	for _, id := range tpl.OfType("AWS::SNS::TopicPolicy") {
		for _, st := range policyStatements(tpl.Resources[id].Properties["PolicyDocument"]) {
			if cond, ok := st["Condition"].(map[string]any); ok && slices.Contains(list(principal(st, "Service")), "cloudwatch.amazonaws.com") {
				sources = append(sources, render(cond["ArnLike"].(map[string]any)["aws:SourceArn"]))
			}
		}
	}
	slices.Sort(sources)
	if want := []string{"arn:aws:cloudwatch:us-east-1:123456789012:alarm:journeygate-staging-*", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:team-b-staging-*"}; !slices.Equal(sources, want) {
		t.Errorf("alarm topics take alarms %v, want %v", sources, want)
	}
	ann := assertions.Annotations_FromStack(stack)
	for _, e := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("unsuppressed cdk-nag error at %s: %v", *e.Id, e.Entry.Data)
	}
}

// TestTwoGatesOfOnePrefixCollide shows the check above can fail: with one
// prefix, CDK's validation reports the duplicate names (E3019).
func TestTwoGatesOfOnePrefixCollide(t *testing.T) {
	tpl, violations, _ := twoGates(t, "journeygate", "journeygate")
	var e3019 []string
	for _, v := range violations {
		if strings.Contains(v, "E3019") {
			e3019 = append(e3019, v)
		}
	}
	if len(e3019) == 0 {
		t.Errorf("no E3019 in CDK's validation report for two gates of one prefix; violations: %v", violations)
	}
	dup := 0
	for _, ids := range fixedNames(tpl) {
		if len(ids) > 1 {
			dup++
		}
	}
	if dup == 0 {
		t.Error("no fixed name used twice by two gates of one prefix")
	}
	t.Logf("%d E3019 findings, %d duplicate names", len(e3019), dup)
}
