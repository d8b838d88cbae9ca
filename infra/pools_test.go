package infra_test

//lint:file-ignore SA1019 cxapi.SynthesisMessage is what assertions.Annotations returns in Go; its replacement has no Go binding yet

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
)

// TestPoolSecretsAreGrantedToTheRunnerOnly: the secrets and parameters the
// pools reference are readable by the runner, each by name, and by no
// other function; the stack stays free of cdk-nag errors. The shipped
// configuration references none, so no statement is added there (see
// TestLeastPrivilege).
func TestPoolSecretsAreGrantedToTheRunnerOnly(t *testing.T) {
	const fullARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jg/tenant-b-AbCdEf"
	dir := t.TempDir()
	s, err := infratest.Synthesize(dir, "staging", func(d *infra.Deployment) {
		if err := infratest.WithPoolSecrets(d, dir, "staging"); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(s.JSON, &tpl); err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for id, name := range s.Gate.FunctionLogicalIDs() {
		roles[tpl.Resources[id].Properties["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)] = name
	}
	granted := map[string]map[string]string{} // function -> action -> resources JSON
	for _, r := range tpl.Resources {
		if r.Type != "AWS::IAM::Policy" {
			continue
		}
		for _, role := range r.Properties["Roles"].([]any) {
			fn := roles[role.(map[string]any)["Ref"].(string)]
			for _, st := range r.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				st := st.(map[string]any)
				res, _ := json.Marshal(st["Resource"])
				for _, a := range list(st["Action"]) {
					if strings.HasPrefix(a, "secretsmanager:") || strings.HasPrefix(a, "ssm:") {
						if granted[fn] == nil {
							granted[fn] = map[string]string{}
						}
						granted[fn][a] = string(res)
					}
				}
			}
		}
	}
	runner := granted[infra.FunctionRunner]
	if sm := runner["secretsmanager:GetSecretValue"]; !strings.Contains(sm, ":secret:jg/tenant-a-??????") || !strings.Contains(sm, fullARN+`"`) || strings.Contains(sm, `"*"`) {
		t.Errorf("runner: secretsmanager:GetSecretValue on %s, want jg/tenant-a-?????? and the full ARN only", sm)
	}
	if ps := runner["ssm:GetParameter"]; !strings.Contains(ps, ":parameter/journeygate/staging/tenant-c") || strings.Contains(ps, `"*"`) {
		t.Errorf("runner: ssm:GetParameter on %s, want the parameter only", ps)
	}
	if len(runner) != 2 {
		t.Errorf("runner: secret actions %v, want exactly GetSecretValue and GetParameter", runner)
	}
	// The browser runner runs journeys too, with the same grants.
	if browser := granted[infra.FunctionBrowserRunner]; !maps.Equal(browser, runner) {
		t.Errorf("browser runner: secret actions %v, want the runner's %v", browser, runner)
	}
	for fn, actions := range granted {
		if fn == infra.FunctionRunner || fn == infra.FunctionBrowserRunner {
			continue
		}
		for a, res := range actions {
			if a == "secretsmanager:GetSecretValue" && strings.Contains(res, "jg/tenant") {
				t.Errorf("%s may read the pools' secrets: %s on %s", fn, a, res)
			}
			if a == "ssm:GetParameter" {
				t.Errorf("%s may read parameters: %s", fn, res)
			}
		}
	}
	ann := assertions.Annotations_FromStack(s.Stack)
	for _, e := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("unsuppressed cdk-nag error at %s: %v", *e.Id, e.Entry.Data)
	}
}
