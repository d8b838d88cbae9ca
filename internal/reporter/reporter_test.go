package reporter_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	cptypes "github.com/aws/aws-sdk-go-v2/service/codepipeline/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/trigger"
)

// fakeDeploy answers each call with the next of errs (then success),
// or panics when told; like CodeDeploy, a second accepted status is
// LifecycleEventAlreadyCompleted.
type fakeDeploy struct {
	mu       sync.Mutex
	errs     []error
	panics   bool
	calls    int
	accepted []string
	cpInputs []any
}

func (f *fakeDeploy) next() error {
	f.calls++
	if f.panics {
		panic("client exploded")
	}
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return err
	}
	return nil
}

func (f *fakeDeploy) PutLifecycleEventHookExecutionStatus(_ context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, _ ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.next(); err != nil {
		return nil, err
	}
	if len(f.accepted) > 0 {
		return nil, &cdtypes.LifecycleEventAlreadyCompletedException{Message: aws.String("done")}
	}
	f.accepted = append(f.accepted, string(in.Status))
	return &codedeploy.PutLifecycleEventHookExecutionStatusOutput{}, nil
}

func (f *fakeDeploy) PutJobSuccessResult(_ context.Context, in *codepipeline.PutJobSuccessResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cpInputs = append(f.cpInputs, in)
	return &codepipeline.PutJobSuccessResultOutput{}, f.next()
}

func (f *fakeDeploy) PutJobFailureResult(_ context.Context, in *codepipeline.PutJobFailureResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cpInputs = append(f.cpInputs, in)
	return &codepipeline.PutJobFailureResultOutput{}, f.next()
}

func serverError(status int) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: errors.New("internal failure")}
}

var (
	throttled = &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	denied    = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "no"}
	deploy    = trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1", LifecycleEventHookExecutionID: "h-1"}
	job       = trigger.Trigger{Type: trigger.CodePipeline, JobID: "job-1"}
)

