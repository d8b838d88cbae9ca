package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	gatehandler "github.com/journeygate/journeygate/functions/gate/handler"
	hookhandler "github.com/journeygate/journeygate/functions/hook/handler"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/awslocal"
	"github.com/journeygate/journeygate/test/faultproxy"
	"github.com/journeygate/journeygate/test/repo"
	"github.com/journeygate/journeygate/test/sfnlocal"
)

// verdictOverhead is the stated bound of the fault matrix: a row's verdict
// must reach the deployment within the summed SLAs of the journeys it runs
// plus this much. It covers what no SLA does: starting Node for
// aws-local-stepfunctions, the Plan and gate invocations and their
// DynamoDB calls (about 1.5 s each against a stopped dynalite, which the
// store row makes several of), cleanups, up to 2 s of step abandonment, the
// SDK's jittered backoff on a throttled report, and a loaded, shared
// two-core machine that makes all of that several times slower. A hang (a
// gate Task's 300 s timeout, a Lambda's 15 min) still fails it by far.
const verdictOverhead = 60 * time.Second

// hugeBody is what the "100 MB" front streams as every response body.
const hugeBody = 100 << 20

// hugeHeapBound bounds how far the process's heap may grow above where it
// was when the 100 MB row started: reading one whole body would need more
// than hugeBody, the journey HTTP client's 1 MiB limit needs about 2 MiB
// per request, and the rows running meanwhile need a few MiB each.
const hugeHeapBound = 64 << 20

// hugeWrittenBound bounds how much of one 100 MB body the front may write
// before the client hangs up: its 1 MiB read limit plus what loopback
// socket buffers hold (Linux's default maxima: 6 MiB received, 4 MiB
// sent).
const hugeWrittenBound = 16 << 20

// matrixReport is the file under repo.FiguresDir the table is also
// written to, for make test to print.
const matrixReport = "1-fault-matrix.txt"

// The journeys a row runs: a deployment whose AppSpec names a function no
// journey covers runs the global journeys; one naming alertmanager runs
// every journey (see the runner's planning rules).
var (
	globalJourneys = []string{"alert-to-notification", "resolve-lifecycle"}
	allJourneys    = []string{"alert-to-notification", "resolve-lifecycle", "alert-grouping", "silence-suppresses", "silence-through-ui"}
)

// wantReason is a reason the verdict must give: the journey ("" for the
// run's own fault, the gate's forced-failure path), its class and a text
// the reason's step or message must contain.
type wantReason struct {
	journey string
	class   journey.Outcome
	text    string
}

// faultRow is one fault of the matrix and what it must lead to.
type faultRow struct {
	fault string
	// options builds the world's options; r.front is set by a target it
	// starts.
	options optionsFunc
	// journeys are the journeys the run plans (nil: no run starts); their
	// summed SLAs plus verdictOverhead bound the seconds to verdict.
	journeys []string
	// event is what the hook receives (default: the CodeDeploy hook event
	// for the row's deployment).
	event func(r *rowRun) []byte
	// before runs once the world is up, before the event; afterHook once
	// the hook has returned.
	before, afterHook func(r *rowRun)
	// reportTo is where exactly one Failed report must land:
	// gatehandler's "codedeploy" or "codepipeline", or "none".
	reportTo string
	// hookErr, when set, is what the hook must say when it starts no
	// execution: in its error, or in its reason when it reported Failed
	// itself (and so returned no error, leaving Lambda nothing to retry).
	hookErr []string
	// ends is how the execution must end (default endsAtGate).
	ends ending
	// want are reasons the verdict must give (runs only).
	want []wantReason
	// check makes the row's own further checks.
	check func(t *testing.T, r *rowRun)
}

// ending is how a row's execution must end.
type ending int

const (
	// endsAtGate: the gate decides and reports (or leaves it to the hook,
	// for CodePipeline); the execution's output is its response.
	endsAtGate ending = iota
	// endsAtLastResort: Decide failed every attempt; the last resort
	// reported Failed through the hook, whose response is the output.
	endsAtLastResort
	// endsUnreported: nobody could report; the execution fails
	// (VerdictUnreported), which its ExecutionsFailed alarm pages.
	endsUnreported
)

// rowRun is one row's world and what happened in it.
type rowRun struct {
	t     *testing.T
	w     *world
	front *front
	// hookID identifies the lifecycle hook execution of the row's deployment.
	hookID string
	// elapsed is from the event to the verdict: the execution's end (the
	// gate reports before it returns) or, without one, the hook's return.
	elapsed time.Duration
	hookErr error
	out     flow.GateResponse
	event   *flow.RunCompleted
}

// matrixLine is one line of the printed table.
type matrixLine struct {
	fault, verdict, reports, class, evidence string
	seconds, bound                           time.Duration
	failed                                   bool
}

