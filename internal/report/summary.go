package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/journeygate/journeygate/internal/display"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
)

// Bounds on what the text summary prints of one failing step, so a huge
// response body cannot bury the verdict.
const (
	summaryMaxEvidence      = 5   // evidence items per step
	summaryMaxEvidenceLines = 12  // lines per evidence detail
	summaryMaxLineRunes     = 160 // runes per printed line
)

// WriteSummary writes a plain-text report of the run for an on-call
// engineer: a table of journeys, what went wrong in each journey that did not
// pass (message, timing against the SLA, bounded evidence), and the verdict.
func WriteSummary(w io.Writer, r Run) error {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	fmt.Fprintf(bw, "run %s in %s", orDash(r.RunID), orDash(r.Environment))
	if !r.StartedAt.IsZero() {
		fmt.Fprintf(bw, ", started %s", r.StartedAt.UTC().Format(time.RFC3339))
	}
	if r.Elapsed > 0 {
		fmt.Fprintf(bw, ", took %s", dur(r.Elapsed))
	}
	bw.WriteString("\n\n")

	all := rows(r)
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOURNEY\tTIER\tMODE\tOUTCOME\tDURATION\tSTEP")
	for _, rw := range all {
		step := "-"
		if i := failingStep(rw.result); i >= 0 && !rw.passed() {
			step = fmt.Sprintf("%d/%d %s", i+1, len(rw.result.Steps), rw.result.Steps[i].Name)
		}
		duration := "-"
		if rw.result != nil {
			duration = dur(rw.elapsed())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n",
			cell(rw.name), cell(orDash(string(rw.tier()))), cell(orDash(string(rw.mode))),
			cell(string(rw.outcome)), duration, cell(step))
	}
	if len(all) == 0 {
		fmt.Fprintln(tw, "(none)\t-\t-\t-\t-\t-")
	}
	tw.Flush()

	for _, rs := range runReasons(r.Verdict) {
		fmt.Fprintf(bw, "\nrun: %s\n", oneLine(rs.Message, summaryMaxLineRunes))
	}
	for _, rw := range all {
		if !rw.passed() {
			writeDetail(bw, rw)
		} else if len(rw.earlier) > 0 {
			writeFlaky(bw, rw)
		}
		if rw.result != nil {
			writeCleanupFailures(bw, rw)
		}
	}

	bw.WriteString("\n")
	bw.WriteString(verdictLine(r.Verdict))
	bw.WriteString("\n")
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, termSafe(buf.String()))
	return err
}

// writeDetail explains one journey that did not pass.
func writeDetail(w *bufio.Writer, rw row) {
	fmt.Fprintf(w, "\n%s: %s [%s]", rw.name, headline(rw), modeLabel(rw))
	if rw.result != nil && rw.result.Attempt > 1 {
		fmt.Fprintf(w, " (attempt %d)", rw.result.Attempt)
	}
	w.WriteString("\n")
	writeIndented(w, "  message: ", "           ", problem(rw), summaryMaxEvidenceLines)
	writeEarlier(w, rw)
	i := failingStep(rw.result)
	if i < 0 {
		return
	}
	s := rw.result.Steps[i]
	fmt.Fprintf(w, "  elapsed: %s (SLA %s)\n", overrun(s.Elapsed, s.SLA), dur(s.SLA))
	if len(s.Evidence) == 0 {
		return
	}
	w.WriteString("  evidence:\n")
	for n, e := range s.Evidence {
		if n == summaryMaxEvidence {
			fmt.Fprintf(w, "    … %d more evidence items (see --json or --junit)\n", len(s.Evidence)-n)
			break
		}
		fmt.Fprintf(w, "    %s:\n", oneLine(e.Label, summaryMaxLineRunes))
		writeIndented(w, "      ", "      ", e.Detail, summaryMaxEvidenceLines)
		if e.Attachment != "" {
			// Where the binary evidence (a screenshot) was saved, as show
			// says it.
			kind := e.ContentType
			if kind == "" {
				kind = "attachment"
			}
			fmt.Fprintf(w, "      %s at %s\n", oneLine(kind, 60), oneLine(e.Attachment, summaryMaxLineRunes))
		}
	}
}

// writeFlaky explains a journey that passed only after a retry: the
// attempt that passed, then what each attempt before it saw.
func writeFlaky(w *bufio.Writer, rw row) {
	fmt.Fprintf(w, "\n%s: passed-flaky, passed on attempt %d [%s]\n", rw.name, rw.result.Attempt, modeLabel(rw))
	writeEarlier(w, rw)
}

// writeEarlier lists, one line each, the attempts before the latest that
// did not pass: class, step, timing against the SLA and message.
func writeEarlier(w *bufio.Writer, rw row) {
	for _, a := range rw.earlier {
		line := fmt.Sprintf("attempt %d: %s", a.Attempt, attemptHeadline(a))
		if i := a.FailedStep(); i >= 0 {
			line += fmt.Sprintf(" in %s (SLA %s)", overrun(a.Steps[i].Elapsed, a.Steps[i].SLA), dur(a.Steps[i].SLA))
		}
		line += ": " + attemptMessage(a)
		w.WriteString("  ")
		w.WriteString(oneLine(line, summaryMaxLineRunes-2))
		w.WriteString("\n")
	}
}

// writeCleanupFailures lists the cleanup actions that failed, in every
// attempt; they never change an outcome but may leave state behind in the
// environment.
func writeCleanupFailures(w *bufio.Writer, rw row) {
	attempts := rw.attempts
	if len(attempts) == 0 {
		attempts = []journey.Result{*rw.result}
	}
	for _, a := range attempts {
		for _, c := range a.Cleanup {
			if c.Error == "" {
				continue
			}
			name := rw.name
			if len(attempts) > 1 {
				name += fmt.Sprintf(" attempt %d", a.Attempt)
			}
			fmt.Fprintf(w, "\n%s: cleanup %q failed (not affecting the outcome): %s\n",
				name, c.Name, oneLine(c.Error, summaryMaxLineRunes))
		}
	}
}

// writeIndented writes text with first before its first line and rest before
// the others, at most maxLines lines of at most summaryMaxLineRunes each.
func writeIndented(w *bufio.Writer, first, rest, text string, maxLines int) {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n")
	for n, line := range lines {
		if n == maxLines {
			fmt.Fprintf(w, "%s… %d more lines\n", rest, len(lines)-n)
			return
		}
		prefix := rest
		if n == 0 {
			prefix = first
		}
		w.WriteString(prefix)
		w.WriteString(clip(termSafe(strings.ReplaceAll(line, "\t", "    ")), summaryMaxLineRunes))
		w.WriteString("\n")
	}
}

// verdictLine renders "VERDICT: Succeeded — 4/4 journeys passed" or
// "VERDICT: Failed — <what blocks>".
func verdictLine(v gate.Verdict) string {
	status := string(v.Status)
	if status == "" {
		status = "unknown (no verdict)"
	}
	rest := strings.TrimPrefix(v.Summary, string(v.Status)+": ")
	if rest == "" {
		return "VERDICT: " + status
	}
	return "VERDICT: " + status + " — " + rest
}

// cell makes text safe for one tabwriter cell.
func cell(s string) string {
	return oneLine(s, 60)
}

// clip bounds s to limit runes, cutting its middle (display.Cut).
func clip(s string, limit int) string { return display.Cut(s, limit) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
