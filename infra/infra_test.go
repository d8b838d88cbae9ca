package infra_test

//lint:file-ignore SA1019 cxapi.SynthesisMessage is what assertions.Annotations returns in Go; its replacement has no Go binding yet

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/aslcheck"
	"github.com/journeygate/journeygate/test/repo"
)

// synths caches one synthesis per variant: each takes a few seconds.
var synths sync.Map

type cached struct {
	once sync.Once
	s    *infratest.Synth
	err  error
}

func synth(t *testing.T, variant string) *infratest.Synth {
	t.Helper()
	v, _ := synths.LoadOrStore(variant, &cached{})
	c := v.(*cached)
	c.once.Do(func() {
		dir, err := os.MkdirTemp("", "journeygate-infra-test-")
		if err != nil {
			c.err = err
			return
		}
		env, adjust := "staging", func(*infra.Deployment) {}
		switch variant {
		case "production":
			env = "production"
		case "lambda":
			// A Lambda deployment group whose functions journeys invoke by
			// version.
			adjust = func(d *infra.Deployment) {
				d.Props.DeploymentGroups = append(d.Props.DeploymentGroups, lambdaGroup)
				d.Props.LambdaDeploymentFunctions = map[string][]string{lambdaGroup: lambdaFunctions}
			}
		case "nogroups":
			// No CodeDeploy at all: ECS lifecycle hooks, schedules and
			// CodePipeline only.
			adjust = func(d *infra.Deployment) {
				d.Props.DeploymentGroups, d.Props.DeploymentServices = nil, nil
			}
		case "pagerduty":
			// The other options, at the longest environment name.
			adjust = func(d *infra.Deployment) {
				// An environment of the file the runner reads, like staging.
				path, err := infratest.WriteEnvironments(dir, func(doc map[string]any) {
					doc["environments"].(map[string]any)[longestEnvironment] = infratest.Environment(doc, "staging")
				})
				if err != nil {
					panic(err)
				}
				d.Props.EnvironmentsFile = path
				d.Props.Environment = longestEnvironment
				d.Props.PagerDutyURL = "https://events.pagerduty.com/integration/abc123/enqueue"
				d.Props.Schedules = map[journey.Tier]time.Duration{journey.TierDomain: 0}
				d.Props.ReportRetentionDays = 7
				d.Props.SinkReservedConcurrency = 4
			}
		}
		c.s, c.err = infratest.Synthesize(dir, env, adjust)
	})
	if c.err != nil {
		t.Fatalf("synth %s: %v", variant, c.err)
	}
	return c.s
}

// check runs a CDK assertion, which panics on a mismatch, as a test error.
func check(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}

func props(m map[string]any) *map[string]any { return &m }

func TestNoUnsuppressedNagErrors(t *testing.T) {
	for _, variant := range []string{"staging", "production", "pagerduty", "lambda", "nogroups"} {
		t.Run(variant, func(t *testing.T) {
			s := synth(t, variant)
			ann := assertions.Annotations_FromStack(s.Stack)
			errs := ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*")))
			for _, e := range *errs {
				t.Errorf("unsuppressed cdk-nag error at %s: %v", *e.Id, e.Entry.Data)
			}
			for _, w := range *ann.FindWarning(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
				t.Logf("cdk-nag warning at %s: %v", *w.Id, w.Entry.Data)
			}
		})
	}
}