// TestFaultMatrix drives the real flow through every fault of issue 6 and
// prints what each led to: every row ends Failed with exactly one report
// (none only for an event the hook cannot use, and then its error says
// why), names the right class, and reaches the deployment within the
// summed SLAs of its journeys plus verdictOverhead.
//
// The table (t.Log, and matrixReport) has one line per row: VERDICT is
// the gate's (or the hook's, when it reported itself); REPORTS counts the
// accepted reports and where they went, with the refused report calls
// (throttled, or for a deployment CodeDeploy does not know); CLASS lists
// the classes of the verdict's blocking reasons, "(run fault)" when the
// gate's forced-failure path gave one, or the hook's error type; SECONDS
// runs from delivering the event to the end of the execution that
// reported the verdict (the gate reports before it returns), or to the
// hook's return; BOUND is the journeys' summed SLAs plus verdictOverhead.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	rows := faultRows()
	var (
		mu    sync.Mutex
		lines = map[string]matrixLine{}
	)
	t.Run("rows", func(t *testing.T) {
		for _, row := range rows {
			t.Run(row.fault, func(t *testing.T) {
				t.Parallel()
				line := matrixLine{fault: row.fault, verdict: "?", reports: "?", class: "?"}
				defer func() {
					line.failed = t.Failed()
					mu.Lock()
					lines[row.fault] = line
					mu.Unlock()
				}()
				runFaultRow(t, row, &line)
			})
		}
	})
	table := matrixTable(rows, lines)
	t.Logf("fault matrix (bound: summed SLAs + %s):\n%s", verdictOverhead, table)
	if err := repo.WriteFigures(matrixReport, fmt.Sprintf("fault matrix (test/contract TestFaultMatrix; bound: summed SLAs + %s):\n%s", verdictOverhead, table)); err != nil {
		t.Logf("fault matrix not written to %s: %v", matrixReport, err)
	}
}

