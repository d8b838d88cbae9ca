package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"

	gatefn "github.com/journeygate/journeygate/functions/gate/handler"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/metrics/metricstest"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/awslocal"
	"github.com/journeygate/journeygate/test/dynalite"
)

// policyEnvs: staging has the default freeze (on, 30m); canary turns it off.
const policyEnvs = `environments:
  staging:
    targets: {alertmanager: "http://127.0.0.1:1"}
  canary:
    targets: {alertmanager: "http://127.0.0.1:1"}
    gate: {freeze: {enabled: false}}
`

var policyTables atomic.Int64

// policyWorld is the gate on the DynamoDB store (dynalite) reporting to the
// local CodeDeploy endpoint, with events and metrics captured.
type policyWorld struct {
	store   *dynamo.Store
	cd      *awslocal.CodeDeploy
	cp      *awslocal.CodePipeline
	events  *fakeEvents
	metrics *bytes.Buffer
	gate    *gatefn.Handler
}

func newPolicyWorld(t *testing.T, db *dynalite.Server) *policyWorld {
	t.Helper()
	client := db.Client()
	table := "policies-" + strconv.FormatInt(policyTables.Add(1), 10)
	if err := dynamo.CreateTable(t.Context(), client, table); err != nil {
		t.Fatal(err)
	}
	envs, err := envconfig.Parse("envs.yaml", []byte(policyEnvs), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	w := &policyWorld{
		store: dynamo.New(client, table), cd: awslocal.StartCodeDeploy(t), cp: awslocal.StartCodePipeline(t),
		events: &fakeEvents{}, metrics: &bytes.Buffer{},
	}
	// One attempt per call: a failing report is not retried by the SDK.
	oneTry := func(o *codedeploy.Options) { o.RetryMaxAttempts = 1 }
	w.gate, err = gatefn.New(w.store, w.cd.Client(oneTry), w.cp.Client(),
		gatefn.WithEvents(w.events, "journeygate-bus"),
		gatefn.WithEnvironments(envs),
		gatefn.WithMetrics(&metrics.Emitter{W: w.metrics, Now: func() time.Time { return metricsClock }}),
		gatefn.WithRetry(1, time.Millisecond, nil))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// deployRun records a CodeDeploy run of deployment dep in env with results
// from results(runID), and returns the gate request for it.
func (w *policyWorld) deployRun(t *testing.T, runID, env, dep string, results func(run string) []journey.Result) flow.GateRequest {
	t.Helper()
	hook := "hook-" + runID
	w.cd.AddDeployment(dep, awslocal.Deployment{Application: "incident-pipeline", Group: "alertmanager-" + env, HookExecutionIDs: []string{hook}})
	req := flow.GateRequest{
		Input: flow.Input{RunID: runID, Environment: env, Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: dep, LifecycleEventHookExecutionID: hook}},
		Plan: &flow.Plan{RunID: runID, Environment: env, Journeys: []flow.PlannedJourney{
			{Name: "alert-to-notification", Mode: journey.ModeEnforce, Tier: journey.TierGlobal},
			{Name: "resolve-lifecycle", Mode: journey.ModeEnforce, Tier: journey.TierGlobal},
		}},
	}
	w.record(t, store.RunRecord{ID: runID, Environment: env, Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: dep, LifecycleEventHookExecutionID: hook}, StartedAt: time.Now().UTC()}, results(runID)...)
	return req
}

// scheduledRun records a scheduled run of env whose global journey results
// come from results(runID), started ago.
func (w *policyWorld) scheduledRun(t *testing.T, runID, env string, ago time.Duration, results func(run string) []journey.Result) {
	t.Helper()
	started := time.Now().UTC().Add(-ago)
	rs := results(runID)
	for i := range rs {
		rs[i].Environment, rs[i].StartedAt = env, started
	}
	w.record(t, store.RunRecord{ID: runID, Environment: env, Trigger: trigger.Trigger{Type: trigger.Schedule}, StartedAt: started}, rs...)
}

