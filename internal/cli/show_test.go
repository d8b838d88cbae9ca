package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/shared/journey"
)

// show's verdict block gives, right after a failing journey's message,
// what its diagnostics name as the cause, not only the evidence below;
// and so does its HTML report's Why section.
func TestShowLeadsWithTheDiagnosedCause(t *testing.T) {
	j := twoStep("checkout", journey.TierGlobal, func(context.Context, *journey.T) error { return journey.Failf("invoice total 0, want 42") })
	j.Diagnostics = []journey.Diagnostic{{Name: "billing config", Capture: func(context.Context, *journey.T) (string, error) {
		return "billing v2, up 3h\nroute: invoices to queue billing\ncause: queue billing has no consumers: what it receives goes nowhere\nqueue audit: 2 consumers", nil
	}}}
	useJourneys(t, j)
	path := filepath.Join(t.TempDir(), "s.db")
	id, code := runID(t, path)
	if code != exitFailed {
		t.Fatalf("run exited %d, want 1", code)
	}
	code, out, stderr := runCLI(t, "show", id, "--store", path)
	if code != exitSucceeded {
		t.Fatalf("show: exit %d: %s", code, stderr)
	}
	want := "    message: invoice total 0, want 42\n    cause:   queue billing has no consumers: what it receives goes nowhere\n"
	if head, _, _ := strings.Cut(out, "\nRun "); !strings.Contains(head, want) {
		t.Errorf("show's verdict block does not give the cause after the message; want\n%s\nin\n%s", want, head)
	}

	page := filepath.Join(t.TempDir(), "r.html")
	if code, _, stderr := runCLI(t, "show", id, "--store", path, "--html", page); code != exitSucceeded {
		t.Fatalf("show --html: exit %d: %s", code, stderr)
	}
	html := readFile(t, page)
	if want := `<p class="message">invoice total 0, want 42</p>
<p class="cause"><b>cause:</b> queue billing has no consumers: what it receives goes nowhere</p>`; !strings.Contains(html, want) {
		t.Errorf("the report's Why section does not give the cause after the message; want\n%s", want)
	}
}