func faultRows() []faultRow {
	// against puts target in front of Alertmanager (nil: none). The hook
	// adds no services, so the deployment's AppSpec decides the journeys.
	against := func(target func(r *rowRun, am string) string) optionsFunc {
		return func(r *rowRun) options {
			o := options{hookServices: []string{}}
			if target != nil {
				o.target = func(am string) string { return target(r, am) }
			}
			return o
		}
	}
	withFront := func(cfg frontFault) func(r *rowRun, am string) string {
		return func(r *rowRun, am string) string {
			r.front = startFront(r.t, am, cfg)
			return r.front.url
		}
	}
	both := func(class journey.Outcome, text string) []wantReason {
		return []wantReason{{"alert-to-notification", class, text}, {"resolve-lifecycle", class, text}}
	}
	return []faultRow{
		{
			// Nothing listens: a transport fault, retried once as class
			// error is, then still error.
			fault:    "target unreachable",
			options:  against(func(r *rowRun, _ string) string { return refusedTarget(r.t) }),
			journeys: globalJourneys, reportTo: "codedeploy",
			want: both(journey.Errored, "connection refused"),
			check: func(t *testing.T, r *rowRun) {
				for _, rs := range r.event.Reasons {
					if rs.Journey != "" && rs.Attempt != journey.DefaultMaxAttempts {
						t.Errorf("%s: the verdict is about attempt %d, want %d (class error is retried once)", rs.Journey, rs.Attempt, journey.DefaultMaxAttempts)
					}
				}
			},
		},
		{
			// The step's deadline ends the call: the target is too slow,
			// which is the SLA's business (shared/journey/http.go).
			fault:    "target accepts but never answers",
			options:  against(func(r *rowRun, _ string) string { return silentTarget(r.t) }),
			journeys: globalJourneys, reportTo: "codedeploy",
			want: both(journey.SLABreach, "alert accepted"),
		},
		{
			fault:    "target slower than the SLA",
			options:  against(withFront(frontFault{delay: 4 * time.Second})), // step 1's SLA is 3 s
			journeys: globalJourneys, reportTo: "codedeploy",
			want: both(journey.SLABreach, "alert accepted"),
		},
		{
			// Every answer is cut-off JSON. silence-suppresses decodes the
			// silence it created at once: failed. alert-to-notification
			// lists its alert inside journey.Eventually, where a wrong
			// answer is final: failed at once, naming the bad JSON.
			// resolve-lifecycle and alert-grouping read no target JSON and
			// pass.
			fault:    "target returns malformed JSON",
			options:  against(withFront(frontFault{malformed: true})),
			journeys: allJourneys, reportTo: "codedeploy",
			want: []wantReason{
				{"silence-suppresses", journey.Failed, "not the expected JSON"},
				{"alert-to-notification", journey.Failed, "not the expected JSON"},
			},
		},
		{
			// Every answer is a 100 MB body, streamed. The journey HTTP
			// client reads at most 1 MiB of it, so the journeys fail as in
			// the malformed row, naming the size limit, and memory stays
			// bounded.
			fault:    "target returns a body of 100 MB",
			options:  against(withFront(frontFault{huge: true})),
			journeys: allJourneys, reportTo: "codedeploy",
			want: []wantReason{
				{"silence-suppresses", journey.Failed, "body exceeds 1048576 bytes"},
				{"alert-to-notification", journey.Failed, "body exceeds 1048576 bytes"},
			},
			before: startHeapWatch,
			check:  checkHugeBodies,
		},
		{
			fault:    "the sink never receives the notification",
			options:  against(nil).wrap(func(o *options) { o.fault = "drop-notifications" }),
			journeys: globalJourneys, reportTo: "codedeploy",
			want: []wantReason{
				{"alert-to-notification", journey.SLABreach, "notification delivered"},
				{"resolve-lifecycle", journey.SLABreach, "firing notification delivered"},
			},
		},
		{
			// dynalite is stopped when the first alert reaches the target:
			// the run is planned and its journeys are under way. The
			// runners cannot record their results (StoreError, caught per
			// journey), the gate cannot read the run nor record a verdict,
			// and still reports Failed, once.
			fault:    "the store becomes unavailable mid-run",
			options:  against(withFront(frontFault{onAlert: func(w *world) { w.db.Stop() }})),
			journeys: globalJourneys, reportTo: "codedeploy",
			want: []wantReason{{"", journey.Errored, "StoreError"}},
			check: func(t *testing.T, r *rowRun) {
				if !r.front.alerted() {
					t.Error("no alert reached the target: dynalite was never stopped mid-run")
				}
			},
		},
		{
			fault: "a runner panics",
			options: against(nil).wrap(func(o *options) {
				o.wrapRunner = crashOn("alert-to-notification", func(ctx context.Context) { panic("runner crashed") })
			}),
			journeys: globalJourneys, reportTo: "codedeploy",
			want: []wantReason{
				{"", journey.Errored, "runner for journey alert-to-notification failed: string: runner crashed"},
				{"alert-to-notification", journey.Errored, "no result recorded"},
			},
		},
		{
			fault: "a runner exceeds its Lambda timeout",
			options: against(nil).wrap(func(o *options) {
				o.wrapRunner = crashOn("resolve-lifecycle", func(ctx context.Context) { <-ctx.Done() }) // hangs until the Lambda timeout ends it
				o.sfnOpts = []sfnlocal.Option{sfnlocal.WithTimeout("runner", runnerTimeout)}
			}),
			journeys: globalJourneys, reportTo: "codedeploy",
			want: []wantReason{
				{"", journey.Errored, "runner for journey resolve-lifecycle failed: " + sfnlocal.TimeoutErrorType},
				{"resolve-lifecycle", journey.Errored, "no result recorded"},
			},
		},
		{
			// Step Functions refuses the execution; the hook reports
			// Failed itself (failClosed) and returns success, saying so,
			// so Lambda's asynchronous retries start nothing.
			fault:    "starting the state machine fails",
			options:  against(nil),
			before:   func(r *rowRun) { r.w.sf.FailNext(1, "ExecutionLimitExceeded", "Execution limit exceeded") },
			reportTo: "codedeploy",
			hookErr:  []string{"starting run", "ExecutionLimitExceeded", "Failed reported: true"},
		},
		{
			// The target is unreachable so the verdict is Failed; its
			// report is throttled twice (the SDK's standard retryer and
			// the gate's own backoff both retry throttling), then accepted.
			fault:     "the CodeDeploy report is throttled twice, then accepted",
			options:   against(func(r *rowRun, _ string) string { return refusedTarget(r.t) }),
			journeys:  globalJourneys,
			afterHook: func(r *rowRun) { r.w.cd.ThrottleNext(2) }, // the gate's report is the next CodeDeploy call
			reportTo:  "codedeploy",
			want:      both(journey.Errored, "connection refused"),
			check: func(t *testing.T, r *rowRun) {
				var codes []string
				for _, q := range r.w.cd.Requests() {
					if q.Operation == "PutLifecycleEventHookExecutionStatus" {
						codes = append(codes, q.ErrorCode)
					}
				}
				if want := []string{"ThrottlingException", "ThrottlingException", ""}; !slices.Equal(codes, want) {
					t.Errorf("report calls answered %q, want %q", codes, want)
				}
			},
		},
		{
			// No lifecycle hook execution ID: there is nothing a report
			// could name, so none is sent and the error says why.
			fault:    "a malformed hook event",
			options:  against(nil),
			event:    func(r *rowRun) []byte { return []byte(`{"DeploymentId":"` + deploymentID + `"}`) },
			reportTo: "none",
			hookErr:  []string{"invalid hook event", "without LifecycleEventHookExecutionId"},
			check: func(t *testing.T, r *rowRun) {
				if q := r.w.cd.Requests(); len(q) != 0 {
					t.Errorf("the hook called CodeDeploy for an unusable event: %+v", q)
				}
			},
		},
		{
			// GetDeployment answers DeploymentDoesNotExistException. The
			// hook still tries to report Failed (a lookup may fail for a
			// deployment that exists), and CodeDeploy refuses a report for
			// a deployment it does not know; its error says both.
			fault:    "a hook event naming an unknown deployment",
			options:  against(nil),
			event:    func(r *rowRun) []byte { return codeDeployEventFor(r.t, "d-UNKNOWN01", r.hookID) },
			reportTo: "none",
			hookErr:  []string{"looking up deployment d-UNKNOWN01", "DeploymentDoesNotExistException", "Failed reported: false"},
			check: func(t *testing.T, r *rowRun) {
				var ops []string
				for _, q := range r.w.cd.Requests() {
					ops = append(ops, q.Operation+":"+q.ErrorCode)
				}
				want := []string{"GetDeployment:DeploymentDoesNotExistException", "PutLifecycleEventHookExecutionStatus:DeploymentDoesNotExistException"}
				if !slices.Equal(ops, want) {
					t.Errorf("CodeDeploy calls %q, want %q", ops, want)
				}
			},
		},
		{
			// A CodePipeline job naming a journey the registry lacks: the
			// Plan Task fails with UnknownJourneyError, the ForcedFailure
			// path hands that to the gate, and the job fails naming it.
			fault:   "an unknown journey",
			options: against(nil),
			before: func(r *rowRun) {
				r.w.cp.AddJob(faultJobID, pipelineJob)
			},
			event: func(r *rowRun) []byte {
				return event(r.t, "codepipeline-job.json", "c0d5e8b2-4a7f-4e0b-9d41-6f1b2c3d4e5f", faultJobID,
					`{\"environment\":\"staging\",\"services\":[\"alertmanager\"]}`, `{\"environment\":\"local\",\"journeys\":[\"no-such-journey\"]}`)
			},
			reportTo: "codepipeline",
			want:     []wantReason{{"", journey.Errored, `unknown journey "no-such-journey"`}},
			check: func(t *testing.T, r *rowRun) {
				if rs := r.w.cp.FinalReports(); len(rs) == 1 && !strings.Contains(rs[0].Message, "no-such-journey") {
					t.Errorf("the job's failure message does not name the unknown journey: %s", rs[0].Message)
				}
			},
		},
		{
			// The gate crashes outside its own panic guard on every
			// attempt (an out-of-memory kill looks like this): Decide is
			// retried, then its Catch hands the run to the last resort,
			// which reports Failed through the hook, once.
			fault: "the gate crashes on every attempt",
			options: against(func(r *rowRun, _ string) string { return refusedTarget(r.t) }).wrap(func(o *options) {
				o.wrapGate = func(sfnlocal.Handler) sfnlocal.Handler {
					return func(context.Context, json.RawMessage) (json.RawMessage, error) { panic("gate crashed") }
				}
				o.sfnOpts = []sfnlocal.Option{sfnlocal.WithRetryInterval(decideRetryWait)}
			}),
			journeys: globalJourneys, reportTo: "codedeploy", ends: endsAtLastResort,
			check: checkGateAttempts("Decide", flow.DecideRetryAttempts+1),
		},
		{
			// Every gate attempt outlives its Lambda timeout: each is
			// timed out and retried, then the last resort reports Failed.
			fault: "the gate outlives its timeout",
			options: against(func(r *rowRun, _ string) string { return refusedTarget(r.t) }).wrap(func(o *options) {
				o.wrapGate = func(sfnlocal.Handler) sfnlocal.Handler {
					return func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
						<-ctx.Done()
						return nil, ctx.Err()
					}
				}
				o.sfnOpts = []sfnlocal.Option{sfnlocal.WithTimeout("gate", gateTimeout), sfnlocal.WithRetryInterval(decideRetryWait)}
			}),
			journeys: globalJourneys, reportTo: "codedeploy", ends: endsAtLastResort,
			check: checkGateAttempts("Decide", flow.DecideRetryAttempts+1),
		},
		{
			// CodeDeploy answers every report with a 500: the gate's
			// reporter retries, Decide is retried, the last resort tries
			// too, and nobody can report. The execution fails
			// (VerdictUnreported) so its ExecutionsFailed alarm pages.
			fault:     "the CodeDeploy report answers 500 every time",
			options:   against(func(r *rowRun, _ string) string { return refusedTarget(r.t) }).wrap(func(o *options) { o.sfnOpts = []sfnlocal.Option{sfnlocal.WithRetryInterval(decideRetryWait)} }),
			journeys:  globalJourneys,
			afterHook: func(r *rowRun) { r.w.cd.FailNext(1000, "InternalFailure", "We encountered an internal error") },
			reportTo:  "none", ends: endsUnreported,
		},
	}
}

