package handler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/store"
)

// ErrNotDecided means the run has no verdict yet: it is still running, or
// its gate never ran. Redecide re-evaluates finished runs only.
var ErrNotDecided = errors.New("run has no verdict yet")

// Redecision is what Redecide did.
type Redecision struct {
	RunID string `json:"runId"`
	// Previous is the verdict recorded before; Verdict is the one in force.
	Previous gate.Verdict `json:"previous"`
	Verdict  gate.Verdict `json:"verdict"`
	// Changed is true when this re-decision replaced the recorded verdict;
	// the replaced one is kept in the run's revisions.
	Changed bool `json:"changed"`
	// Reported names where the verdict was sent: "codedeploy",
	// "codepipeline" or "none".
	Reported string `json:"reported"`
	// AlreadyReported is true when the deployment already had a status, so
	// nothing new reached it (it was reported before: never twice).
	AlreadyReported bool `json:"alreadyReported,omitempty"`
	// NotReported says why a deployment run's verdict could not be sent.
	NotReported string `json:"notReported,omitempty"`
}

// Redecide re-evaluates a finished run with the same decision (gate.Decide)
// and the policy inputs of now: the overrides recorded for its deployment
// and the environment's health. The run's recorded faults still count, as
// they are not in the store.
//
// Only a Failed verdict is ever replaced, and only by a Succeeded one (an
// override, or an environment no longer frozen): the replacement goes
// through store.VerdictReviser, which keeps the replaced verdict with when,
// by (who re-decided) and why; a Succeeded verdict stands, since the
// deployment may already have acted on it. The verdict in force is then
// reported like the gate reports it: a CodeDeploy hook still waiting
// receives it now; one that already has a status answers
// LifecycleEventAlreadyCompleted, which counts as done, so it never
// receives two reports. A changed verdict writes its metrics (GateOverridden
// when overridden) and a Run Completed event with Redecided set.
func (h *Handler) Redecide(ctx context.Context, runID, by string) (Redecision, error) {
	out := Redecision{RunID: runID, Reported: ReportedNone}
	if err := store.ValidateRunID(runID); err != nil {
		return out, err
	}
	reviser, ok := h.store.(store.VerdictReviser)
	if !ok {
		return out, fmt.Errorf("re-deciding run %s: the store cannot revise verdicts", runID)
	}
	rec, results, err := store.LoadRun(ctx, h.store, runID)
	if err != nil {
		return out, fmt.Errorf("re-deciding run %s: %w", runID, err)
	}
	if rec.Verdict == nil {
		return out, fmt.Errorf("re-deciding run %s: %w (still running?)", runID, ErrNotDecided)
	}
	in := flow.Input{RunID: rec.ID, Environment: rec.Environment, Trigger: rec.Trigger}
	log := h.log.With("run", runID, "environment", rec.Environment, "trigger", rec.Trigger.Type, "redecide", true)
	out.Previous, out.Verdict = *rec.Verdict, *rec.Verdict

	faults := []string{}
	if f := gate.RunFaults(*rec.Verdict); f != "" {
		faults = append(faults, f)
	}
	policy := h.policy(ctx, rec, in, log)
	v := gate.Decide(gate.Input{Planned: rec.Planned, Results: results, Fault: strings.Join(faults, "; "), Policy: policy})

	if rec.Verdict.Status != gate.Succeeded && v.Status == gate.Succeeded {
		err := reviser.ReviseVerdict(ctx, runID, len(rec.Revisions), v, h.now().UTC(), by, revisionWhy(v))
		switch {
		case err == nil:
			out.Verdict, out.Changed = v, true
			h.countAs(in, v, true, log)
			log.Info("verdict replaced", append([]any{"previous", rec.Verdict.Status, "status", v.Status, "by", by}, verdictLogFields(runID, v)...)...)
		case errors.Is(err, store.ErrConflict):
			// Another re-decision got there first: report what it recorded.
			now, gerr := h.store.GetRun(ctx, runID)
			if gerr != nil || now.Verdict == nil {
				return out, fmt.Errorf("re-deciding run %s: %w (and re-reading it: %v)", runID, err, gerr)
			}
			out.Verdict = *now.Verdict
		default:
			// An override whose use cannot be recorded does not apply.
			return out, fmt.Errorf("re-deciding run %s: recording the new verdict: %w", runID, err)
		}
	}

	resp := flow.GateResponse{RunID: runID, Status: string(out.Verdict.Status), Summary: out.Verdict.Summary, Reported: ReportedNone}
	var rerr error
	to, derr := destination(in.Trigger)
	switch {
	case !in.Trigger.Reports():
	case derr != nil:
		out.NotReported = "the run recorded nowhere to report to: " + derr.Error()
	case to == ReportedByHook:
		// The deployment service asks the hook again (a continuation token,
		// an IN_PROGRESS answer); the hook answers from the verdict now in
		// force.
		out.Reported, resp.Reported = ReportedByHook, ReportedByHook
	default:
		out.Reported = string(in.Trigger.Type)
		resp.Reported = out.Reported
		var sent reporter.Outcome
		sent, rerr = h.send(ctx, in, out.Verdict, log)
		out.AlreadyReported = sent.AlreadyCompleted
		resp.AlreadyReported = out.AlreadyReported
	}
	if out.Changed || (out.Reported != ReportedNone && !out.AlreadyReported) {
		h.publishRedecided(ctx, in, out.Verdict, resp, rerr, out.Changed, log)
	}
	if rerr != nil {
		log.Error("re-decided verdict not reported", "status", out.Verdict.Status, "err", rerr)
		return out, rerr
	}
	log.Info("re-decided verdict reported", append([]any{"status", out.Verdict.Status, "changed", out.Changed, "reported", out.Reported, "alreadyReported", out.AlreadyReported}, verdictLogFields(runID, out.Verdict)...)...)
	return out, nil
}

// revisionWhy says why a re-decision replaced a Failed verdict.
func revisionWhy(v gate.Verdict) string {
	if o := v.Overridden; o != nil {
		return fmt.Sprintf("overridden by %s (recorded %s, until %s): %s",
			o.By, o.At.UTC().Format(time.RFC3339), o.ExpiresAt.UTC().Format(time.RFC3339), o.Reason)
	}
	return "re-decided without an override: " + v.Summary
}

// publishRedecided publishes the Run Completed event of a re-decision.
func (h *Handler) publishRedecided(ctx context.Context, in flow.Input, v gate.Verdict, resp flow.GateResponse, rerr error, changed bool, log *slog.Logger) {
	if h.events == nil {
		return
	}
	detail := runCompleted(in, v, resp, rerr)
	detail.Redecided = changed
	if err := h.events.Put(ctx, flow.DetailRunCompleted, detail); err != nil {
		log.Error("run-completed event not published", "bus", h.events.Bus(), "err", err)
	}
}
