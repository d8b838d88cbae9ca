package infra_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/repo"
)

// The "lambda" synth variant's Lambda deployment group and its functions.
const lambdaGroup = "checkout/checkout-staging"

var lambdaFunctions = []string{"checkout-api", "checkout_worker"}

// roleStatements are the identity policy statements attached to each role
// (by logical ID): its AWS::IAM::Policy resources' and its inline ones.
func roleStatements(t *testing.T, s *infratest.Synth) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, id := range s.Template.OfType("AWS::IAM::Policy") {
		p := s.Template.Resources[id].Properties
		roles, _ := p["Roles"].([]any)
		for _, r := range roles {
			ref, _ := r.(map[string]any)["Ref"].(string)
			out[ref] = append(out[ref], policyStatements(p["PolicyDocument"])...)
		}
	}
	for _, id := range s.Template.OfType("AWS::IAM::Role") {
		inline, _ := s.Template.Resources[id].Properties["Policies"].([]any)
		for _, p := range inline {
			out[id] = append(out[id], policyStatements(p.(map[string]any)["PolicyDocument"])...)
		}
	}
	return out
}

// functionRole is the logical ID of function fn's role.
func functionRole(t *testing.T, s *infratest.Synth, fn string) string {
	t.Helper()
	role, _ := s.Template.Resources[idOf(t, s, fn)].Properties["Role"].(map[string]any)
	att, _ := role["Fn::GetAtt"].([]any)
	if len(att) != 2 {
		t.Fatalf("%s: role %v is not a role of the stack", fn, role)
	}
	return att[0].(string)
}

// allowing are the statements of sts that allow action.
func allowing(sts []map[string]any, action string) []map[string]any {
	var out []map[string]any
	for _, st := range sts {
		if st["Effect"] == "Allow" && slices.Contains(list(st["Action"]), action) {
			out = append(out, st)
		}
	}
	return out
}

// TestEcsHookRole: Amazon ECS, acting for this account only, may assume
// the role, which may invoke the hook function (unqualified, as the
// HookFunctionArn output names it) and do nothing else; both ARNs are
// outputs, and EcsLifecycleHook names them.
func TestEcsHookRole(t *testing.T) {
	for _, variant := range []string{"staging", "nogroups"} {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			stack := s.Stack
			role, _ := stack.Resolve(stack.GetLogicalId(s.Gate.EcsHookRole().Node().DefaultChild().(awscdk.CfnElement))).(string)
			if s.Template.Resources[role].Type != "AWS::IAM::Role" {
				t.Fatalf("EcsHookRole %s is a %s", role, s.Template.Resources[role].Type)
			}
			hook := idOf(t, s, infra.FunctionHook)

			trust := policyStatements(s.Template.Resources[role].Properties["AssumeRolePolicyDocument"])
			if len(trust) != 1 {
				t.Fatalf("trust policy has %d statements, want 1: %v", len(trust), trust)
			}
			st := trust[0]
			if st["Effect"] != "Allow" || st["Action"] != "sts:AssumeRole" || render(principal(st, "Service")) != "ecs.amazonaws.com" || principal(st, "AWS") != nil {
				t.Errorf("trust statement %v: want ecs.amazonaws.com alone to sts:AssumeRole", st)
			}
			cond, _ := st["Condition"].(map[string]any)
			eq, _ := cond["StringEquals"].(map[string]any)
			if got := render(eq["aws:SourceAccount"]); got != infra.PlaceholderAccount || len(cond) != 1 || len(eq) != 1 {
				t.Errorf("trust condition %v: want StringEquals aws:SourceAccount this account", cond)
			}

			sts := roleStatements(t, s)[role]
			if len(sts) != 1 {
				t.Fatalf("the ECS hook role has %d statements, want 1: %v", len(sts), sts)
			}
			if got, res := list(sts[0]["Action"]), render(sts[0]["Resource"]); sts[0]["Effect"] != "Allow" || !slices.Equal(got, []string{"lambda:InvokeFunction"}) || res != "${"+hook+".Arn}" {
				t.Errorf("the ECS hook role allows %v on %s, want lambda:InvokeFunction on the hook function (${%s.Arn}) only", got, res, hook)
			}
			// No other role of the stack is ECS's to assume.
			for _, id := range s.Template.OfType("AWS::IAM::Role") {
				if id == role {
					continue
				}
				for _, st := range policyStatements(s.Template.Resources[id].Properties["AssumeRolePolicyDocument"]) {
					if strings.Contains(render(principal(st, "Service")), "ecs.amazonaws.com") {
						t.Errorf("role %s trusts ECS too", id)
					}
				}
			}

			var tpl struct {
				Outputs map[string]struct{ Value any }
			}
			if err := json.Unmarshal(s.JSON, &tpl); err != nil {
				t.Fatal(err)
			}
			for o, want := range map[string]string{
				"JourneyGateEcsHookRoleArn":  "${" + role + ".Arn}",
				"JourneyGateHookFunctionArn": "${" + hook + ".Arn}",
			} {
				if got := render(tpl.Outputs[o].Value); got != want {
					t.Errorf("output %s = %s, want %s", o, got, want)
				}
			}

			h := s.Gate.EcsLifecycleHook(trigger.PostTestTrafficShift, trigger.PostProductionTrafficShift)
			b, _ := json.Marshal(stack.Resolve(h))
			var got map[string]any
			_ = json.Unmarshal(b, &got)
			if r := render(got["hookTargetArn"]); r != "${"+hook+".Arn}" {
				t.Errorf("EcsLifecycleHook hookTargetArn %s, want the hook function's", r)
			}
			if r := render(got["roleArn"]); r != "${"+role+".Arn}" {
				t.Errorf("EcsLifecycleHook roleArn %s, want EcsHookRole's", r)
			}
			if r := list(got["lifecycleStages"]); !slices.Equal(r, []string{"POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"}) {
				t.Errorf("EcsLifecycleHook lifecycleStages %v", r)
			}
		})
	}
}

