package infra_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	hookhandler "github.com/journeygate/journeygate/functions/hook/handler"
	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// longestEnvironment is as long as an environment's name may be (32;
// TestLongestEnvironment holds it to the construct's limit).
const longestEnvironment = "longest-environment-name-32-char"

func TestLongestEnvironment(t *testing.T) {
	if len(longestEnvironment) != 32 {
		t.Fatalf("longestEnvironment is %d characters", len(longestEnvironment))
	}
	_, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) { d.Props.Environment = longestEnvironment + "x" })
	if err == nil || !strings.Contains(err.Error(), "want 1-32") {
		t.Fatalf("a 33-character environment name: err = %v, want it refused", err)
	}
}

// TestSchedules: each scheduled tier's schedule invokes the hook with a
// schedule request; once the Scheduler fills in its context attributes,
// the real hook handler starts a valid run of the tier, named within
// Step Functions' 80 characters at the longest environment name, the same
// name for a redelivered tick (so it starts no second run) and a new one
// for the next tick. The Scheduler may invoke the hook and nothing else.
func TestSchedules(t *testing.T) {
	for _, tc := range []struct {
		variant, env string
		rates        map[journey.Tier]string
	}{
		{"staging", "staging", map[journey.Tier]string{journey.TierGlobal: "rate(1 minute)", journey.TierDomain: "rate(15 minutes)"}},
		{"pagerduty", longestEnvironment, map[journey.Tier]string{journey.TierGlobal: "rate(1 minute)"}}, // domain off
	} {
		t.Run(tc.variant, func(t *testing.T) {
			s := synth(t, tc.variant)
			hook := idOf(t, s, infra.FunctionHook)
			inputs, err := s.ScheduleInputs()
			if err != nil {
				t.Fatal(err)
			}
			if len(inputs) != len(tc.rates) {
				t.Fatalf("schedules for %d tiers, want %d", len(inputs), len(tc.rates))
			}
			ids := s.Template.OfType("AWS::Scheduler::Schedule")
			if len(ids) != len(tc.rates) {
				t.Fatalf("%d schedules, want %d", len(ids), len(tc.rates))
			}
			role := ""
			for _, id := range ids {
				p := s.Template.Resources[id].Properties
				target, _ := p["Target"].(map[string]any)
				if got := render(target["Arn"]); got != "${"+hook+".Arn}" {
					t.Errorf("%s targets %s, want the hook", id, got)
				}
				if r := render(target["RoleArn"]); role == "" {
					role = r
				} else if r != role {
					t.Errorf("%s runs as %s, the other schedule as %s", id, r, role)
				}
				if retry, _ := target["RetryPolicy"].(map[string]any); retry["MaximumRetryAttempts"] != float64(2) {
					t.Errorf("%s retry policy %v, want 2 attempts", id, retry)
				}
				if p["State"] != "ENABLED" {
					t.Errorf("%s is %v", id, p["State"])
				}
			}
			for tier, rate := range tc.rates {
				t.Run(string(tier), func(t *testing.T) {
					id := scheduleID(t, s, tier)
					p := s.Template.Resources[id].Properties
					if p["ScheduleExpression"] != rate {
						t.Errorf("schedule %v, want %s", p["ScheduleExpression"], rate)
					}
					arn := "arn:aws:scheduler:us-east-1:123456789012:schedule/default/" + generatedName(s.Stack.StackName(), id)
					tick := time.Date(2026, 1, 15, 10, 5, 0, 0, time.UTC)
					first := startScheduled(t, tc.env, inputs[tier], arn, tick)
					if first.Tier != tier || first.Environment != tc.env || first.Trigger.Type != trigger.Schedule || first.Trigger.Source != arn {
						t.Errorf("scheduled run %+v, want tier %s of %s triggered by schedule %s", first, tier, tc.env, arn)
					}
					if again := startScheduled(t, tc.env, inputs[tier], arn, tick); again.RunID != first.RunID {
						t.Errorf("a redelivered tick is run %s, the first delivery %s: two runs for one tick", again.RunID, first.RunID)
					}
					if next := startScheduled(t, tc.env, inputs[tier], arn, tick.Add(time.Minute)); next.RunID == first.RunID {
						t.Errorf("the next tick has the same run ID %s", next.RunID)
					}
				})
			}
			// The Scheduler's role may invoke the hook, unqualified, and
			// nothing else; only the Scheduler of this account may use it.
			roleID := strings.TrimSuffix(strings.TrimPrefix(role, "${"), ".Arn}")
			var granted []string
			for _, id := range s.Template.OfType("AWS::IAM::Policy") {
				p := s.Template.Resources[id].Properties
				if !slices.ContainsFunc(p["Roles"].([]any), func(r any) bool { return render(r) == "${"+roleID+"}" }) {
					continue
				}
				for _, st := range policyStatements(p["PolicyDocument"]) {
					granted = append(granted, fmt.Sprintf("%v on %s", list(st["Action"]), render(st["Resource"])))
				}
			}
			if want := []string{"[lambda:InvokeFunction] on ${" + hook + ".Arn}"}; !slices.Equal(granted, want) {
				t.Errorf("the Scheduler's role may %v, want %v", granted, want)
			}
			trust := policyStatements(s.Template.Resources[roleID].Properties["AssumeRolePolicyDocument"])
			if len(trust) != 1 || render(principal(trust[0], "Service")) != "scheduler.amazonaws.com" ||
				render(trust[0]["Condition"].(map[string]any)["StringEquals"].(map[string]any)["aws:SourceAccount"]) != infra.PlaceholderAccount {
				t.Errorf("the Scheduler's role trusts %v, want scheduler.amazonaws.com for this account", trust)
			}
		})
	}
}

