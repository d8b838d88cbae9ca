package soak

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/runner"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/alertmanager"
	"github.com/journeygate/journeygate/test/repo"
)

// The defaults are CI's short version (`go test ./...`); `make soak` sets
// the size.
var (
	runsFlag          = flag.Int("soak.runs", 40, "healthy phase: journey runs, rounded up to whole runs of the catalogue")
	concurrencyFlag   = flag.Int("soak.concurrency", 8, "healthy phase: journeys in flight at most")
	faultRunsFlag     = flag.Int("soak.fault-runs", 1, "fault phase: runs of the catalogue against each broken setup")
	sequentialFlag    = flag.Bool("soak.sequential", false, "run the phases one after another (healthy, UI, faults), so each rate is measured alone")
	uiRunsFlag        = flag.Int("soak.ui-runs", 2, "UI phase: runs of the example UI journeys (each drives a Chromium) against one healthy Alertmanager")
	uiConcurrencyFlag = flag.Int("soak.ui-concurrency", 2, "UI phase: UI journeys in flight at most")
	// Self-checks: each makes an assertion fail, to show that it can.
	selfCheckFault   = flag.String("soak.self-check-fault", "", "self-check: run the healthy phase against this broken setup (its false-failure assertion must fail)")
	selfCheckUIFault = flag.String("soak.self-check-ui-fault", "", "self-check: run the UI phase against this broken setup, ui-not-routed say (its false-failure assertion must fail)")
	selfCheckHealthy = flag.Bool("soak.self-check-healthy", false, "self-check: start the fault phase's setups healthy (its detection assertion must fail)")
)

// coverage maps each fault of alertmanager.Faults to the journeys that
// cover the behaviour it breaks: the fault is detected only when one of
// them fails.
var coverage = map[string][]string{
	"drop-notifications": {"alert-to-notification", "resolve-lifecycle", "alert-grouping"},
	"slow-group-wait":    {"alert-to-notification", "resolve-lifecycle", "alert-grouping"},
	"wrong-webhook-url":  {"alert-to-notification", "resolve-lifecycle", "alert-grouping"},
	"no-resolved":        {"resolve-lifecycle"},
	"group-by-instance":  {"alert-grouping"},
	"ui-not-routed":      {"silence-through-ui"},
	"wrong-smarthost":    {"alert-to-email"},
}

// Every fault Alertmanager's setup supports has a row in coverage naming
// real journeys, so the fault phase runs all of them.
func TestCoverageNamesEveryFault(t *testing.T) {
	reg, err := alertmanager.DemoRegistry()
	if err != nil {
		t.Fatal(err)
	}
	for _, fault := range alertmanager.FaultNames() {
		t.Run(fault, func(t *testing.T) {
			covered, ok := coverage[fault]
			if !ok || len(covered) == 0 {
				t.Fatalf("fault %s has no row in test/soak's coverage: name the journeys that cover what it breaks", fault)
			}
			for _, name := range covered {
				if _, ok := reg.Get(name); !ok {
					t.Errorf("coverage of %s names %q, not an example Alertmanager serves (alertmanager.Examples, InboxExamples)", fault, name)
				}
			}
		})
	}
	for fault := range coverage {
		if _, ok := alertmanager.Faults[fault]; !ok {
			t.Errorf("coverage names fault %q, which test/alertmanager does not know", fault)
		}
	}
}

// browserTurns bounds the soak's runs with UI journeys in flight, across
// its phases: each starts a Chromium, which costs far more than an API
// journey, and one journeygate process bounds its browsers likewise
// (runner.DefaultBrowserConcurrency). Made by TestSoak.
var browserTurns chan struct{}

func TestSoak(t *testing.T) {
	if *runsFlag < 1 || *concurrencyFlag < 1 || *faultRunsFlag < 1 || *uiRunsFlag < 1 || *uiConcurrencyFlag < 1 {
		t.Fatalf("-soak.runs, -soak.concurrency, -soak.fault-runs, -soak.ui-runs and -soak.ui-concurrency must be at least 1")
	}
	browserTurns = make(chan struct{}, max(runner.DefaultBrowserConcurrency, *uiConcurrencyFlag))
	t.Run("healthy", func(t *testing.T) {
		if !*sequentialFlag {
			t.Parallel()
		}
		healthyPhase(t)
	})
	t.Run("ui", func(t *testing.T) {
		if !*sequentialFlag {
			t.Parallel()
		}
		uiPhase(t)
	})
	t.Run("faults", func(t *testing.T) {
		if !*sequentialFlag {
			t.Parallel()
		}
		faultPhase(t)
	})
}