// TestDeploymentTargetsGrant: with deployment groups configured, the hook
// (alone) may list a deployment's targets and read each, the two calls
// alone on * in one statement, as the Service Authorization Reference
// gives neither a resource type; without any group, neither call.
func TestDeploymentTargetsGrant(t *testing.T) {
	actions := []string{"codedeploy:GetDeploymentTarget", "codedeploy:ListDeploymentTargets"}
	for _, tc := range []struct {
		variant string
		granted bool
	}{{"staging", true}, {"lambda", true}, {"nogroups", false}} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			byRole := roleStatements(t, s)
			for _, fn := range infra.Functions {
				sts := byRole[functionRole(t, s, fn)]
				for _, a := range actions {
					found := allowing(sts, a)
					want := 0
					if tc.granted && fn == infra.FunctionHook {
						want = 1
					}
					if len(found) != want {
						t.Errorf("%s: %d statements allow %s, want %d", fn, len(found), a, want)
						continue
					}
					for _, st := range found {
						got := list(st["Action"])
						slices.Sort(got)
						if !slices.Equal(got, actions) || st["Resource"] != "*" || st["Condition"] != nil {
							t.Errorf("%s: %s granted as %v on %v, want %v alone on *", fn, a, got, st["Resource"], actions)
						}
					}
				}
			}
			// The calls of the other deployment group grants follow the
			// same switch.
			hook := byRole[functionRole(t, s, infra.FunctionHook)]
			for _, a := range []string{"codedeploy:GetDeployment", "codedeploy:PutLifecycleEventHookExecutionStatus"} {
				if got := len(allowing(hook, a)) > 0; got != tc.granted {
					t.Errorf("hook: %s granted %v, want %v", a, got, tc.granted)
				}
			}
		})
	}
}

// TestLambdaVersionsGrant: the runner may invoke the versions of exactly
// the functions LambdaDeploymentFunctions names, and no function at all
// without any; no other function may invoke them.
func TestLambdaVersionsGrant(t *testing.T) {
	for _, tc := range []struct {
		variant string
		want    []string
	}{{"staging", nil}, {"nogroups", nil}, {"lambda", lambdaFunctions}} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			byRole := roleStatements(t, s)
			var want []string
			for _, fn := range tc.want {
				want = append(want, "arn:"+infra.PlaceholderPartition+":lambda:"+infra.PlaceholderRegion+":"+infra.PlaceholderAccount+":function:"+fn+":*")
			}
			for _, fn := range infra.Functions {
				var got []string
				for _, st := range allowing(byRole[functionRole(t, s, fn)], "lambda:InvokeFunction") {
					if a := list(st["Action"]); len(a) != 1 {
						t.Errorf("%s: lambda:InvokeFunction granted with %v", fn, a)
					}
					res, ok := st["Resource"].([]any)
					if !ok {
						res = []any{st["Resource"]}
					}
					for _, r := range res {
						got = append(got, render(r))
					}
				}
				slices.Sort(got)
				if fn != infra.FunctionRunner {
					if len(got) > 0 {
						t.Errorf("%s may invoke %v", fn, got)
					}
					continue
				}
				if !slices.Equal(got, want) {
					t.Errorf("runner may invoke %v, want %v", got, want)
				}
			}
		})
	}
}