// scheduleID is the logical ID of the tier's schedule.
func scheduleID(t *testing.T, s *infratest.Synth, tier journey.Tier) string {
	t.Helper()
	sched := s.Gate.Schedule(tier)
	if sched == nil {
		t.Fatalf("no %s schedule", tier)
	}
	id, _ := s.Stack.Resolve(s.Stack.GetLogicalId(sched.Node().DefaultChild().(awscdk.CfnElement))).(string)
	return id
}

// generatedName is a name as CloudFormation generates one for a schedule
// without Name: the stack's name and the logical ID, cut to leave room for
// a random suffix within the 64 characters a schedule's name may have.
func generatedName(stack *string, logicalID string) string {
	name := *stack + "-" + logicalID
	if len(name) > 64-13 {
		name = name[:64-13]
	}
	return name + "-1A2B3C4D5E6F"
}

// startScheduled fills in the Scheduler's context attributes of a
// schedule's input and delivers it to the hook handler through
// aws-lambda-go's JSON path, as the Scheduler's invocation does; it
// returns the execution input the hook started, after checking it and
// its execution name.
func startScheduled(t *testing.T, env, input, scheduleARN string, tick time.Time) flow.Input {
	t.Helper()
	event := strings.NewReplacer(
		"<aws.scheduler.schedule-arn>", scheduleARN,
		"<aws.scheduler.scheduled-time>", tick.Format(time.RFC3339),
		"<aws.scheduler.execution-id>", "2b6d4c1e-8f0a-4b8e-9c3d-5e7f9a1b2c3d",
		"<aws.scheduler.attempt-number>", "1",
	).Replace(input)
	if strings.Contains(event, "<aws.scheduler.") {
		t.Fatalf("schedule input uses a context attribute this test does not fill in: %s", event)
	}
	sf := &startRecorder{}
	h, err := hookhandler.New(hookhandler.Config{
		StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:journeygate-" + env,
		Environment:     env,
	}, sf, noReports{}, noReports{}, noReports{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), []byte(event)); err != nil {
		t.Fatalf("hook on the schedule's event %s: %v", event, err)
	}
	if len(sf.started) != 1 {
		t.Fatalf("the hook started %d executions for one scheduled event, want 1", len(sf.started))
	}
	start := sf.started[0]
	var in flow.Input
	if err := json.Unmarshal([]byte(aws.ToString(start.Input)), &in); err != nil {
		t.Fatalf("execution input: %v", err)
	}
	if err := in.Validate(); err != nil {
		t.Errorf("execution input %s: %v", aws.ToString(start.Input), err)
	}
	if name := aws.ToString(start.Name); name != in.RunID || len(name) > trigger.MaxRunIDLen {
		t.Errorf("execution name %q (%d characters) for run %q: want the run ID, at most %d characters", name, len(name), in.RunID, trigger.MaxRunIDLen)
	}
	return in
}

// startRecorder is a Step Functions client that records what it starts.
type startRecorder struct {
	mu      sync.Mutex
	started []*sfn.StartExecutionInput
}

func (r *startRecorder) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = append(r.started, in)
	return &sfn.StartExecutionOutput{}, nil
}

func (r *startRecorder) DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	return nil, errNotHere
}

// noReports stands in for what a scheduled run never calls: CodeDeploy,
// CodePipeline and the store of runs.
type noReports struct{}

var errNotHere = errors.New("a scheduled event makes no such call")

func (noReports) GetDeployment(context.Context, *codedeploy.GetDeploymentInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	return nil, errNotHere
}

func (noReports) ListDeploymentTargets(context.Context, *codedeploy.ListDeploymentTargetsInput, ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error) {
	return nil, errNotHere
}

func (noReports) GetDeploymentTarget(context.Context, *codedeploy.GetDeploymentTargetInput, ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error) {
	return nil, errNotHere
}

func (noReports) PutLifecycleEventHookExecutionStatus(context.Context, *codedeploy.PutLifecycleEventHookExecutionStatusInput, ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	return nil, errNotHere
}

func (noReports) PutJobSuccessResult(context.Context, *codepipeline.PutJobSuccessResultInput, ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error) {
	return nil, errNotHere
}

func (noReports) PutJobFailureResult(context.Context, *codepipeline.PutJobFailureResultInput, ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error) {
	return nil, errNotHere
}

func (noReports) GetRun(context.Context, string) (store.RunRecord, error) {
	return store.RunRecord{}, errNotHere
}

func (noReports) MarkReported(context.Context, string, time.Time) error { return errNotHere }

func (noReports) PutVerdict(context.Context, string, gate.Verdict, time.Time) error {
	return errNotHere
}