// TestNagChecksCatchAFinding shows the check above can fail: a topic
// without encryption or TLS enforcement in the same kind of stack is
// reported.
func TestNagChecksCatchAFinding(t *testing.T) {
	dir := t.TempDir()
	s, err := infratest.Synthesize(dir, "staging", func(d *infra.Deployment) {})
	if err != nil {
		t.Fatal(err)
	}
	awssns.NewTopic(s.Stack, jsii.String("CarelessTopic"), nil)
	ann := assertions.Annotations_FromStack(s.Stack)
	errs := ann.FindError(jsii.String("/journeygate-staging/CarelessTopic/Resource"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-SNS3.*")))
	if len(*errs) == 0 {
		t.Fatal("cdk-nag did not report an SNS topic without enforced TLS: the checks are not running")
	}
}

// TestSuppressionsHaveReasonsAndScope reads every suppression in the
// template: each names a rule, gives a specific reason and, for wildcard
// findings, the resources it applies to.
func TestSuppressionsHaveReasonsAndScope(t *testing.T) {
	s := synth(t, "staging")
	var tpl struct {
		Resources map[string]struct {
			Metadata struct {
				Nag struct {
					RulesToSuppress []struct {
						ID        string `json:"id"`
						Reason    string `json:"reason"`
						AppliesTo []any  `json:"applies_to"`
					} `json:"rules_to_suppress"`
				} `json:"cdk_nag"`
			} `json:"Metadata"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(s.JSON, &tpl); err != nil {
		t.Fatal(err)
	}
	n := 0
	for id, r := range tpl.Resources {
		for _, sup := range r.Metadata.Nag.RulesToSuppress {
			n++
			if len(sup.Reason) < 40 {
				t.Errorf("%s: suppression of %s has no specific reason: %q", id, sup.ID, sup.Reason)
			}
			if sup.ID == "AwsSolutions-IAM5" && len(sup.AppliesTo) == 0 {
				t.Errorf("%s: IAM5 suppression without appliesTo would hide any future wildcard", id)
			}
		}
	}
	if n == 0 {
		t.Fatal("no suppressions found in the template metadata")
	}
}

func TestTable(t *testing.T) {
	in := dynamo.TableInput("")
	for _, tc := range []struct {
		variant    string
		protection bool
		policy     string
	}{{"staging", false, "Delete"}, {"production", true, "Retain"}} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			tpl := s.Assert()
			check(t, "table properties", func() {
				tpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), props(map[string]any{
					"BillingMode":                      "PAY_PER_REQUEST",
					"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
					"TimeToLiveSpecification":          map[string]any{"AttributeName": dynamo.TTLAttribute, "Enabled": true},
					"SSESpecification":                 map[string]any{"SSEEnabled": true},
					"DeletionProtectionEnabled":        tc.protection,
					"KeySchema": []any{
						map[string]any{"AttributeName": *in.KeySchema[0].AttributeName, "KeyType": "HASH"},
						map[string]any{"AttributeName": *in.KeySchema[1].AttributeName, "KeyType": "RANGE"},
					},
				}))
			})
			check(t, "table deletion policy", func() {
				tpl.HasResource(jsii.String("AWS::DynamoDB::Table"), props(map[string]any{"DeletionPolicy": tc.policy}))
			})
			// The verdict log group is the audit trail: kept as the table is.
			verdicts := s.Stack.Resolve(s.Stack.GetLogicalId(s.Gate.Node().FindChild(jsii.String("VerdictLogs")).Node().DefaultChild().(awscdk.CfnElement)))
			if got := s.Template.Resources[verdicts.(string)]; got.Type != "AWS::Logs::LogGroup" {
				t.Errorf("verdict logs %v are a %q", verdicts, got.Type)
			}
			var raw struct {
				Resources map[string]struct{ DeletionPolicy, UpdateReplacePolicy string }
			}
			if err := json.Unmarshal(s.JSON, &raw); err != nil {
				t.Fatal(err)
			}
			if r := raw.Resources[verdicts.(string)]; r.DeletionPolicy != tc.policy || r.UpdateReplacePolicy != tc.policy {
				t.Errorf("verdict log group: DeletionPolicy %q, UpdateReplacePolicy %q; want %s as the table", r.DeletionPolicy, r.UpdateReplacePolicy, tc.policy)
			}
			// The indexes are the store's: same names, keys and projection.
			gsis := assertions.NewCapture(nil)
			check(t, "indexes", func() {
				tpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), props(map[string]any{"GlobalSecondaryIndexes": gsis}))
			})
			var got []string
			for _, g := range *gsis.AsArray() {
				m := g.(map[string]any)
				keys := m["KeySchema"].([]any)
				got = append(got, fmt.Sprintf("%s(%s,%s) %v", m["IndexName"], keys[0].(map[string]any)["AttributeName"], keys[1].(map[string]any)["AttributeName"], m["Projection"].(map[string]any)["ProjectionType"]))
			}
			var want []string
			for _, ix := range in.GlobalSecondaryIndexes {
				want = append(want, fmt.Sprintf("%s(%s,%s) %s", *ix.IndexName, *ix.KeySchema[0].AttributeName, *ix.KeySchema[1].AttributeName, ix.Projection.ProjectionType))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("indexes = %v, want the store's %v", got, want)
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	s := synth(t, "staging")
	tpl := s.Assert()
	// The four, and the browser runner: a staging journey drives a browser.
	check(t, "five functions", func() { tpl.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(5)) })
	fns := tpl.FindResources(jsii.String("AWS::Lambda::Function"), nil)
	names := s.Gate.FunctionLogicalIDs()
	for id, r := range *fns {
		p := (*r)["Properties"].(map[string]any)
		name := names[id]
		if name == "" {
			t.Errorf("function %s is not one of the construct's", id)
			continue
		}
		arch := "[arm64]"
		if name == infra.FunctionBrowserRunner {
			arch = "[x86_64]" // Chromium for Lambda is x86-64 only (TestBrowserRunner)
		}
		if p["Runtime"] != "provided.al2023" || fmt.Sprint(p["Architectures"]) != arch || p["Handler"] != "bootstrap" {
			t.Errorf("%s: runtime %v, architectures %v, handler %v; want provided.al2023 on %s with bootstrap", name, p["Runtime"], p["Architectures"], p["Handler"], arch)
		}
		if fmt.Sprint(p["TracingConfig"]) != "map[Mode:Active]" {
			t.Errorf("%s: tracing %v, want Active", name, p["TracingConfig"])
		}
		if _, ok := p["Code"].(map[string]any)["S3Key"]; !ok {
			t.Errorf("%s: code %v is not an asset", name, p["Code"])
		}
		if p["LoggingConfig"] == nil {
			t.Errorf("%s: no log group of its own (with retention)", name)
		}
		env := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		if env["JOURNEYGATE_TABLE"] == nil {
			t.Errorf("%s: no JOURNEYGATE_TABLE", name)
		}
		if name == infra.FunctionHook && p["FunctionName"] != "CodeDeployHook_journeygate-staging" {
			t.Errorf("hook function name %v: CodeDeploy's managed roles invoke CodeDeployHook_* only", p["FunctionName"])
		}
		// deploy.yaml's deployment_services, as the hook reads them.
		if want := `{"alertmanager/alertmanager-staging":["alertmanager"]}`; name == infra.FunctionHook && env["JOURNEYGATE_DEPLOYMENT_SERVICES"] != want {
			t.Errorf("hook: JOURNEYGATE_DEPLOYMENT_SERVICES %v, want %s", env["JOURNEYGATE_DEPLOYMENT_SERVICES"], want)
		}
		if name == infra.FunctionHook {
			var staged []journey.Journey
			for _, j := range journeys.All() {
				if j.RunsIn("staging") {
					staged = append(staged, j)
				}
			}
			want := infra.RunBudget(staged, flow.DefaultTimeoutMargin, flow.DefaultMaxConcurrency).Total()
			if got, _ := strconv.Atoi(fmt.Sprint(env["JOURNEYGATE_RUN_BUDGET_SECONDS"])); got <= 0 || time.Duration(got)*time.Second < want || time.Duration(got-1)*time.Second >= want {
				t.Errorf("hook: JOURNEYGATE_RUN_BUDGET_SECONDS %v, want the run budget %s", env["JOURNEYGATE_RUN_BUDGET_SECONDS"], want)
			}
		}
		if name == infra.FunctionRunner || name == infra.FunctionBrowserRunner {
			timeout := time.Duration(p["Timeout"].(float64)) * time.Second
			for _, j := range journeys.All() {
				if !j.RunsIn("staging") || j.Browser != (name == infra.FunctionBrowserRunner) {
					continue // scoped elsewhere, or the other runner's
				}
				if need := flow.JourneyTimeout(j, flow.DefaultTimeoutMargin); timeout <= need || timeout <= j.TotalSLA() {
					t.Errorf("%s timeout %s is not above journey %s's summed SLAs %s and budget %s", name, timeout, j.Name, j.TotalSLA(), need)
				}
			}
			for _, k := range []string{"JOURNEYGATE_TIMEOUT_MARGIN", "JOURNEYGATE_SINK_URL", "JOURNEYGATE_EVENT_BUS", "STAGING_ALERTMANAGER_URL"} {
				if env[k] == nil {
					t.Errorf("%s: no %s", name, k)
				}
			}
		}
	}
	check(t, "log retention", func() {
		tpl.AllResourcesProperties(jsii.String("AWS::Logs::LogGroup"), props(map[string]any{"RetentionInDays": assertions.Match_AnyValue()}))
	})
}

// TestHookAsyncRetries: Lambda's retries of the hook's asynchronous
// invocations are set, not left at Lambda's default of two, and for the
// hook only.
func TestHookAsyncRetries(t *testing.T) {
	s := synth(t, "staging")
	configs := s.Template.OfType("AWS::Lambda::EventInvokeConfig")
	if len(configs) != 1 {
		t.Fatalf("%d event invoke configs, want the hook's", len(configs))
	}
	p := s.Template.Resources[configs[0]].Properties
	if got, want := render(p["FunctionName"]), "${"+idOf(t, s, infra.FunctionHook)+"}"; got != want {
		t.Errorf("event invoke config for %s, want the hook %s", got, want)
	}
	if p["Qualifier"] != "$LATEST" {
		t.Errorf("event invoke config qualifier %v, want $LATEST (the hook is invoked unqualified)", p["Qualifier"])
	}
	if got, _ := p["MaximumRetryAttempts"].(float64); got != infra.HookRetryAttempts {
		t.Errorf("MaximumRetryAttempts %v, want %d", p["MaximumRetryAttempts"], infra.HookRetryAttempts)
	}
}

// TestSampleEventsAreAsAWSSendsThem: events/ holds what AWS would send the
// deployed staging stack. A CodePipeline job names the hook as deployed
// and, on its first invocation, has no continuationToken (AWS adds one only
// when re-invoking a job the function answered with one).
func TestSampleEventsAreAsAWSSendsThem(t *testing.T) {
	s := synth(t, "staging")
	hook := s.Template.Resources[idOf(t, s, infra.FunctionHook)].Properties["FunctionName"]
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events (%v)", err)
	}
	jobs := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct {
			Job *struct {
				Data map[string]json.RawMessage `json:"data"`
			} `json:"CodePipeline.job"`
		}
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if ev.Job == nil {
			continue
		}
		jobs++
		name := filepath.Base(f)
		if tok, ok := ev.Job.Data["continuationToken"]; ok && (string(tok) == `""` || string(tok) == "null") {
			t.Errorf("%s: continuationToken %s; a first invocation has none at all", name, tok)
		}
		var action struct {
			Configuration struct{ FunctionName string } `json:"configuration"`
		}
		_ = json.Unmarshal(ev.Job.Data["actionConfiguration"], &action)
		if action.Configuration.FunctionName != hook {
			t.Errorf("%s: FunctionName %q, want the deployed hook %v", name, action.Configuration.FunctionName, hook)
		}
	}
	if jobs == 0 {
		t.Error("no CodePipeline job among the sample events")
	}
}

func TestStateMachineIsTheFlowDefinition(t *testing.T) {
	s := synth(t, "staging")
	tpl := s.Assert()
	check(t, "state machine", func() {
		tpl.HasResourceProperties(jsii.String("AWS::StepFunctions::StateMachine"), props(map[string]any{
			"StateMachineType":         "STANDARD",
			"TracingConfiguration":     map[string]any{"Enabled": true},
			"LoggingConfiguration":     map[string]any{"Level": "ALL", "IncludeExecutionData": true, "Destinations": assertions.Match_AnyValue()},
			"DefinitionString":         assertions.Match_AnyValue(),
			"RoleArn":                  assertions.Match_AnyValue(),
			"StateMachineName":         assertions.Match_Absent(),
			"EncryptionConfiguration":  assertions.Match_Absent(),
			"DefinitionSubstitutions":  assertions.Match_Absent(),
			"DefinitionS3Location":     assertions.Match_Absent(),
			"StateMachineRevisionId":   assertions.Match_Absent(),
			"TracingConfiguration.foo": assertions.Match_Absent(),
		}))
	})
	def, err := s.Definition()
	if err != nil {
		t.Fatal(err)
	}
	want, err := flow.Definition(flow.Options{
		RunnerArn:        infra.PlaceholderFunctionARN(infra.FunctionRunner),
		BrowserRunnerArn: infra.PlaceholderFunctionARN(infra.FunctionBrowserRunner),
		GateArn:          infra.PlaceholderFunctionARN(infra.FunctionGate),
		HookArn:          infra.PlaceholderFunctionARN(infra.HookFunctionName(infra.DefaultNamePrefix, "staging")), // by its fixed name
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, def, want) {
		t.Errorf("deployed definition differs from flow.Definition:\n%s\nwant\n%s", def, want)
	}
	if err := aslcheck.Validate(t, def); err != nil {
		t.Errorf("asl-validator on the synthesized definition: %v", err)
	}
}

func TestSinkURLAndSecret(t *testing.T) {
	s := synth(t, "staging")
	tpl := s.Assert()
	sink := idOf(t, s, infra.FunctionSink)
	secrets := s.Template.OfType("AWS::SecretsManager::Secret")
	if len(secrets) != 1 {
		t.Fatalf("%d secrets, want 1", len(secrets))
	}
	check(t, "function URL", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Url"), props(map[string]any{
			"AuthType": "NONE", "TargetFunctionArn": map[string]any{"Fn::GetAtt": []any{sink, "Arn"}},
		}))
	})
	// The public URL's function has a concurrency of its own: a flood is
	// throttled there, not in the runner and the gate.
	for variant, want := range map[string]int{"staging": infra.DefaultSinkReservedConcurrency, "pagerduty": 4} {
		v := synth(t, variant)
		p := v.Template.Resources[idOf(t, v, infra.FunctionSink)].Properties
		if got, _ := p["ReservedConcurrentExecutions"].(float64); got != float64(want) {
			t.Errorf("%s: sink ReservedConcurrentExecutions %v, want %d", variant, p["ReservedConcurrentExecutions"], want)
		}
		for id, name := range v.Gate.FunctionLogicalIDs() {
			if r, ok := v.Template.Resources[id].Properties["ReservedConcurrentExecutions"]; ok && name != infra.FunctionSink {
				t.Errorf("%s: %s reserves %v: only the sink's concurrency is bounded", variant, name, r)
			}
		}
	}
	check(t, "generated secret", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SecretsManager::Secret"), props(map[string]any{
			"GenerateSecretString": map[string]any{"PasswordLength": 48, "ExcludePunctuation": true},
		}))
	})
	check(t, "sink reads the secret", func() {
		tpl.HasResourceProperties(jsii.String("AWS::Lambda::Function"), props(map[string]any{
			"Environment": map[string]any{"Variables": assertions.Match_ObjectLike(&map[string]any{
				"JOURNEYGATE_SINK_TOKEN_SECRET": map[string]any{"Ref": secrets[0]},
			})},
		}))
	})
}

func TestEventRulesAndTopic(t *testing.T) {
	s := synth(t, "staging")
	tpl := s.Assert()
	topic := s.Template.OfType("AWS::SNS::Topic")[0]
	check(t, "topic encrypted", func() {
		tpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), props(map[string]any{"KmsMasterKeyId": assertions.Match_AnyValue()}))
	})
	check(t, "no subscription without a PagerDuty URL", func() { tpl.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(0)) })
	for _, rule := range []struct {
		detail string
		match  map[string]any
		target any
	}{
		{flow.DetailRunCompleted, map[string]any{"environment": []any{"staging"}}, map[string]any{"Id": "VerdictLogs", "Arn": assertions.Match_AnyValue()}},
		// Only scheduled runs page: a gate's failures go to its deployment.
		// A repeat of a streak that already paged pages no one.
		{flow.DetailJourneyFailed, map[string]any{"environment": []any{"staging"}, "mode": []any{"enforce"}, "trigger": map[string]any{"type": []any{"schedule"}}, "repeat": []any{false}}, assertions.Match_ObjectLike(&map[string]any{"Arn": map[string]any{"Ref": topic}})},
	} {
		check(t, rule.detail+" rule", func() {
			tpl.HasResourceProperties(jsii.String("AWS::Events::Rule"), props(map[string]any{
				"EventPattern": map[string]any{
					"source": []any{flow.EventSource}, "detail-type": []any{rule.detail}, "detail": rule.match,
				},
				"Targets": []any{rule.target},
			}))
		})
	}
	pd := synth(t, "pagerduty").Assert()
	check(t, "PagerDuty subscription", func() {
		pd.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), props(map[string]any{
			"Protocol": "https", "Endpoint": "https://events.pagerduty.com/integration/abc123/enqueue",
		}))
	})
}

func TestAlarmsAndOutputs(t *testing.T) {
	s := synth(t, "staging")
	tpl := s.Assert()
	topic := s.Template.OfType("AWS::SNS::Topic")[0]
	var want []string
	for _, tier := range []string{"global", "domain"} {
		want = append(want, "journeygate-staging-"+tier+"-journeys")
	}
	for _, j := range journeys.All() {
		if j.Tier == journey.TierGlobal && j.RunsIn("staging") {
			want = append(want, "journeygate-staging-"+j.Name)
		}
	}
	for _, name := range want {
		check(t, "alarm "+name, func() {
			tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), props(map[string]any{
				"AlarmName":          name,
				"Namespace":          metrics.Namespace,
				"MetricName":         metrics.JourneySuccess,
				"TreatMissingData":   "breaching",
				"ComparisonOperator": "LessThanThreshold",
				"AlarmActions":       []any{map[string]any{"Ref": topic}},
				// Scheduled runs of the live environment only: a gate run
				// failing a broken new version must not page.
				"Dimensions": assertions.Match_ArrayWith(&[]any{map[string]any{"Name": metrics.DimTrigger, "Value": "schedule"}}),
			}))
		})
	}
	// An execution that failed is one nobody reported: it pages at once.
	sm := s.Template.OfType("AWS::StepFunctions::StateMachine")[0]
	check(t, "executions-failed alarm", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Alarm"), props(map[string]any{
			"AlarmName":          infra.UnreportedAlarmName(infra.DefaultNamePrefix, "staging"),
			"Namespace":          "AWS/States",
			"MetricName":         "ExecutionsFailed",
			"Dimensions":         []any{map[string]any{"Name": "StateMachineArn", "Value": map[string]any{"Ref": sm}}},
			"Statistic":          "Sum",
			"Period":             60,
			"Threshold":          1,
			"EvaluationPeriods":  1,
			"ComparisonOperator": "GreaterThanOrEqualToThreshold",
			"AlarmActions":       []any{map[string]any{"Ref": topic}},
		}))
	})
	check(t, "alarm count", func() {
		tpl.ResourceCountIs(jsii.String("AWS::CloudWatch::Alarm"), jsii.Number(float64(len(want)+1)))
	})
	names := assertions.NewCapture(nil)
	check(t, "alarm names output", func() {
		tpl.HasOutput(jsii.String("JourneyGateAlarmNames"), props(map[string]any{"Value": names}))
	})
	if !t.Failed() {
		got := strings.Split(*names.AsString(), ",")
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("AlarmNames output = %v, want %v", got, want)
		}
	}
	for _, o := range []string{"JourneyGateAlarmArns", "JourneyGateHookFunctionArn", "JourneyGateSinkUrl", "JourneyGateStateMachineArn", "JourneyGateTableName"} {
		check(t, "output "+o, func() { tpl.HasOutput(jsii.String(o), props(map[string]any{"Value": assertions.Match_AnyValue()})) })
	}
	body := assertions.NewCapture(nil)
	check(t, "dashboard", func() {
		tpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Dashboard"), props(map[string]any{"DashboardBody": body}))
	})
	if !t.Failed() {
		b, _ := json.Marshal(body.AsObject())
		for _, want := range []string{"success rate", "p50", "p99", "Recent verdicts", metrics.JourneyDuration} {
			if !strings.Contains(string(b), want) {
				t.Errorf("dashboard has no %q", want)
			}
		}
	}
}

// TestLeastPrivilege reads every identity policy statement of the four
// functions.
func TestLeastPrivilege(t *testing.T) {
	s := synth(t, "staging")
	statements := map[string][]map[string]any{} // function name -> statements
	roles := map[string]string{}                // role logical ID -> function name
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(s.JSON, &tpl); err != nil {
		t.Fatal(err)
	}
	for id, name := range s.Gate.FunctionLogicalIDs() {
		role := tpl.Resources[id].Properties["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)
		roles[role] = name
	}
	for _, r := range tpl.Resources {
		if r.Type != "AWS::IAM::Policy" {
			continue
		}
		for _, role := range r.Properties["Roles"].([]any) {
			name := roles[role.(map[string]any)["Ref"].(string)]
			for _, st := range r.Properties["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				statements[name] = append(statements[name], st.(map[string]any))
			}
		}
	}
	actions := func(fn string) map[string]string { // action -> resource JSON
		out := map[string]string{}
		for _, st := range statements[fn] {
			res, _ := json.Marshal(st["Resource"])
			for _, a := range list(st["Action"]) {
				if strings.HasSuffix(a, "*") {
					t.Errorf("%s: wildcard action %s", fn, a)
				}
				out[a] = string(res)
			}
		}
		return out
	}
	sm := s.Template.OfType("AWS::StepFunctions::StateMachine")[0]
	hook := actions(infra.FunctionHook)
	if hook["states:StartExecution"] != fmt.Sprintf(`{"Ref":%q}`, sm) {
		t.Errorf("hook: states:StartExecution on %s, want this state machine only", hook["states:StartExecution"])
	}
	// PutLifecycleEventHookExecutionStatus has no resource types (Service
	// Authorization Reference): only * can allow it, in a statement of its
	// own. GetDeployment has: the configured groups only, for the hook.
	for _, fn := range []string{infra.FunctionHook, infra.FunctionGate} {
		n := 0
		for _, st := range statements[fn] {
			if !slices.Contains(list(st["Action"]), "codedeploy:PutLifecycleEventHookExecutionStatus") {
				continue
			}
			n++
			if got := list(st["Action"]); len(got) != 1 || st["Resource"] != "*" {
				t.Errorf("%s: codedeploy:PutLifecycleEventHookExecutionStatus granted with %v on %v, want alone on *", fn, got, st["Resource"])
			}
		}
		if n != 1 {
			t.Errorf("%s: %d statements allow codedeploy:PutLifecycleEventHookExecutionStatus, want 1", fn, n)
		}
	}
	if r := actions(infra.FunctionHook)["codedeploy:GetDeployment"]; !strings.Contains(r, "deploymentgroup:alertmanager/alertmanager-staging") || strings.Contains(r, `"*"`) {
		t.Errorf("hook: codedeploy:GetDeployment on %s, want the configured deployment group only", r)
	}
	if r, ok := actions(infra.FunctionGate)["codedeploy:GetDeployment"]; ok {
		t.Errorf("gate: codedeploy:GetDeployment on %s, a call it never makes", r)
	}
	// Of the table calls, only Query and Scan act on an index.
	for fn, sts := range statements {
		for _, st := range sts {
			res, _ := json.Marshal(st["Resource"])
			if !strings.Contains(string(res), "/index/") {
				continue
			}
			for _, a := range list(st["Action"]) {
				if a != "dynamodb:Query" && a != "dynamodb:Scan" {
					t.Errorf("%s: %s granted on an index (%s), where it does nothing", fn, a, res)
				}
			}
		}
	}
	for fn, want := range map[string][]string{
		infra.FunctionRunner: {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
		infra.FunctionGate:   {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
		infra.FunctionSink:   {"dynamodb:GetItem", "dynamodb:PutItem"},
		// A CodePipeline run's verdict, report marks, the last resort's verdict.
		infra.FunctionHook: {"dynamodb:GetItem", "dynamodb:UpdateItem"},
	} {
		var got []string
		for a, res := range actions(fn) {
			if strings.HasPrefix(a, "dynamodb:") {
				got = append(got, a)
				if strings.Contains(res, "index/*") {
					t.Errorf("%s: %s on %s: want named indexes", fn, a, res)
				}
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: table actions %v, want %v", fn, got, want)
		}
	}
	if _, ok := actions(infra.FunctionSink)["states:StartExecution"]; ok {
		t.Error("sink may start executions")
	}
	// The hook may describe this state machine's executions, nothing else.
	if r := hook["states:DescribeExecution"]; !strings.Contains(r, ":execution:") || !strings.Contains(r, sm) || strings.Contains(r, `"*"`) {
		t.Errorf("hook: states:DescribeExecution on %s, want this state machine's executions only", r)
	}
	// Only the hook answers CodePipeline jobs (continuation tokens, then
	// the recorded verdict); the gate never calls CodePipeline.
	for a := range actions(infra.FunctionGate) {
		if strings.HasPrefix(a, "codepipeline:") {
			t.Errorf("gate: %s, a call it never makes", a)
		}
	}
}

func TestPropsErrorsNameTheProblem(t *testing.T) {
	_, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) {
		d.Props.DistDir = filepath.Join(t.TempDir(), "nothing-built")
		d.Props.DeploymentGroups = []string{"no-slash"}
		d.Props.Schedules = map[journey.Tier]time.Duration{journey.TierGlobal: 90 * time.Second, journey.TierDomain: 96 * time.Hour}
		d.Props.PagerDutyURL = "http://insecure"
		d.Props.SinkReservedConcurrency = -1
	})
	if err == nil {
		t.Fatal("bad props synthesized")
	}
	for _, want := range []string{"run `make build` first", `"no-slash" is not APPLICATION/GROUP`, "schedule for tier global: 1m30s", "PagerDutyURL", "sink reserved concurrency -1: want 1 to 1000",
		"schedule for tier domain: 96h with AlarmPeriods 2: CloudWatch rejects its alarms, 2 periods of 345600 s being over the 604800 s (7 days) it allows an alarm with a period of an hour or more; want AlarmPeriods of at most 1, or a schedule that fits 2 periods (at most 84h)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func idOf(t *testing.T, s *infratest.Synth, fn string) string {
	t.Helper()
	for id, name := range s.Gate.FunctionLogicalIDs() {
		if name == fn {
			return id
		}
	}
	t.Fatalf("no function %s", fn)
	return ""
}

func list(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i], _ = x.(string)
		}
		return out
	}
	return nil
}

func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// TestJourneyFailedMessageReadsTheDetail checks that every path the alarm
// topic's message reads, and every field its rule's pattern matches, is a
// field of flow.JourneyFailed as the runner marshals it, even when empty:
// a path that matches nothing would leave a blank in the page on-call
// gets, and a pattern on an absent field would page no one.

func TestJourneyFailedMessageReadsTheDetail(t *testing.T) {
	s := synth(t, "staging")
	var paths map[string]any
	var matched []string
	for _, id := range s.Template.OfType("AWS::Events::Rule") {
		p := s.Template.Resources[id].Properties
		pattern, _ := p["EventPattern"].(map[string]any)
		if dt, _ := pattern["detail-type"].([]any); !slices.Contains(dt, any(flow.DetailJourneyFailed)) {
			continue
		}
		targets, _ := p["Targets"].([]any)
		if len(targets) != 1 {
			t.Fatalf("%s rule has %d targets, want the topic", flow.DetailJourneyFailed, len(targets))
		}
		tr, _ := targets[0].(map[string]any)["InputTransformer"].(map[string]any)
		paths, _ = tr["InputPathsMap"].(map[string]any)
		detail, _ := pattern["detail"].(map[string]any)
		matched = patternPaths("$.detail", detail)
	}
	if len(paths) == 0 {
		t.Fatalf("no %s rule with an input transformer", flow.DetailJourneyFailed)
	}
	// The fields the rule's pattern matches are always there too: a value
	// list such as "repeat": [false] never matches an absent field.
	if !slices.Contains(matched, "$.detail.repeat") {
		t.Errorf("the %s rule matches %v, want $.detail.repeat among them (repeats page no one)", flow.DetailJourneyFailed, matched)
	}
	paths = maps.Clone(paths)
	for _, p := range matched {
		paths["pattern "+p] = p
	}
	b, err := json.Marshal(map[string]any{"detail": flow.JourneyFailed{}})
	if err != nil {
		t.Fatal(err)
	}
	var event map[string]any
	if err := json.Unmarshal(b, &event); err != nil {
		t.Fatal(err)
	}
	for name, p := range paths {
		path, _ := p.(string)
		var cur any = event
		for _, key := range strings.Split(strings.TrimPrefix(path, "$."), ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				cur = nil
				break
			}
			if cur, ok = m[key]; !ok {
				break
			}
		}
		if _, isMap := cur.(map[string]any); cur == nil || isMap {
			t.Errorf("message variable %s reads %s, which an empty flow.JourneyFailed does not have as a value", name, path)
		}
	}
}

// patternPaths lists the paths of an event pattern's value lists under at.
func patternPaths(at string, pattern map[string]any) []string {
	var out []string
	for k, v := range pattern {
		if sub, ok := v.(map[string]any); ok {
			out = append(out, patternPaths(at+"."+k, sub)...)
			continue
		}
		out = append(out, at+"."+k)
	}
	slices.Sort(out)
	return out
}