// healthyPhase runs the example API journeys over and over against one
// healthy Alertmanager, with concurrency, and counts what did not pass.
// The UI journeys, which each start a Chromium, have a phase of their own.
func healthyPhase(t *testing.T) {
	repeat(t, phase{
		name: "healthy phase", file: "4-soak-healthy.txt", what: "example API journeys",
		pick: func(j journey.Journey) bool { return !j.Browser },
		runs: *runsFlag, concurrency: *concurrencyFlag, fault: *selfCheckFault, isolation: true,
	})
}

// uiPhase runs the example UI journeys (Journey.Browser) over and over
// against one healthy Alertmanager, each attempt in a Chromium of its own,
// and counts what did not pass: false failures and flakes.
func uiPhase(t *testing.T) {
	repeat(t, phase{
		name: "UI phase", file: "6-soak-ui.txt", what: "example UI journeys",
		pick: func(j journey.Journey) bool { return j.Browser },
		runs: *uiRunsFlag, concurrency: *uiConcurrencyFlag, fault: *selfCheckUIFault,
		// A UI journey's alert may be silenced before Alertmanager's
		// group_wait, so its run need not have a notification to check.
		isolation: false,
	})
}

// phase is one repeated-runs phase of the soak.
type phase struct {
	name, file string // "healthy phase"; its figures file
	what       string // the journeys pick selects, for the figures
	pick       func(journey.Journey) bool
	// runs is the journey runs to make, rounded up to whole runs of the
	// picked journeys; concurrency the journeys in flight at most.
	runs, concurrency int
	// fault, set by a self-check flag, breaks the setup on purpose.
	fault string
	// isolation checks that every passed run's notifications reached it
	// and only it.
	isolation bool
}