func (w *policyWorld) record(t *testing.T, run store.RunRecord, results ...journey.Result) {
	t.Helper()
	run.Planned = []gate.Planned{{Name: "alert-to-notification", Mode: journey.ModeEnforce}, {Name: "resolve-lifecycle", Mode: journey.ModeEnforce}}
	if err := w.store.CreateRun(t.Context(), run); err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		r.Environment = run.Environment
		if err := w.store.PutResult(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func (w *policyWorld) invoke(t *testing.T, req flow.GateRequest) (flow.GateResponse, error) {
	t.Helper()
	b, err := lambda.NewHandler(w.gate.Handle).Invoke(context.Background(), encode(t, req))
	if err != nil {
		return flow.GateResponse{}, err
	}
	var resp flow.GateResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	return resp, nil
}

func (w *policyWorld) verdict(t *testing.T, runID string) store.RunRecord {
	t.Helper()
	rec, err := w.store.GetRun(t.Context(), runID)
	if err != nil || rec.Verdict == nil {
		t.Fatalf("GetRun(%s) = %+v, %v; want a recorded verdict", runID, rec, err)
	}
	return rec
}

func healthyResults(run string) []journey.Result {
	return []journey.Result{passed(run, "alert-to-notification"), passed(run, "resolve-lifecycle")}
}

func failingResults(run string) []journey.Result {
	return []journey.Result{passed(run, "alert-to-notification"), failedAtStep2(run, "resolve-lifecycle")}
}

func reports(cd *awslocal.CodeDeploy, dep string) []string {
	var out []string
	for _, r := range cd.Reports() {
		if r.DeploymentID == dep {
			out = append(out, r.Status)
		}
	}
	return out
}

// gateRecord returns the one gate metric record in out.
func gateRecord(t *testing.T, out []byte) metricstest.Record {
	t.Helper()
	recs := metricstest.Parse(t, out)
	if len(recs) != 1 {
		t.Fatalf("%d records, want one:\n%s", len(recs), out)
	}
	return recs[0]
}

func TestGateFreezeOnDynamo(t *testing.T) {
	db := dynalite.Start(t)
	w := newPolicyWorld(t, db)

	// The environment's latest scheduled run of a global journey failed 5
	// minutes ago (an older one passed): a deployment gate is frozen.
	w.scheduledRun(t, "sched-old", "staging", 20*time.Minute, healthyResults)
	w.scheduledRun(t, "sched-new", "staging", 5*time.Minute, failingResults)
	req := w.deployRun(t, "cd-frozen", "staging", "d-frozen", healthyResults)
	resp, err := w.invoke(t, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != "Failed" {
		t.Fatalf("response %+v, want Failed: the environment is unhealthy", resp)
	}
	if got := reports(w.cd, "d-frozen"); !slices.Equal(got, []string{"Failed"}) {
		t.Errorf("CodeDeploy reports %v, want exactly one Failed", got)
	}
	rec := w.verdict(t, "cd-frozen")
	if len(rec.Verdict.Reasons) != 1 {
		t.Fatalf("reasons %+v, want the freeze alone (the run's own journeys passed)", rec.Verdict.Reasons)
	}
	r := rec.Verdict.Reasons[0]
	if r.Policy != gate.PolicyFreeze || r.Run != "sched-new" || !r.Blocking {
		t.Errorf("reason %+v, want a blocking freeze pointing at sched-new", r)
	}
	for _, want := range []string{"environment staging is frozen", "global journey resolve-lifecycle", "run sched-new", "step 2/2 (notification delivered)", "journeygate show sched-new"} {
		if !strings.Contains(r.Message, want) || !strings.Contains(resp.Summary, want) {
			t.Errorf("reason and summary should contain %q:\n%s\n%s", want, r.Message, resp.Summary)
		}
	}
	if d := w.events.details; len(d) != 1 || d[0].Status != "Failed" || len(d[0].Reasons) != 1 || d[0].Reasons[0].Policy != gate.PolicyFreeze || d[0].Inspect != "journeygate show cd-frozen" {
		t.Errorf("events %+v", d)
	}

	// The scheduled runs themselves are never frozen.
	w.scheduledRun(t, "sched-gate", "staging", time.Minute, healthyResults)
	sreq := flow.GateRequest{Input: flow.Input{RunID: "sched-gate", Environment: "staging", Trigger: trigger.Trigger{Type: trigger.Schedule, Source: "global"}}}
	if sresp, err := w.invoke(t, sreq); err != nil || sresp.Status != "Succeeded" || sresp.Reported != "none" {
		t.Errorf("scheduled run: %+v, %v; want Succeeded, reported nowhere", sresp, err)
	}
	// Now that the latest scheduled run passed, deployments go again.
	if resp, err := w.invoke(t, w.deployRun(t, "cd-after", "staging", "d-after", healthyResults)); err != nil || resp.Status != "Succeeded" {
		t.Errorf("after recovery: %+v, %v; want Succeeded", resp, err)
	}

	// An environment with the freeze switched off is not frozen.
	w.scheduledRun(t, "sched-canary", "canary", time.Minute, failingResults)
	if resp, err := w.invoke(t, w.deployRun(t, "cd-canary", "canary", "d-canary", healthyResults)); err != nil || resp.Status != "Succeeded" {
		t.Errorf("freeze off: %+v, %v; want Succeeded", resp, err)
	}
}

func TestGateOverrideOnDynamo(t *testing.T) {
	db := dynalite.Start(t)
	w := newPolicyWorld(t, db)
	now := time.Now().UTC()
	o := gate.Override{Deployment: "d-over", By: "alice", Reason: "INC-42: resolve-lifecycle broken by a known test-data issue", At: now.Add(-time.Minute), ExpiresAt: now.Add(time.Hour)}
	if err := w.store.PutOverride(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	expired := gate.Override{Deployment: "d-expired", By: "bob", Reason: "yesterday's", At: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
	if err := w.store.PutOverride(t.Context(), expired); err != nil {
		t.Fatal(err)
	}

	resp, err := w.invoke(t, w.deployRun(t, "cd-over", "staging", "d-over", failingResults))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != "Succeeded" || !strings.HasPrefix(resp.Summary, "Succeeded: overridden by alice") || !strings.Contains(resp.Summary, "resolve-lifecycle step 2/2") {
		t.Fatalf("response %+v, want Succeeded by alice's override, naming what it overrode", resp)
	}
	if got := reports(w.cd, "d-over"); !slices.Equal(got, []string{"Succeeded"}) {
		t.Errorf("CodeDeploy reports %v, want exactly one Succeeded", got)
	}
	// The verdict records the override and keeps the failure it overrode.
	v := w.verdict(t, "cd-over").Verdict
	if v.Status != gate.Succeeded || v.Overridden == nil || v.Overridden.By != "alice" || v.Overridden.Reason != o.Reason ||
		!v.Overridden.At.Equal(o.At) || !v.Overridden.ExpiresAt.Equal(o.ExpiresAt) {
		t.Errorf("verdict %+v, want alice's override with its times", v)
	}
	if len(v.Reasons) != 1 || v.Reasons[0].Journey != "resolve-lifecycle" || !v.Reasons[0].Blocking || v.Blocking != 1 {
		t.Errorf("overridden reasons %+v, want the blocking failure kept", v.Reasons)
	}
	// The event says so.
	d := w.events.details
	if len(d) != 1 || d[0].Status != "Succeeded" || d[0].Overridden == nil || d[0].Overridden.By != "alice" || d[0].Overridden.Reason != o.Reason || len(d[0].Reasons) != 1 {
		t.Errorf("event %+v, want Succeeded with the override and the overridden reason", d)
	}
	// And the metric.
	m := gateRecord(t, w.metrics.Bytes())
	if m.Values[metrics.GateOverridden] != 1 || m.Values[metrics.GateFailed] != 0 || m.Dim("Status") != "Succeeded" {
		t.Errorf("metric values %v status %q, want GateOverridden 1, GateFailed 0", m.Values, m.Dim("Status"))
	}

	// An expired override does not apply.
	resp, err = w.invoke(t, w.deployRun(t, "cd-expired", "staging", "d-expired", failingResults))
	if err != nil || resp.Status != "Failed" {
		t.Errorf("expired override: %+v, %v; want Failed", resp, err)
	}
	if rec := w.verdict(t, "cd-expired"); rec.Verdict.Overridden != nil {
		t.Errorf("expired override applied: %+v", rec.Verdict.Overridden)
	}
}

func TestGateRedecideAfterFailureOnDynamo(t *testing.T) {
	db := dynalite.Start(t)
	w := newPolicyWorld(t, db)
	req := w.deployRun(t, "cd-late", "staging", "d-late", failingResults)

	// The gate decides Failed, but its report does not reach CodeDeploy:
	// the hook is still waiting.
	w.cd.FailNext(1, "InternalFailure", "CodeDeploy is having a bad day")
	if _, err := w.invoke(t, req); err == nil {
		t.Fatal("want a ReportError")
	}
	if got := reports(w.cd, "d-late"); len(got) != 0 {
		t.Fatalf("reports %v, want none yet", got)
	}
	if rec := w.verdict(t, "cd-late"); rec.Verdict.Status != gate.Failed {
		t.Fatalf("recorded %s, want Failed", rec.Verdict.Status)
	}

	// Someone overrides, then re-decides.
	now := time.Now().UTC()
	o := gate.Override{Deployment: "d-late", By: "alice", Reason: "known issue, INC-7", At: now, ExpiresAt: now.Add(time.Hour)}
	if err := w.store.PutOverride(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	w.metrics.Reset()
	out, err := w.gate.Redecide(t.Context(), "cd-late", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if !out.Changed || out.Previous.Status != gate.Failed || out.Verdict.Status != gate.Succeeded || out.Reported != "codedeploy" || out.AlreadyReported {
		t.Fatalf("redecision %+v", out)
	}
	if got := reports(w.cd, "d-late"); !slices.Equal(got, []string{"Succeeded"}) {
		t.Errorf("reports %v, want exactly one Succeeded", got)
	}
	rec := w.verdict(t, "cd-late")
	if rec.Verdict.Status != gate.Succeeded || rec.Verdict.Overridden == nil || rec.Verdict.Overridden.By != "alice" {
		t.Errorf("recorded verdict %+v", rec.Verdict)
	}
	if len(rec.Revisions) != 1 || rec.Revisions[0].Verdict.Status != gate.Failed || rec.Revisions[0].By != "bob" || !strings.Contains(rec.Revisions[0].Why, "overridden by alice") || !strings.Contains(rec.Revisions[0].Why, "INC-7") {
		t.Errorf("revisions %+v, want the Failed verdict kept, replaced by bob because of alice's override", rec.Revisions)
	}
	// The run was counted when first decided: the re-decision is a
	// revision, not a second decided run (nor a second failure).
	if m := gateRecord(t, w.metrics.Bytes()); m.Values[metrics.GateOverridden] != 1 || m.Values[metrics.GateRevisions] != 1 ||
		m.Values[metrics.GateVerdicts] != 0 || m.Values[metrics.GateFailed] != 0 {
		t.Errorf("re-decision metric %v, want GateOverridden 1, GateRevisions 1, GateVerdicts 0, GateFailed 0", m.Values)
	}
	last := w.events.details[len(w.events.details)-1]
	if !last.Redecided || last.Overridden == nil || last.Status != "Succeeded" {
		t.Errorf("re-decision event %+v", last)
	}

	// Deciding again reports nothing new: the hook has its status.
	again, err := w.gate.Redecide(t.Context(), "cd-late", "bob")
	if err != nil || again.Changed || !again.AlreadyReported || again.Verdict.Status != gate.Succeeded {
		t.Errorf("second redecision %+v, %v", again, err)
	}
	if got := reports(w.cd, "d-late"); !slices.Equal(got, []string{"Succeeded"}) {
		t.Errorf("reports %v after deciding twice, want exactly one Succeeded", got)
	}
	// A retried gate invocation reports the revised verdict, not a new one.
	if resp, err := w.invoke(t, req); err != nil || resp.Status != "Succeeded" || !resp.AlreadyDecided || !resp.AlreadyReported {
		t.Errorf("retried gate %+v, %v", resp, err)
	}
	if got := reports(w.cd, "d-late"); len(got) != 1 {
		t.Errorf("reports %v, want one", got)
	}
}

func TestRedecideRefusals(t *testing.T) {
	db := dynalite.Start(t)
	w := newPolicyWorld(t, db)
	if _, err := w.gate.Redecide(t.Context(), "nope", "bob"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown run: %v, want ErrNotFound", err)
	}
	w.record(t, store.RunRecord{ID: "running", Environment: "staging", Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-r"}, StartedAt: time.Now().UTC()})
	if _, err := w.gate.Redecide(t.Context(), "running", "bob"); !errors.Is(err, gatefn.ErrNotDecided) {
		t.Errorf("undecided run: %v, want ErrNotDecided", err)
	}
	// A Succeeded verdict stands, and a Failed one without an override stays Failed.
	req := w.deployRun(t, "cd-ok", "staging", "d-ok", healthyResults)
	if _, err := w.invoke(t, req); err != nil {
		t.Fatal(err)
	}
	if out, err := w.gate.Redecide(t.Context(), "cd-ok", "bob"); err != nil || out.Changed || out.Verdict.Status != gate.Succeeded || !out.AlreadyReported {
		t.Errorf("succeeded run: %+v, %v", out, err)
	}
	req = w.deployRun(t, "cd-bad", "staging", "d-bad", failingResults)
	if _, err := w.invoke(t, req); err != nil {
		t.Fatal(err)
	}
	if out, err := w.gate.Redecide(t.Context(), "cd-bad", "bob"); err != nil || out.Changed || out.Verdict.Status != gate.Failed {
		t.Errorf("failed run without override: %+v, %v", out, err)
	}
	if rec := w.verdict(t, "cd-bad"); len(rec.Revisions) != 0 {
		t.Errorf("revisions %+v, want none", rec.Revisions)
	}
}

// TestFailureNamesJourneyStepAndShowCommand: the gate's log line and the
// Run Completed event point at `journeygate show RUN_ID` and name the
// failing journey and step (the CodePipeline message, which the hook
// sends, is reporter.PipelineMessage's test).
func TestFailureNamesJourneyStepAndShowCommand(t *testing.T) {
	f := newFixture(t)
	var logs bytes.Buffer
	f.opts = append(f.opts, gatefn.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	req := decodeEvent(t, "gate-decide.json")
	run := req.Input.RunID
	f.record(t, req, failingResults(run)...)
	if _, err := f.invoke(t, nil, encode(t, req)); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "verdict reported" {
			line = m
		}
	}
	if line == nil || line["inspect"] != "journeygate show "+run || line["journey"] != "resolve-lifecycle" || line["step"] != "notification delivered" {
		t.Errorf("log line %v, want inspect, journey and step", line)
	}
	if d := f.events.details; len(d) != 1 || d[0].Inspect != "journeygate show "+run || d[0].Reasons[0].Step != "notification delivered" {
		t.Errorf("event %+v", d)
	}
}