// runnerTimeout is the runner's Lambda timeout in the timeout row: short,
// yet far above what planning or a healthy alert-to-notification take.
const runnerTimeout = 5 * time.Second

// gateTimeout is the gate's Lambda timeout in the gate-timeout row.
const gateTimeout = 3 * time.Second

// decideRetryWait stands in for Decide's retry waits (5 s, then 10 s, with
// full jitter, on AWS) in the rows that fail the gate: the rows count
// attempts, not seconds. On AWS those rows take at most 15 s more.
const decideRetryWait = 200 * time.Millisecond

// faultJobID is the CodePipeline job of the unknown-journey row.
const faultJobID = "11111111-2222-3333-4444-0000000000f6"

// optionsFunc builds a row's world options.
type optionsFunc func(r *rowRun) options

// wrap returns the options of f adjusted by adjust.
func (f optionsFunc) wrap(adjust func(*options)) optionsFunc {
	return func(r *rowRun) options {
		o := f(r)
		adjust(&o)
		return o
	}
}

func runFaultRow(t *testing.T, row faultRow, line *matrixLine) {
	r := &rowRun{t: t, hookID: "hook-fault"}
	r.w = newWorld(t, row.options(r))
	if r.front != nil {
		r.front.setWorld(r.w)
	}
	function := "checkout" // covered by no journey: the global journeys run
	if len(row.journeys) > len(globalJourneys) {
		function = "alertmanager"
	}
	r.w.cd.AddDeployment(deploymentID, awslocal.Deployment{
		Application: "incident-pipeline", Group: "alertmanager-prod",
		FunctionName: function, Alias: "live", CurrentVersion: "41", TargetVersion: "42",
		HookExecutionIDs: []string{r.hookID},
	})
	if row.before != nil {
		row.before(r)
	}
	ev := codeDeployEventFor(t, deploymentID, r.hookID)
	if row.event != nil {
		ev = row.event(r)
	}

	start := time.Now()
	resp, err := r.w.invokeHook(ev)
	r.hookErr = err
	if row.afterHook != nil {
		row.afterHook(r)
	}
	if row.hookErr != nil {
		r.elapsed = time.Since(start)
		said := ""
		switch {
		case err != nil:
			line.verdict, line.class, said = "none: event rejected", hookErrorClass(err), err.Error()
		case resp.FailedReported:
			line.verdict, line.class, said = "Failed (by the hook)", "error (hook reported)", resp.Reason
		default:
			t.Fatalf("the hook accepted the event (run %s); want it to say %q", resp.RunID, row.hookErr)
		}
		line.evidence = said
		for _, s := range row.hookErr {
			if !strings.Contains(said, s) {
				t.Errorf("the hook does not say %q: %s", s, said)
			}
		}
		if n := len(r.w.sf.Executions()); n != 0 {
			t.Errorf("%d executions started; the hook failed, so none may run", n)
		}
	} else if row.ends != endsAtGate {
		if err != nil {
			t.Fatalf("hook: %v", err)
		}
		res := r.w.waitExecutions(1)[0]
		r.elapsed = time.Since(start)
		endPastTheGate(t, r, row, res, resp.RunID, line)
	} else {
		if err != nil {
			t.Fatalf("hook: %v", err)
		}
		res := r.w.waitExecutions(1)[0]
		if resp.Pipeline == hookhandler.PipelineInProgress {
			// CodePipeline invokes the hook again with the token until
			// the job gets its final result.
			answers := r.w.answerJob(resp, faultJobID, 100*time.Millisecond, 50)
			if last := answers[len(answers)-1]; last.Pipeline != hookhandler.PipelineFailed {
				t.Errorf("the job's final answer %+v, want failed", last)
			}
		}
		r.elapsed = time.Since(start)
		r.out = gateOutput(t, res)
		line.verdict = r.out.Status
		if r.out.Status != string(gate.Failed) {
			t.Errorf("verdict %s, want Failed: %s", r.out.Status, r.out.Summary)
		}
		completed := r.w.events.runCompleted()
		if len(completed) != 1 || completed[0].RunID != resp.RunID {
			t.Fatalf("Run Completed events %+v, want one for run %s", completed, resp.RunID)
		}
		r.event = &completed[0]
		wantReported := row.reportTo
		if wantReported == "codepipeline" {
			wantReported = gatehandler.ReportedByHook // the hook answers the job
		}
		if r.event.Status != string(gate.Failed) || r.event.Reported != wantReported {
			t.Errorf("Run Completed says %s, reported to %q; want Failed, reported to %q", r.event.Status, r.event.Reported, wantReported)
		}
		line.class, line.evidence = verdictClass(r.event.Reasons), r.out.Summary
		var text []string
		for _, rs := range r.event.Reasons {
			text = append(text, reasonText(rs))
		}
		t.Logf("reasons:\n  %s", strings.Join(text, "\n  "))
		checkReasons(t, row.want, r.event.Reasons)
		if planned := plannedJourneys(r); planned != nil && !slices.Equal(planned, sorted(row.journeys)) {
			t.Errorf("run planned %v, want %v", planned, row.journeys)
		}
	}

	var accepted int
	line.reports, accepted = checkReports(t, r, row.reportTo)
	if row.hookErr != nil && accepted > 0 {
		line.verdict = "Failed (by the hook)"
	}
	line.seconds = r.elapsed
	line.bound = slaSum(t, row.journeys) + verdictOverhead
	if r.elapsed > line.bound {
		t.Errorf("verdict after %s, over the bound of %s (summed SLAs %s + %s)", r.elapsed, line.bound, slaSum(t, row.journeys), verdictOverhead)
	}
	if row.check != nil {
		row.check(t, r)
	}
	if t.Failed() {
		t.Logf("dynalite at %s, last output:\n%s", r.w.db.Endpoint, r.w.db.Output())
	}
}