// repeat runs p's journeys over and over against one Alertmanager (healthy
// unless a self-check breaks it), with concurrency, and counts what did
// not pass.
func repeat(t *testing.T, p phase) {
	fault := p.fault
	if fault != "" {
		t.Logf("SELF-CHECK: the %s runs against broken setup %s; its assertions must fail", p.name, fault)
	}
	var inFlight, peak atomic.Int64
	s, err := newSetup(t, fault, func(e journey.Event) {
		switch e.Kind {
		case journey.JourneyStarted:
			n := inFlight.Add(1)
			for pk := peak.Load(); n > pk && !peak.CompareAndSwap(pk, n); pk = peak.Load() {
			}
		case journey.JourneyFinished:
			inFlight.Add(-1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	s.journeys = slices.DeleteFunc(s.journeys, func(j journey.Journey) bool { return !p.pick(j) })
	if len(s.journeys) == 0 {
		t.Fatalf("%s: no %s among the examples (alertmanager.Examples)", p.name, p.what)
	}
	ctx := t.Context()
	n := len(s.journeys)
	ui := slices.ContainsFunc(s.journeys, func(j journey.Journey) bool { return j.Browser })
	catalogueRuns := (p.runs + n - 1) / n
	perRun := min(p.concurrency, n)
	workers := max(1, p.concurrency/perRun)
	out := figures(t, p.file)
	setupName := "one healthy Alertmanager " + alertmanager.Version
	if fault != "" {
		setupName = "one Alertmanager " + alertmanager.Version + " broken by " + fault + " (SELF-CHECK)"
	}
	names := make([]string, n)
	for i, j := range s.journeys {
		names[i] = j.Name
	}
	fmt.Fprintf(out, "%s: %d journey runs (%d runs of the %d %s: %s, each run with its own run ID) against %s\n",
		p.name, catalogueRuns*n, catalogueRuns, n, p.what, strings.Join(names, ", "), setupName)
	fmt.Fprintf(out, "  concurrency: %d runs at once x %d journeys each = up to %d journeys in flight; retries: %s\n",
		workers, perRun, workers*perRun, retryPolicy(s.journeys))

	outcomes := make([]runner.Outcome, catalogueRuns)
	var done atomic.Int64
	next := make(chan int)
	every := max(catalogueRuns/10, 1)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				if ui {
					browserTurns <- struct{}{}
				}
				outcomes[i] = s.run(ctx, perRun)
				if ui {
					<-browserTurns
				}
				if d := done.Add(1); catalogueRuns >= 50 && d%int64(every) == 0 {
					el := time.Since(start)
					fmt.Fprintf(out, "  ... %d/%d runs in %s (%.1f journey runs/s)\n", d, catalogueRuns, el.Round(time.Second), float64(d)*float64(n)/el.Seconds())
				}
			}
		})
	}
	for i := range catalogueRuns {
		next <- i
	}
	close(next)
	wg.Wait()
	wall := time.Since(start)

	var all tally
	perJourney := map[string]*tally{}
	names = names[:0]
	failedVerdicts, flakyVerdicts := 0, 0
	for _, o := range outcomes {
		if o.Verdict.Status != gate.Succeeded {
			failedVerdicts++
		}
		if o.Verdict.Flaky > 0 {
			flakyVerdicts++
		}
		for _, jr := range journeyRuns(o) {
			all.add(o.Run.ID, jr)
			pj, ok := perJourney[jr.Journey]
			if !ok {
				pj = &tally{}
				perJourney[jr.Journey] = pj
				names = append(names, jr.Journey)
			}
			pj.add(o.Run.ID, jr)
		}
	}
	var iso isolation
	if p.isolation {
		iso = checkIsolation(ctx, s, outcomes)
	} else {
		iso = countRuns(outcomes)
	}
	lost := checkStored(ctx, s, outcomes)

	fmt.Fprintf(out, "\n")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOURNEY\tRUNS\tPASSED\tFLAKY\tFAILED\tP50\tP95\tMAX")
	for _, name := range names {
		pj := perJourney[name]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", name, pj.Runs, pj.Passed, pj.Flaky, pj.Failed,
			round(percentile(pj.Durations, .5)), round(percentile(pj.Durations, .95)), round(percentile(pj.Durations, 1)))
	}
	fmt.Fprintf(tw, "all\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", all.Runs, all.Passed, all.Flaky, all.Failed,
		round(percentile(all.Durations, .5)), round(percentile(all.Durations, .95)), round(percentile(all.Durations, 1)))
	tw.Flush()
	fmt.Fprintf(out, "\n")
	fmt.Fprintf(out, "  journey runs:          %d\n", all.Runs)
	fmt.Fprintf(out, "  passed:                %d (%d first time, %d after a retry)\n", all.Passed+all.Flaky, all.Passed, all.Flaky)
	fmt.Fprintf(out, "  false failures:        %d (target 0)\n", all.Failed)
	fmt.Fprintf(out, "  flakes:                %d journey runs passed only after a retry (%d runs' verdicts say flaky)\n", all.Flaky, flakyVerdicts)
	fmt.Fprintf(out, "  first attempts failed: %d (retries on, the product's default policy: counted here, not hidden)\n", all.FirstFailed)
	fmt.Fprintf(out, "  verdicts:              %d Succeeded, %d Failed\n", len(outcomes)-failedVerdicts, failedVerdicts)
	fmt.Fprintf(out, "  run rate:              %.1f journey runs/s (%.2f runs of the catalogue/s)\n", float64(all.Runs)/wall.Seconds(), float64(len(outcomes))/wall.Seconds())
	fmt.Fprintf(out, "  journey duration:      p50 %s, p95 %s (all attempts, cleanup included)\n", round(percentile(all.Durations, .5)), round(percentile(all.Durations, .95)))
	fmt.Fprintf(out, "  wall time:             %s\n", wall.Round(100*time.Millisecond))
	fmt.Fprintf(out, "  peak journeys in flight: %d\n", peak.Load())
	if p.isolation {
		fmt.Fprintf(out, "  isolation:             %d distinct run IDs, %d notifications, %d alerts of another run, %d unattributed\n", iso.runIDs, iso.deliveries, iso.leaks, iso.unattributed)
	} else {
		fmt.Fprintf(out, "  run IDs:               %d distinct\n", iso.runIDs)
	}
	fmt.Fprintf(out, "  store:                 %d results and %d verdicts recorded, %d missing or different\n", iso.results, len(outcomes), len(lost))
	if len(all.Causes) > 0 {
		fmt.Fprintf(out, "  attempts that did not pass, by journey, step and class:\n")
		for _, k := range sortedKeys(all.Causes) {
			c := all.Causes[k]
			fmt.Fprintf(out, "    %5d  %s\n           e.g. %s\n", c.Count, k, oneLine(c.Example, 400))
		}
	}
	for _, f := range all.Failures {
		fmt.Fprintf(out, "  %s\n", f)
	}

	if all.Failed > 0 || failedVerdicts > 0 {
		t.Errorf("%s: %d false failures in %d journey runs (%d Failed verdicts) against a healthy Alertmanager, want 0", p.name, all.Failed, all.Runs, failedVerdicts)
	}
	if iso.runIDs != len(outcomes) {
		t.Errorf("%d runs had %d distinct run IDs", len(outcomes), iso.runIDs)
	}
	if iso.leaks > 0 || iso.unattributed > 0 {
		t.Errorf("runs not isolated: %d alerts delivered to another run, %d deliveries unattributed", iso.leaks, iso.unattributed)
	}
	for _, p := range iso.problems {
		t.Error(p)
	}
	for _, l := range lost {
		t.Error(l)
	}
}