// TestLambdaDeploymentFunctionsErrors: each problem with the prop fails
// synth, naming the prop and the entry.
func TestLambdaDeploymentFunctionsErrors(t *testing.T) {
	_, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) {
		d.Props.LambdaDeploymentFunctions = map[string][]string{
			"alertmanager/alertmanager-staging": {"ok-fn", "arn:aws:lambda:us-east-1:123456789012:function:pay", "pay:live", "has space"},
			"checkout":                          {"checkout"},
			"shop/unlisted":                     {"shop"},
			"alertmanager/empty":                nil,
		}
	})
	if err == nil {
		t.Fatal("bad LambdaDeploymentFunctions synthesized")
	}
	for _, want := range []string{
		`LambdaDeploymentFunctions["alertmanager/alertmanager-staging"]: function "arn:aws:lambda:us-east-1:123456789012:function:pay" is not a function name: an ARN`,
		`LambdaDeploymentFunctions["alertmanager/alertmanager-staging"]: function "pay:live" is not a function name: a qualified name`,
		`LambdaDeploymentFunctions["alertmanager/alertmanager-staging"]: function "has space" is not a function name: want 1-64 of letters, digits, - and _`,
		`LambdaDeploymentFunctions: key "checkout" is not APPLICATION/GROUP`,
		`LambdaDeploymentFunctions: "shop/unlisted" is not one of DeploymentGroups [alertmanager/alertmanager-staging]`,
		`LambdaDeploymentFunctions["alertmanager/empty"] lists no function`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `"ok-fn"`) {
		t.Errorf("error %q names a good function", err)
	}
}

// TestEcsLifecycleHookInAService: EcsLifecycleHook is a lifecycle hook an
// ECS service's deploymentConfiguration takes as it is.
func TestEcsLifecycleHookInAService(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	deployments, err := infra.LoadConfig(root)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(deployments, func(d infra.Deployment) bool { return d.Props.Environment == "staging" })
	d := deployments[i]
	if d.Props.Catalogue, err = journeys.Registry(); err != nil {
		t.Fatal(err)
	}
	if d.Props.DistDir, err = infratest.StandInDist(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	stack, gate, err := infra.NewStack(awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())}), d)
	if err != nil {
		t.Fatal(err)
	}
	awsecs.NewCfnService(stack, jsii.String("Service"), &awsecs.CfnServiceProps{
		Cluster: jsii.String("shop"),
		DeploymentConfiguration: &awsecs.CfnService_DeploymentConfigurationProperty{
			Strategy:       jsii.String("BLUE_GREEN"),
			LifecycleHooks: []any{gate.EcsLifecycleHook(trigger.PostTestTrafficShift, trigger.PostProductionTrafficShift)},
		},
	})
	tpl := assertions.Template_FromStack(stack, nil)
	role, _ := stack.Resolve(stack.GetLogicalId(gate.EcsHookRole().Node().DefaultChild().(awscdk.CfnElement))).(string)
	var hook string
	for id, name := range gate.FunctionLogicalIDs() {
		if name == infra.FunctionHook {
			hook = id
		}
	}
	check(t, "the service's lifecycle hook", func() {
		tpl.HasResourceProperties(jsii.String("AWS::ECS::Service"), props(map[string]any{
			"DeploymentConfiguration": map[string]any{"LifecycleHooks": []any{map[string]any{
				"HookTargetArn":   map[string]any{"Fn::GetAtt": []any{hook, "Arn"}},
				"RoleArn":         map[string]any{"Fn::GetAtt": []any{role, "Arn"}},
				"LifecycleStages": []any{"POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"},
			}}},
		}))
	})
}