// endPastTheGate checks an execution that ended after the gate failed:
// the last resort's answer, or the VerdictUnreported failure.
func endPastTheGate(t *testing.T, r *rowRun, row faultRow, res sfnlocal.Result, runID string, line *matrixLine) {
	t.Helper()
	r.out.RunID = runID
	switch row.ends {
	case endsAtLastResort:
		line.class = "error (gate failed: last resort)"
		if res.Status != sfnlocal.StatusSucceeded {
			t.Fatalf("execution %s (%s: %s); want the last resort to end it", res.Status, res.Error, res.Cause)
		}
		var out hookhandler.Response
		if err := json.Unmarshal(res.Output, &out); err != nil || !out.FailedReported || out.RunID != runID {
			t.Fatalf("execution output %s (%v): want the hook's last-resort answer for run %s", res.Output, err, runID)
		}
		line.verdict, line.evidence = "Failed (last resort)", out.Reason
		if !strings.Contains(out.Reason, "the gate failed before reporting") {
			t.Errorf("last resort's reason %q does not say the gate failed", out.Reason)
		}
		rec, err := r.w.store.GetRun(context.Background(), runID)
		if err != nil || rec.Verdict == nil || rec.Verdict.Status != gate.Failed || rec.ReportedAt.IsZero() {
			t.Errorf("run %+v, %v: want a Failed verdict recorded and reported", rec, err)
		}
	case endsUnreported:
		line.class = "unreported (execution failed: pages)"
		line.verdict, line.evidence = "none: execution "+res.Status, res.Error+": "+res.Cause
		if res.Status != sfnlocal.StatusFailed || res.Error != "VerdictUnreported" {
			t.Fatalf("execution %s (%s: %s); want it failed with VerdictUnreported", res.Status, res.Error, res.Cause)
		}
	}
}