// retryPolicy describes the journeys' retry policies (the product's
// default unless a journey sets its own).
func retryPolicy(js []journey.Journey) string {
	describe := func(r journey.Retry) string {
		on := []string{string(journey.Errored)}
		if len(r.On) > 0 {
			on = on[:0]
			for _, o := range r.On {
				on = append(on, string(o))
			}
		}
		s := fmt.Sprintf("up to %d attempts, retrying class %s", r.Attempts(), strings.Join(on, ", "))
		if r.Delay > 0 {
			s += fmt.Sprintf(" after %s", r.Delay)
		}
		return s
	}
	seen := map[string][]string{}
	var order []string
	for _, j := range js {
		d := describe(j.Retry)
		if _, ok := seen[d]; !ok {
			order = append(order, d)
		}
		seen[d] = append(seen[d], j.Name)
	}
	if len(order) == 1 {
		what := "on, the product's default"
		if !defaultRetries(js) {
			what = "on, the journeys' own"
		}
		return fmt.Sprintf("%s (every journey %s)", what, order[0])
	}
	var parts []string
	for _, d := range order {
		parts = append(parts, strings.Join(seen[d], ", ")+": "+d)
	}
	return "on (" + strings.Join(parts, "; ") + ")"
}

// defaultRetries reports whether every journey keeps the default Retry.
func defaultRetries(js []journey.Journey) bool {
	for _, j := range js {
		if j.Retry.MaxAttempts != 0 || len(j.Retry.On) != 0 || j.Retry.Delay != 0 {
			return false
		}
	}
	return true
}

// isolation is what the sink received, run by run.
type isolation struct {
	runIDs, deliveries, leaks, unattributed, results int
	problems                                         []string
}

