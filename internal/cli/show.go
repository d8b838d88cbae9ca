package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/report"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

const showUsage = `Usage: journeygate show RUN_ID [--store SPEC] [--json] [--html FILE]

Prints the whole run from the store, for investigating a verdict: its
trigger, environment and plan; each journey with every attempt; each step
with its class, elapsed time against its SLA, its message and its evidence
(the bounded request and response excerpts and notes the journey recorded,
and the last observation of an Eventually or sink wait); then the verdict
(with its override, if any) and any verdict it replaced. --json prints the
run record and its results. --html FILE writes the run's self-contained
HTML report instead (with --json, as well), each journey's recent history
read from the same store.

Flags:
`

// shownRun is show's JSON output.
type shownRun struct {
	Run store.RunRecord `json:"run"`
	// State is finished, unfinished (no verdict yet, within its budget) or
	// abandoned (no verdict, and its budget has passed).
	State string `json:"state"`
	// Budget is how long the run may take: its journeys' timeouts summed.
	Budget  string           `json:"budget"`
	Results []journey.Result `json:"results"`
}

func cmdShow(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("show", e.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), showUsage)
		fs.PrintDefaults()
	}
	var c common
	c.register(fs, e)
	asJSON := fs.Bool("json", false, "print the run and its results as JSON")
	htmlPath := fs.String("html", "", "write the run's HTML report to `FILE` (verdict, step waterfalls, evidence, history)")
	// The run ID may come before or after the flags.
	var runID string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		runID, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	rest := fs.Args()
	if runID == "" && len(rest) > 0 {
		runID, rest = rest[0], rest[1:]
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if runID == "" {
		return usagef("name the run: journeygate show RUN_ID (journeygate history lists recent runs)")
	}
	st, err := c.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	runID, err = resolveRunID(ctx, st, runID, c.storePath)
	if err != nil {
		return err
	}
	rec, results, err := store.LoadRun(ctx, st, runID)
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrInvalid):
		return usagef("no run %q in %s", runID, c.storePath)
	case err != nil:
		return fmt.Errorf("read run %s: %w", runID, err)
	}
	reg, err := e.registry()
	if err != nil {
		return err
	}
	state, budget := runState(rec, reg, time.Now())
	if *htmlPath != "" {
		if err := writeHTMLReport(ctx, *htmlPath, st, storedRun(rec, results), report.HTMLOptions{Trigger: rec.Trigger.String()}, e); err != nil {
			return fmt.Errorf("writing the HTML report: %w", err)
		}
		if !*asJSON {
			fmt.Fprintf(e.stdout, "HTML report of run %s written to %s\n", runID, *htmlPath)
			return nil
		}
	}
	if *asJSON {
		if results == nil {
			results = []journey.Result{}
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(shownRun{Run: rec, State: state, Budget: budget.String(), Results: results})
	}
	writeRun(e.stdout, rec, results, state, budget)
	return nil
}

// maxCandidates bounds the runs an ambiguous prefix lists.
const maxCandidates = 10

// resolveRunID returns the run ID id names: the run with exactly that ID,
// else the one run whose ID starts with id. No such run, or several, is a
// usage error; several are listed.
func resolveRunID(ctx context.Context, st store.Store, id, storePath string) (string, error) {
	if _, err := st.GetRun(ctx, id); err == nil {
		return id, nil
	} else if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrInvalid) {
		return "", fmt.Errorf("read run %s: %w", id, err)
	}
	ids, err := store.RunIDsWithPrefix(ctx, st, id, maxCandidates+1)
	switch {
	case errors.Is(err, store.ErrInvalid):
		return "", usagef("no run %q in %s", id, storePath)
	case err != nil:
		return "", fmt.Errorf("find runs starting with %q: %w", id, err)
	case len(ids) == 0:
		return "", usagef("no run %q in %s (journeygate history lists recent runs)", id, storePath)
	case len(ids) == 1:
		return ids[0], nil
	}
	more := ""
	if len(ids) > maxCandidates {
		ids, more = ids[:maxCandidates], "\n  ... and more: give a longer prefix"
	}
	return "", usagef("%q names more than one run in %s; give more of the ID:\n  %s%s", id, storePath, strings.Join(ids, "\n  "), more)
}

// storedRun is a stored run as the reports present it.
func storedRun(rec store.RunRecord, results []journey.Result) report.Run {
	r := report.Run{RunID: rec.ID, Environment: rec.Environment, StartedAt: rec.StartedAt, Results: results}
	if !rec.FinishedAt.IsZero() {
		r.Elapsed = rec.FinishedAt.Sub(rec.StartedAt)
	}
	if rec.Verdict != nil {
		r.Verdict = *rec.Verdict
	}
	return r
}