// checkGateAttempts asserts the state ran attempts times (its first try
// and each retry), as the definition's retry policy allows.
func checkGateAttempts(state string, attempts int) func(t *testing.T, r *rowRun) {
	return func(t *testing.T, r *rowRun) {
		t.Helper()
		if n := r.w.calls("gate"); n != attempts {
			t.Errorf("%s ran %d times, want %d (the first and %d retries)", state, n, attempts, attempts-1)
		}
		if n := r.w.calls(hookFunction); n != 1 {
			t.Errorf("the last resort ran %d times, want once", n)
		}
	}
}

// codeDeployEventFor is the sample CodeDeploy hook event for a deployment
// and hook execution.
func codeDeployEventFor(t *testing.T, deployment, hookID string) []byte {
	return event(t, "codedeploy-hook.json",
		"d-7GW8E5HQ2", deployment,
		"eyJlbmNyeXB0ZWREYXRhIjoiWjJ4dmRtVnVZMlZmYTJWNUxtbGtMbVY0WVcxd2JHVT0iLCJpdlBhcmFtZXRlclNwZWMiOiJtVDZ1dlZwQ1NGTnBHckZBIiwibWF0ZXJpYWxTZXRTZXJpYWwiOjF9", hookID)
}

// checkReports asserts exactly one Failed report reached where the row
// says (and nothing anywhere else), and renders the table's column.
func checkReports(t *testing.T, r *rowRun, to string) (string, int) {
	t.Helper()
	cd, cp := r.w.cd.Reports(), r.w.cp.FinalReports()
	continued := len(r.w.cp.Reports()) - len(cp)
	refused := 0
	for _, q := range append(r.w.cd.Requests(), r.w.cp.Requests()...) {
		if q.ErrorCode != "" && strings.HasPrefix(q.Operation, "Put") {
			refused++
		}
	}
	col := fmt.Sprint(len(cd) + len(cp))
	switch to {
	case "codedeploy":
		col += " CodeDeploy"
		if len(cd) != 1 || len(cp) != 0 {
			t.Errorf("%d CodeDeploy and %d CodePipeline reports, want exactly 1 to CodeDeploy: %+v %+v", len(cd), len(cp), cd, cp)
		} else if got := cd[0]; got.Status != "Failed" || got.DeploymentID != deploymentID || got.HookExecutionID != r.hookID {
			t.Errorf("report %+v, want Failed for hook %s of %s", got, r.hookID, deploymentID)
		}
	case "codepipeline":
		col += " CodePipeline"
		if len(cp) != 1 || len(cd) != 0 {
			t.Errorf("%d CodePipeline and %d CodeDeploy reports, want exactly 1 to CodePipeline: %+v %+v", len(cp), len(cd), cp, cd)
		} else if got := cp[0]; got.Success || !strings.HasPrefix(got.JobID, faultJobID) {
			t.Errorf("job result %+v, want a failure for job %s (or its continuation)", got, faultJobID)
		}
	default:
		if len(cd)+len(cp) != 0 {
			t.Errorf("reports %+v %+v for an event the hook could not use", cd, cp)
		}
	}
	if refused > 0 {
		col += fmt.Sprintf(" (%d refused)", refused)
	}
	if continued > 0 {
		col += fmt.Sprintf(" (after %d in progress)", continued)
	}
	return col, len(cd) + len(cp)
}