// checkIsolation reads every run's deliveries from the sink: each must
// carry only that run's alerts, and no alert key may reach two runs.
func checkIsolation(ctx context.Context, s *setup, outcomes []runner.Outcome) isolation {
	var iso isolation
	ids := map[string]bool{}
	keyRun := map[string]string{}
	for _, o := range outcomes {
		id := o.Run.ID
		ids[id] = true
		iso.results += len(o.Results)
		if o.Verdict.Status != gate.Succeeded {
			continue // its failure is counted already
		}
		// A passed run has had its firing notifications delivered.
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		ds, _, err := s.sink.Next(rctx, id, "")
		cancel()
		if err != nil {
			iso.problems = append(iso.problems, fmt.Sprintf("run %s passed, but the sink holds no delivery for it: %v", id, err))
			continue
		}
		for _, d := range ds {
			iso.deliveries++
			var n struct {
				GroupLabels map[string]string `json:"groupLabels"`
				Alerts      []struct {
					Labels map[string]string `json:"labels"`
				} `json:"alerts"`
			}
			if err := d.JSON(&n); err != nil {
				iso.problems = append(iso.problems, fmt.Sprintf("run %s: delivery %s is not a webhook notification: %v", id, d.ID, err))
				continue
			}
			if n.GroupLabels["jg_run"] != id {
				iso.leaks++
			}
			for _, a := range n.Alerts {
				key := a.Labels["jg_key"]
				if a.Labels["jg_run"] != id || key != n.GroupLabels["jg_key"] {
					iso.leaks++
				}
				if other, ok := keyRun[key]; ok && other != id {
					iso.leaks++
				}
				keyRun[key] = id
			}
		}
	}
	iso.runIDs = len(ids)
	iso.unattributed = s.sink.Unattributed()
	return iso
}

// countRuns counts the runs' distinct IDs and results, for a phase that
// does not check the sink.
func countRuns(outcomes []runner.Outcome) isolation {
	var iso isolation
	ids := map[string]bool{}
	for _, o := range outcomes {
		ids[o.Run.ID] = true
		iso.results += len(o.Results)
	}
	iso.runIDs = len(ids)
	return iso
}

// checkStored compares each run's outcome with what the store holds.
func checkStored(ctx context.Context, s *setup, outcomes []runner.Outcome) []string {
	var lost []string
	for _, o := range outcomes {
		stored, err := s.store.Results(ctx, o.Run.ID)
		if err != nil || len(stored) != len(o.Results) {
			lost = append(lost, fmt.Sprintf("run %s: store holds %d results (err %v), the runner returned %d", o.Run.ID, len(stored), err, len(o.Results)))
		}
		rec, err := s.store.GetRun(ctx, o.Run.ID)
		if err != nil || rec.Verdict == nil || rec.Verdict.Status != o.Verdict.Status {
			lost = append(lost, fmt.Sprintf("run %s: stored verdict %v (err %v), returned %s", o.Run.ID, rec.Verdict, err, o.Verdict.Status))
		}
	}
	return lost
}

// detection is one row of the fault phase.
type detection struct {
	fault     string
	runs      int
	detected  int
	verdicts  []gate.Status
	failing   []string // journeys that failed, with class and step
	classes   []string
	uncovered []string // failing journeys that do not cover the fault
	toVerdict time.Duration
	err       error // the setup did not start
}

// faultPhase runs the catalogue against a really broken Alertmanager per
// fault, and a healthy control, all at once.
func faultPhase(t *testing.T) {
	faults := append([]string{""}, alertmanager.FaultNames()...)
	rows := make([]detection, len(faults))
	if *selfCheckHealthy {
		t.Logf("SELF-CHECK: every fault's Alertmanager starts healthy; the detection assertion must fail")
	}
	// All at once, in goroutines rather than parallel subtests: go test
	// runs only GOMAXPROCS parallel tests at a time, and these mostly wait.
	// Not so a Chromium: runs with UI journeys take turns (browserTurns).
	var wg sync.WaitGroup
	for i, fault := range faults {
		wg.Go(func() { rows[i] = detect(t, fault) })
	}
	wg.Wait()

	out := figures(t, "5-soak-faults.txt")
	fmt.Fprintf(out, "fault phase: each fault is a real Alertmanager %s configuration; %d run(s) of the catalogue against each\n", alertmanager.Version, *faultRunsFlag)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAULT\tDETECTED\tVERDICT\tCLASS\tTO VERDICT\tFAILING JOURNEYS")
	detected, total := 0, 0
	for _, r := range rows {
		name, det := r.fault, "no"
		if r.detected == r.runs && r.runs > 0 {
			det = "yes"
		} else if r.detected > 0 {
			det = fmt.Sprintf("%d/%d runs", r.detected, r.runs)
		}
		if r.fault == "" {
			name = "(none: healthy control)"
			det += " (as it must be)"
			if r.detected > 0 {
				det = "YES: a healthy setup failed"
			}
		} else {
			total++
			if r.detected == r.runs && r.runs > 0 {
				detected++
			}
		}
		failing := strings.Join(r.failing, "; ")
		if failing == "" {
			failing = "-"
		}
		classes := strings.Join(r.classes, ",")
		if classes == "" {
			classes = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, det, joinStatuses(r.verdicts), classes, round(r.toVerdict), failing)
	}
	tw.Flush()
	fmt.Fprintf(out, "  faults detected: %d/%d (target: all)\n", detected, total)
	for _, r := range rows {
		if len(r.uncovered) > 0 && r.fault != "" {
			fmt.Fprintf(out, "  note: under %s, journeys not covering it failed too: %s\n", r.fault, strings.Join(r.uncovered, ", "))
		}
	}

	for _, r := range rows {
		switch {
		case r.err != nil:
			t.Errorf("fault %q: %v", r.fault, r.err)
		case r.fault == "" && (r.detected > 0 || slices.Contains(r.verdicts, gate.Failed)):
			t.Errorf("healthy control: verdicts %s, failing %v; a healthy setup must pass", joinStatuses(r.verdicts), r.failing)
		case r.fault != "" && r.detected < r.runs:
			t.Errorf("fault %s (%s) detected in %d of %d runs: verdicts %s, failing %v; the journeys covering it (%s) must fail",
				r.fault, alertmanager.Faults[r.fault], r.detected, r.runs, joinStatuses(r.verdicts), r.failing, strings.Join(coverage[r.fault], ", "))
		}
	}
}