// writeRun prints a run for people, its verdict first; see showUsage.
func writeRun(w io.Writer, rec store.RunRecord, results []journey.Result, state string, budget time.Duration) {
	switch state {
	case stateFinished:
		fmt.Fprintln(w, report.VerdictLine(*rec.Verdict))
		if details := explainDetails(*rec.Verdict, results); details != "" {
			fmt.Fprintf(w, "  %s\n", indent(details, "  "))
		}
	case stateAbandoned:
		fmt.Fprintf(w, "VERDICT: none — abandoned: no verdict %s after it started, past its budget of %s (what ran it stopped before deciding)\n",
			gate.FormatDuration(time.Since(rec.StartedAt).Round(time.Second)), gate.FormatDuration(budget))
	default:
		fmt.Fprintf(w, "VERDICT: none yet — unfinished: started %s ago, within its budget of %s (it may still be running)\n",
			gate.FormatDuration(time.Since(rec.StartedAt).Round(time.Second)), gate.FormatDuration(budget))
	}
	fmt.Fprintf(w, "\nRun %s\n", rec.ID)
	fmt.Fprintf(w, "  environment: %s\n", rec.Environment)
	fmt.Fprintf(w, "  trigger:     %s\n", rec.Trigger.String())
	fmt.Fprintf(w, "  started:     %s\n", stamp(rec.StartedAt))
	switch {
	case !rec.FinishedAt.IsZero():
		fmt.Fprintf(w, "  finished:    %s (%s)\n", stamp(rec.FinishedAt), gate.FormatDuration(rec.FinishedAt.Sub(rec.StartedAt)))
	case state == stateAbandoned:
		fmt.Fprintf(w, "  finished:    never (abandoned)\n")
	default:
		fmt.Fprintf(w, "  finished:    not yet (no verdict recorded)\n")
	}
	var plan []string
	for _, p := range rec.Planned {
		plan = append(plan, fmt.Sprintf("%s (%s)", p.Name, modeOf(p.Mode)))
	}
	fmt.Fprintf(w, "  plan:        %d %s: %s\n", len(rec.Planned), pluralize(len(rec.Planned), "journey", "journeys"), strings.Join(plan, ", "))

	byJourney := map[string][]journey.Result{}
	var order []string
	for _, p := range rec.Planned {
		if _, ok := byJourney[p.Name]; !ok {
			order = append(order, p.Name)
			byJourney[p.Name] = nil
		}
	}
	for _, r := range results {
		if _, ok := byJourney[r.Journey]; !ok {
			order = append(order, r.Journey) // recorded but not planned: shown, never counted
		}
		byJourney[r.Journey] = append(byJourney[r.Journey], r)
	}
	for _, name := range order {
		writeJourney(w, name, byJourney[name])
	}

	for i, rv := range rec.Revisions {
		fmt.Fprintf(w, "\nReplaced verdict %d/%d, replaced %s by %s\n", i+1, len(rec.Revisions), stamp(rv.ReplacedAt), rv.By)
		fmt.Fprintf(w, "  why: %s\n", indent(rv.Why, "       "))
		fmt.Fprintf(w, "  was: %s\n", rv.Verdict.Summary)
	}
}

// explainDetails is Explain without its first line, the summary that the
// VERDICT line already says, with each reason's causes (what the failing
// step's diagnostics name, report.ReasonCauses) right after its message.
func explainDetails(v gate.Verdict, results []journey.Result) string {
	_, rest, _ := strings.Cut(v.ExplainWith(func(r gate.Reason) []string { return report.ReasonCauses(r, results) }), "\n")
	return strings.TrimRight(rest, "\n")
}

// writeJourney prints one journey with every attempt and step.
func writeJourney(w io.Writer, name string, attempts []journey.Result) {
	fmt.Fprintf(w, "\n%s", name)
	if len(attempts) == 0 {
		fmt.Fprintf(w, "\n  no result recorded\n")
		return
	}
	first := attempts[0]
	fmt.Fprintf(w, "  [%s, %s, owner %s]  class %s\n", first.Tier, modeOf(first.Mode), first.Owner, journey.Class(attempts))
	for _, a := range attempts {
		fmt.Fprintf(w, "  attempt %d: %s in %s (started %s)\n", a.Attempt, a.Outcome, gate.FormatDuration(a.Elapsed), stamp(a.StartedAt))
		if a.Message != "" && a.FailedStep() < 0 {
			fmt.Fprintf(w, "    message: %s\n", indent(a.Message, "             "))
		}
		for i, s := range a.Steps {
			fmt.Fprintf(w, "    step %d/%d %s: %s, %s\n", i+1, len(a.Steps), s.Name, s.Outcome, slaText(s))
			if s.Message != "" {
				fmt.Fprintf(w, "      message: %s\n", indent(s.Message, "               "))
			}
			if len(s.Evidence) > 0 {
				fmt.Fprintf(w, "      evidence:\n")
				for _, ev := range s.Evidence {
					fmt.Fprintf(w, "        %s:\n          %s\n", ev.Label, indent(ev.Detail, "          "))
					if ev.Attachment != "" {
						fmt.Fprintf(w, "          %s at %s\n", ev.ContentType, ev.Attachment)
					}
				}
			}
		}
		for _, c := range a.Cleanup {
			if c.Error != "" {
				fmt.Fprintf(w, "    cleanup %s: failed after %s: %s\n", c.Name, gate.FormatDuration(c.Elapsed), c.Error)
			} else {
				fmt.Fprintf(w, "    cleanup %s: ok (%s)\n", c.Name, gate.FormatDuration(c.Elapsed))
			}
		}
	}
}

// slaText renders a step's elapsed time against its SLA.
func slaText(s journey.StepResult) string {
	if s.Outcome == journey.Skipped {
		return fmt.Sprintf("not run (SLA %s)", gate.FormatDuration(s.SLA))
	}
	text := fmt.Sprintf("%s of SLA %s", journey.FormatOverrun(s.Elapsed, s.SLA), gate.FormatDuration(s.SLA))
	if s.SLA > 0 && s.Elapsed > s.SLA {
		text += fmt.Sprintf(" (over by %s)", gate.FormatDuration(s.Elapsed-s.SLA))
	}
	return text
}

func modeOf(m journey.Mode) string {
	if m == "" {
		return string(journey.ModeEnforce)
	}
	return string(m)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

func pluralize(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