// checkReasons asserts every wanted reason is among the verdict's, with
// its class.
func checkReasons(t *testing.T, want []wantReason, got []gate.Reason) {
	t.Helper()
	for _, w := range want {
		found := slices.ContainsFunc(got, func(r gate.Reason) bool {
			return r.Blocking && r.Journey == w.journey && r.Outcome == w.class && strings.Contains(reasonText(r), w.text)
		})
		if !found {
			name := w.journey
			if name == "" {
				name = "the run's fault"
			}
			var have []string
			for _, r := range got {
				have = append(have, reasonText(r))
			}
			t.Errorf("no blocking reason for %s of class %s saying %q; reasons:\n  %s", name, w.class, w.text, strings.Join(have, "\n  "))
		}
	}
}

// reasonText renders a reason as one line: journey, step, class, message.
func reasonText(r gate.Reason) string {
	name := r.Journey
	if name == "" {
		name = "run fault"
	}
	if r.StepIndex > 0 {
		name += fmt.Sprintf(" step %d/%d (%s)", r.StepIndex, r.StepCount, r.Step)
	}
	return fmt.Sprintf("%s: %s: %s", name, r.Outcome, r.Message)
}

// verdictClass is the table's class column: the blocking reasons' classes,
// marked when the gate's forced-failure path (a run fault) gave one.
func verdictClass(reasons []gate.Reason) string {
	var classes []string
	fault := false
	for _, r := range reasons {
		if !r.Blocking {
			continue
		}
		if r.Journey == "" {
			fault = true
		}
		if c := string(r.Outcome); !slices.Contains(classes, c) {
			classes = append(classes, c)
		}
	}
	slices.Sort(classes)
	s := strings.Join(classes, ", ")
	if fault {
		s += " (run fault)"
	}
	return s
}

// hookErrorClass names the hook's error type for the table.
func hookErrorClass(err error) string {
	var (
		start   *hookhandler.StartError
		lookup  *hookhandler.LookupError
		invalid *hookhandler.InvalidEventError
	)
	switch {
	case errors.As(err, &start):
		return "error (hook: StartError)"
	case errors.As(err, &lookup):
		return "rejected (hook: LookupError)"
	case errors.As(err, &invalid):
		return "rejected (hook: InvalidEventError)"
	case err == nil:
		return "-"
	}
	return fmt.Sprintf("%T", err)
}

// plannedJourneys returns the run's planned journeys, sorted, or nil when
// the store cannot say (it is down, or nothing was planned).
func plannedJourneys(r *rowRun) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rec, err := r.w.store.GetRun(ctx, r.out.RunID)
	if err != nil || len(rec.Planned) == 0 {
		return nil
	}
	var names []string
	for _, p := range rec.Planned {
		names = append(names, p.Name)
	}
	return sorted(names)
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// slaSum sums the SLAs of the named journeys' steps.
func slaSum(t *testing.T, names []string) time.Duration {
	t.Helper()
	reg, err := journeys.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var d time.Duration
	for _, n := range names {
		j, ok := reg.Get(n)
		if !ok {
			t.Fatalf("no journey %q", n)
		}
		d += j.TotalSLA()
	}
	return d
}

// crashOn wraps the runner so that its invocation for the named journey
// runs do instead (panicking, or hanging until its context ends).
func crashOn(name string, do func(ctx context.Context)) func(sfnlocal.Handler) sfnlocal.Handler {
	return func(next sfnlocal.Handler) sfnlocal.Handler {
		return func(ctx context.Context, p json.RawMessage) (json.RawMessage, error) {
			if strings.Contains(string(p), `"journey":"`+name+`"`) {
				do(ctx)
				return nil, ctx.Err()
			}
			return next(ctx, p)
		}
	}
}

// matrixTable renders the rows in their order.
func matrixTable(rows []faultRow, lines map[string]matrixLine) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tVERDICT\tREPORTS\tCLASS\tSECONDS\tBOUND\tEVIDENCE")
	for _, row := range rows {
		l, ok := lines[row.fault]
		if !ok {
			continue // not selected by -run
		}
		mark := ""
		if l.failed {
			mark = "FAIL "
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%.1f\t%.0f\t%s\n", mark, l.fault, l.verdict, l.reports, l.class,
			l.seconds.Seconds(), l.bound.Seconds(), flow.Bound(strings.Join(strings.Fields(l.evidence), " "), 110))
	}
	tw.Flush()
	return b.String()
}

// refusedTarget returns a loopback URL whose port is bound but not
// listening, for as long as the test runs: every connection is refused,
// and no other process can take the port meanwhile.
func refusedTarget(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}