func newReporter(t *testing.T, f *fakeDeploy, sleeps *[]time.Duration) *reporter.Reporter {
	t.Helper()
	r, err := reporter.New(f, f, reporter.WithRetry(4, 100*time.Millisecond, func(_ context.Context, d time.Duration) error {
		*sleeps = append(*sleeps, d)
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSendRetries(t *testing.T) {
	tests := []struct {
		name      string
		errs      []error
		panics    bool
		wantCalls int
		wantErr   string
	}{
		{"accepted at once", nil, false, 1, ""},
		{"throttled then accepted", []error{throttled, throttled}, false, 3, ""},
		{"server errors then accepted", []error{serverError(500), serverError(503)}, false, 3, ""},
		{"server errors every time", []error{serverError(500), serverError(500), serverError(500), serverError(500), serverError(500)}, false, 4, "reporting Failed to CodeDeploy deployment d-1"},
		{"access denied is not retried", []error{denied}, false, 1, "AccessDeniedException"},
		{"a panicking client is an error", nil, true, 1, "report call panicked: client exploded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeDeploy{errs: tt.errs, panics: tt.panics}
			var sleeps []time.Duration
			out, err := newReporter(t, f, &sleeps).Send(t.Context(), reporter.Report{RunID: "run-1", Trigger: deploy})
			if f.calls != tt.wantCalls || out.Attempts != tt.wantCalls {
				t.Errorf("%d calls (outcome says %d), want %d", f.calls, out.Attempts, tt.wantCalls)
			}
			if len(sleeps) != tt.wantCalls-1 {
				t.Errorf("slept %v between %d calls", sleeps, f.calls)
			}
			if tt.wantErr == "" {
				if err != nil || len(f.accepted) != 1 || f.accepted[0] != "Failed" {
					t.Errorf("err %v, accepted %v; want one Failed", err, f.accepted)
				}
				return
			}
			var rerr *reporter.ReportError
			if !errors.As(err, &rerr) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want a ReportError mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestSendAlreadyCompletedIsNotAnError(t *testing.T) {
	f := &fakeDeploy{accepted: []string{"Succeeded"}}
	var sleeps []time.Duration
	out, err := newReporter(t, f, &sleeps).Send(t.Context(), reporter.Report{RunID: "run-1", Trigger: deploy})
	if err != nil || !out.AlreadyCompleted || out.To != reporter.ToCodeDeploy {
		t.Errorf("outcome %+v, err %v; want already completed", out, err)
	}
	f = &fakeDeploy{errs: []error{&cptypes.InvalidJobStateException{Message: aws.String("not in progress")}}}
	out, err = newReporter(t, f, &sleeps).Send(t.Context(), reporter.Report{RunID: "run-1", Trigger: job, Message: "x"})
	if err != nil || !out.AlreadyCompleted || out.To != reporter.ToCodePipeline {
		t.Errorf("outcome %+v, err %v; want already completed", out, err)
	}
}

func TestSendCodePipelineShapes(t *testing.T) {
	f := &fakeDeploy{}
	var sleeps []time.Duration
	r := newReporter(t, f, &sleeps)
	long := strings.Repeat("é", 6000)
	for _, rep := range []reporter.Report{
		{RunID: "cp-1", Trigger: job, ContinuationToken: "cp-1"},
		{RunID: "cp-1", Trigger: job, Succeeded: true, Summary: long},
		{RunID: "cp-1", Trigger: job, Message: long, FailureType: cptypes.FailureTypeConfigurationError},
		{RunID: "cp-1", Trigger: job, Message: "plain"},
	} {
		if _, err := r.Send(t.Context(), rep); err != nil {
			t.Fatal(err)
		}
	}
	cont := f.cpInputs[0].(*codepipeline.PutJobSuccessResultInput)
	if aws.ToString(cont.ContinuationToken) != "cp-1" || cont.ExecutionDetails.Summary != nil {
		t.Errorf("continuation %+v, want the token and no summary", cont)
	}
	ok := f.cpInputs[1].(*codepipeline.PutJobSuccessResultInput)
	if ok.ContinuationToken != nil || len([]rune(aws.ToString(ok.ExecutionDetails.Summary))) > reporter.MaxPipelineSummary {
		t.Errorf("success without a token and a bounded summary, got token %v, %d runes", ok.ContinuationToken, len([]rune(aws.ToString(ok.ExecutionDetails.Summary))))
	}
	cfg := f.cpInputs[2].(*codepipeline.PutJobFailureResultInput)
	if cfg.FailureDetails.Type != cptypes.FailureTypeConfigurationError || len([]rune(aws.ToString(cfg.FailureDetails.Message))) > reporter.MaxPipelineMessage {
		t.Errorf("failure %+v, want ConfigurationError with a bounded message", cfg.FailureDetails)
	}
	if plain := f.cpInputs[3].(*codepipeline.PutJobFailureResultInput); plain.FailureDetails.Type != cptypes.FailureTypeJobFailed {
		t.Errorf("default failure type %s, want JobFailed", plain.FailureDetails.Type)
	}
}

// ledger is an in-memory reporter.Ledger.
type ledger struct {
	rec     store.RunRecord
	getErr  error
	markErr error
	marks   int
}

func (l *ledger) GetRun(context.Context, string) (store.RunRecord, error) { return l.rec, l.getErr }
func (l *ledger) MarkReported(_ context.Context, _ string, at time.Time) error {
	l.marks++
	if l.markErr != nil {
		return l.markErr
	}
	if l.rec.ReportedAt.IsZero() {
		l.rec.ReportedAt = at
	}
	return nil
}

// TestDeliverTellsLateFromAlreadyReported: "already completed" is a
// redelivery when this run's report is on record, and late otherwise.
func TestDeliverTellsLateFromAlreadyReported(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC) }
	var sleeps []time.Duration
	f := &fakeDeploy{}
	r := newReporter(t, f, &sleeps)
	l := &ledger{}
	out, err := r.Deliver(t.Context(), reporter.Report{RunID: "run-1", Trigger: deploy}, l, now)
	if err != nil || out.Late || out.AlreadyCompleted || l.rec.ReportedAt.IsZero() {
		t.Fatalf("first report: %+v, %v, ledger %+v", out, err, l.rec)
	}
	out, err = r.Deliver(t.Context(), reporter.Report{RunID: "run-1", Trigger: deploy}, l, now)
	if err != nil || out.Late || !out.AlreadyCompleted {
		t.Errorf("redelivery: %+v, %v; want already completed, not late", out, err)
	}
	for name, other := range map[string]*ledger{"never reported": {}, "unreadable ledger": {getErr: errors.New("store down")}} {
		g := &fakeDeploy{accepted: []string{"Failed"}}
		out, err := newReporter(t, g, &sleeps).Deliver(t.Context(), reporter.Report{RunID: "run-1", Trigger: deploy}, other, now)
		if err != nil || !out.Late {
			t.Errorf("%s: %+v, %v; want late", name, out, err)
		}
	}
	// A mark that cannot be written leaves the report sent.
	h := &fakeDeploy{}
	out, err = newReporter(t, h, &sleeps).Deliver(t.Context(), reporter.Report{RunID: "run-1", Trigger: deploy}, &ledger{markErr: errors.New("store down")}, now)
	if err != nil || len(h.accepted) != 1 {
		t.Errorf("unmarked report: %+v, %v, accepted %v", out, err, h.accepted)
	}
}

func TestDestination(t *testing.T) {
	for _, tt := range []struct {
		t    trigger.Trigger
		want string
		err  string
	}{
		{deploy, reporter.ToCodeDeploy, ""},
		{job, reporter.ToCodePipeline, ""},
		{trigger.Trigger{Type: trigger.Schedule}, reporter.ToNone, ""},
		{trigger.Trigger{Type: trigger.CodeDeploy}, "", "without deploymentId"},
		{trigger.Trigger{Type: trigger.CodePipeline}, "", "without jobId"},
		{trigger.Trigger{Type: "carrier-pigeon"}, "", `"carrier-pigeon"`},
		{trigger.Trigger{Type: trigger.ECS, DeploymentID: "arn:aws:ecs:us-west-2:1:service-deployment/c/s/d", Stage: trigger.PostTestTrafficShift}, reporter.ToECS, ""},
		{trigger.Trigger{Type: trigger.ECS}, "", "without deploymentId and stage"},
	} {
		got, err := reporter.Destination(tt.t)
		if got != tt.want || (tt.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("Destination(%+v) = %q, %v; want %q, %q", tt.t, got, err, tt.want, tt.err)
		}
	}
}

// An ECS verdict is answered by the hook when ECS invokes it again: the
// reporter sends nothing, and the gate leaves it to the hook as it does a
// CodePipeline job's.
func TestECSIsAnsweredByTheHook(t *testing.T) {
	f := &fakeDeploy{}
	var sleeps []time.Duration
	r := newReporter(t, f, &sleeps)
	out, err := r.Send(t.Context(), reporter.Report{RunID: "ecs-1", Succeeded: true,
		Trigger: trigger.Trigger{Type: trigger.ECS, DeploymentID: "arn:aws:ecs:us-west-2:1:service-deployment/c/s/d", Stage: trigger.PostTestTrafficShift}})
	if err != nil || out.To != reporter.ToECS || out.Attempts != 0 || f.calls != 0 {
		t.Errorf("Send = %+v, %v after %d calls; want ecs, nothing sent", out, err, f.calls)
	}
	if !reporter.AnsweredByHook(reporter.ToECS) || !reporter.AnsweredByHook(reporter.ToCodePipeline) || reporter.AnsweredByHook(reporter.ToCodeDeploy) {
		t.Error("AnsweredByHook: want ecs and codepipeline, not codedeploy")
	}
}

func TestPipelineMessage(t *testing.T) {
	v := gate.Decide(gate.Input{Fault: strings.Repeat("connection refused ", 600)})
	loc := reporter.LocationOf("reports-bucket", "eu-west-1", reporter.ReportKey("staging", "cp-1"))
	msg := reporter.PipelineMessage("cp-1", v, &loc)
	want := "journeygate run cp-1 (evidence: journeygate show cp-1; report: s3://reports-bucket/reports/staging/cp-1.html (https://eu-west-1.console.aws.amazon.com/s3/object/reports-bucket?region=eu-west-1&prefix=reports%2Fstaging%2Fcp-1.html)): Failed"
	if !strings.HasPrefix(msg, want) {
		t.Errorf("message %.400q\nwant it to start %q", msg, want)
	}
	if n := len([]rune(msg)); n > reporter.MaxPipelineMessage {
		t.Errorf("message has %d characters, CodePipeline allows %d", n, reporter.MaxPipelineMessage)
	}
	if plain := reporter.PipelineMessage("cp-1", v, nil); !strings.HasPrefix(plain, "journeygate run cp-1 (evidence: journeygate show cp-1): Failed") {
		t.Errorf("message without a report: %.200q", plain)
	}
}