// detect runs the catalogue against Alertmanager broken by fault ("" for
// the healthy control) and says whether the gate caught it.
func detect(t *testing.T, fault string) detection {
	row := detection{fault: fault}
	setupFault := fault
	if *selfCheckHealthy {
		setupFault = ""
	}
	s, err := newSetup(t, setupFault, nil)
	if err != nil {
		row.err = err
		return row
	}
	covered := coverage[fault]
	if fault == "" {
		for _, j := range s.journeys {
			covered = append(covered, j.Name)
		}
	}
	failing, classes, uncovered := map[string]bool{}, map[string]bool{}, map[string]bool{}
	ui := slices.ContainsFunc(s.journeys, func(j journey.Journey) bool { return j.Browser })
	for range *faultRunsFlag {
		if ui {
			browserTurns <- struct{}{} // its turn; the wait is not the run's
		}
		start := time.Now()
		out := s.run(t.Context(), len(s.journeys))
		if ui {
			<-browserTurns
		}
		row.toVerdict = max(row.toVerdict, time.Since(start))
		row.runs++
		row.verdicts = append(row.verdicts, out.Verdict.Status)
		caught := false
		for _, jr := range journeyRuns(out) {
			if jr.Class.OK() {
				continue
			}
			failing[jr.Describe()] = true
			classes[string(jr.Class)] = true
			if slices.Contains(covered, jr.Journey) {
				caught = true
			} else {
				uncovered[jr.Journey] = true
			}
		}
		if out.Verdict.Status == gate.Failed && caught {
			row.detected++
		}
	}
	row.failing, row.classes, row.uncovered = sortedKeys(failing), sortedKeys(classes), sortedKeys(uncovered)
	return row
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// oneLine shortens s to at most n bytes on one line.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

func joinStatuses(ss []gate.Status) string {
	count := map[gate.Status]int{}
	var order []gate.Status
	for _, s := range ss {
		if count[s] == 0 {
			order = append(order, s)
		}
		count[s]++
	}
	var parts []string
	for _, s := range order {
		if len(ss) == 1 {
			parts = append(parts, string(s))
		} else {
			parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

// figures returns the test's output, copied to name under repo.FiguresDir
// when the test ends, for make test to print (go test shows a passing
// package's output only with -v).
func figures(t *testing.T, name string) io.Writer {
	var b bytes.Buffer
	t.Cleanup(func() {
		if err := repo.WriteFigures(name, fmt.Sprintf("(test/soak %s, -soak.runs=%d)\n%s", t.Name(), *runsFlag, b.String())); err != nil {
			t.Logf("figures not written: %v", err)
		}
	})
	return io.MultiWriter(t.Output(), &b)
}