// silentTarget returns a loopback URL whose server accepts connections
// and never answers: it reads nothing and writes nothing.
func silentTarget(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// frontFault is how a front misbehaves.
type frontFault struct {
	// delay holds every request this long before forwarding it (or until
	// the caller gives up).
	delay time.Duration
	// malformed answers cut-off JSON in place of every body.
	malformed bool
	// huge answers a hugeBody-byte JSON array in place of every body.
	huge bool
	// onAlert runs, once, before the first alert is forwarded.
	onAlert func(w *world)
}

// front stands between the journeys and Alertmanager: it forwards every
// request, so what journeys do still happens, and answers the way its
// fault says.
type front struct {
	frontFault
	url      string
	upstream string
	client   *http.Client
	once     sync.Once

	mu       sync.Mutex
	w        *world
	sawAlert bool
	bodies   []servedBody
}

// servedBody is one huge body as the front served it.
type servedBody struct {
	written  int64
	complete bool
	// browser is set for a request of a browser journey's Chromium,
	// which loads a page whole, in its own process: the bounds on the
	// journeys' HTTP client do not apply to it.
	browser bool
}

// startFront starts cfg in front of upstream on a loopback port.
func startFront(t *testing.T, upstream string, cfg frontFault) *front {
	t.Helper()
	f := &front{frontFault: cfg, upstream: upstream,
		client: &http.Client{Timeout: 30 * time.Second}}
	srv := &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	f.url = "http://" + l.Addr().String()
	return f
}

// setWorld tells the front the world it serves, for onAlert.
func (f *front) setWorld(w *world) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.w = w
}

func (f *front) alerted() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sawAlert
}

func (f *front) served() []servedBody {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bodies)
}

func (f *front) serve(w http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return
		}
	}
	if req.Method == http.MethodPost && req.URL.Path == "/api/v2/alerts" {
		f.mu.Lock()
		f.sawAlert = true
		w := f.w
		f.mu.Unlock()
		if f.onAlert != nil {
			f.once.Do(func() { f.onAlert(w) })
		}
	}
	up, err := http.NewRequestWithContext(ctx, req.Method, f.upstream+req.URL.RequestURI(), req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	up.Header, up.ContentLength = req.Header.Clone(), req.ContentLength
	resp, err := f.client.Do(up)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	switch {
	case f.malformed:
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // replaced
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		io.WriteString(w, malformedBody) //nolint:errcheck // the caller may have gone
	case f.huge:
		io.Copy(io.Discard, resp.Body) //nolint:errcheck // replaced
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(hugeBody))
		w.WriteHeader(resp.StatusCode)
		n, err := io.Copy(w, faultproxy.ZeroArray(hugeBody))
		f.mu.Lock()
		f.bodies = append(f.bodies, servedBody{written: n, complete: err == nil && n == hugeBody, browser: strings.Contains(req.UserAgent(), "HeadlessChrome")})
		f.mu.Unlock()
	default:
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body) //nolint:errcheck // the caller may have gone
	}
}

// malformedBody is what the malformed front answers: JSON cut off.
const malformedBody = `{"silenceID": "3f1c", "alerts": [{"labels": {"alertname": `

// heapWatch samples the heap of the test process while a row runs.
type heapWatch struct {
	base, peak uint64
	stop       chan struct{}
	done       chan struct{}
}

var heapWatches sync.Map // *rowRun → *heapWatch

// startHeapWatch samples the Go heap (live and not yet collected objects)
// every 10 ms until the row's checks read it.
func startHeapWatch(r *rowRun) {
	h := &heapWatch{stop: make(chan struct{}), done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	h.base = read()
	h.peak = h.base
	go func() {
		defer close(h.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-tick.C:
				h.peak = max(h.peak, read())
			}
		}
	}()
	heapWatches.Store(r, h)
	r.t.Cleanup(func() {
		select {
		case <-h.stop:
		default:
			close(h.stop)
		}
		<-h.done
	})
}

// checkHugeBodies asserts the journeys' HTTP client never read a 100 MB
// body: the front served some, each was cut off by the client well before
// its end, and the test process's heap stayed within hugeHeapBound.
func checkHugeBodies(t *testing.T, r *rowRun) {
	v, _ := heapWatches.Load(r)
	h := v.(*heapWatch)
	close(h.stop)
	<-h.done
	bodies := r.front.served()
	if len(bodies) == 0 {
		t.Fatal("the front served no 100 MB body")
	}
	var most int64
	for _, b := range bodies {
		if b.browser {
			continue // Chromium's, not the journeys' HTTP client's
		}
		if b.complete {
			t.Errorf("a client read a whole %d-byte body", hugeBody)
		}
		most = max(most, b.written)
	}
	// The client reads 1 MiB + 1 byte; the rest of what the front could
	// write sits in loopback socket buffers when the client hangs up.
	if most > hugeWrittenBound {
		t.Errorf("the front wrote %.1f MiB of one body before the client hung up, over %d MiB", float64(most)/(1<<20), hugeWrittenBound>>20)
	}
	grew := int64(h.peak) - int64(h.base)
	t.Logf("%d bodies of 100 MB served; at most %.1f MiB of one written before the client hung up; heap peak %.1f MiB (%+.1f MiB)",
		len(bodies), float64(most)/(1<<20), float64(h.peak)/(1<<20), float64(grew)/(1<<20))
	if grew > hugeHeapBound {
		t.Errorf("the heap grew by %.1f MiB while 100 MB bodies were served, over %d MiB", float64(grew)/(1<<20), hugeHeapBound>>20)
	}
}
