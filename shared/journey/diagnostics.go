package journey

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Diagnostic is what a journey captures when one of its steps does not
// pass, to explain the failure beside it: the target's status and
// configuration, say. Its text is recorded as evidence of the failed step,
// labelled DiagnosticLabel + Name, redacted and bounded like all evidence.
type Diagnostic struct {
	// Name says what is captured, e.g. "alertmanager routes and receivers".
	Name string
	// Capture returns the text to record. It runs after the failed step,
	// before the cleanups, with ctx bounded by DiagnosticsBudget; its HTTP
	// exchanges are not kept as evidence. An error is recorded in place of
	// the text.
	Capture func(ctx context.Context, t *T) (string, error)
}

// DiagnosticLabel starts the label of a diagnostic's evidence.
const DiagnosticLabel = "diagnostic: "

// DiagnosticsBudget bounds all of an attempt's diagnostics together; it is
// part of the attempt's timeout when the journey declares any.
const DiagnosticsBudget = 5 * time.Second

// DiagnosticsTime is how long capturing what explains a failure may take
// in one attempt of j: DiagnosticsBudget when it declares Diagnostics, plus
// CaptureBudget for a browser journey (its screenshot and page, see
// T.OnFailure), else 0.
func (j Journey) DiagnosticsTime() time.Duration {
	var d time.Duration
	if len(j.Diagnostics) > 0 {
		d += DiagnosticsBudget
	}
	if j.Browser {
		d += CaptureBudget
	}
	return d
}

// diagnose runs the journey's diagnostics in order within
// DiagnosticsBudget and returns their evidence. A diagnostic still running
// when the budget ends is abandoned and the rest are not run.
func diagnose(ctx context.Context, t *T) []Evidence {
	ds := t.journey.Diagnostics
	if len(ds) == 0 || ctx.Err() != nil {
		return nil // a cancelled run ends without them
	}
	t.takeEvidence() // nothing of the failed step's is left; start clean
	defer t.takeEvidence()
	bctx, cancel := context.WithTimeout(ctx, DiagnosticsBudget)
	defer cancel()
	deadline, _ := bctx.Deadline()
	out := make([]Evidence, 0, len(ds))
	for _, d := range ds {
		label := t.redact(DiagnosticLabel + d.Name)
		left := time.Until(deadline)
		if left <= 0 {
			out = append(out, Evidence{Label: label, Detail: fmt.Sprintf("not captured: the diagnostics budget of %s was spent", DiagnosticsBudget)})
			continue
		}
		var captured string // written by Capture's goroutine; read only once it returned
		err := guarded(bctx, left, 0, func(ctx context.Context) error {
			var err error
			captured, err = d.Capture(ctx, t)
			return err
		})
		var text string
		switch {
		case errors.Is(err, errGuardAbandoned):
			text = fmt.Sprintf("not captured: the diagnostics budget of %s ran out", DiagnosticsBudget)
		case err != nil:
			text = "not captured: " + err.Error()
		default:
			text = captured
		}
		out = append(out, Evidence{Label: label, Detail: t.excerpt([]byte(text), t.opts.excerptLimit())})
	}
	return out
}

// validateDiagnostics checks a journey's diagnostics: each named once and
// with something to capture.
func validateDiagnostics(ds []Diagnostic, add func(field, format string, args ...any)) {
	seen := map[string]bool{}
	for i, d := range ds {
		field := fmt.Sprintf("diagnostics[%d]", i)
		switch {
		case d.Name == "":
			add(field, "name is required")
		case seen[d.Name]:
			add(field, "%q is listed twice", d.Name)
		}
		seen[d.Name] = true
		if d.Capture == nil {
			add(field, "capture is missing (the diagnostic has nothing to run)")
		}
	}
}
