package cli

import (
	"context"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/journeygate/journeygate/internal/readiness"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// defaultWindow is history's --window.
const defaultWindow = "7d"

func cmdHistory(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("history", e.stderr)
	var c common
	c.register(fs, e)
	name := fs.String("journey", "", "only this journey")
	envName := fs.String("env", "", "only this environment")
	windowFlag := fs.String("window", defaultWindow, "window to look back over (e.g. 24h, 7d, 30d)")
	sinceFlag := fs.String("since", "", "the same as --window (older name)")
	runs := fs.Int("runs", 20, "how many recent runs to list")
	minRuns := fs.Int("min-runs", readiness.DefaultMinRuns, "runs an observe-mode journey needs in the window before it is ready to enforce; its latest this many must all have passed")
	maxFlake := fs.String("max-flake-rate", readiness.Percent(readiness.DefaultMaxFlakeRate), "highest flake rate (runs that passed only after a retry) of a journey ready to enforce, e.g. 5% or 0.05")
	if err := parse(fs, args); err != nil {
		return err
	}
	window, windowName := *windowFlag, "--window"
	if *sinceFlag != "" {
		if flagSet(fs, "window") {
			return usagef("--since and --window are the same setting: give one")
		}
		window, windowName = *sinceFlag, "--since"
	}
	span, err := parseWindow(window)
	if err != nil {
		return usagef("%s: %v", windowName, err)
	}
	if *minRuns < 1 {
		return usagef("--min-runs must be at least 1, got %d", *minRuns)
	}
	if *runs < 0 {
		return usagef("--runs must be at least 0, got %d", *runs)
	}
	flakeRate, err := parseRate(*maxFlake)
	if err != nil {
		return usagef("--max-flake-rate: %v", err)
	}
	policy := readiness.Policy{MinRuns: *minRuns, MaxFlakeRate: flakeRate}
	reg, err := e.registry()
	if err != nil {
		return err
	}
	if *name != "" {
		if _, ok := reg.Get(*name); !ok {
			return usagef("--journey: unknown journey %q (known: %s)%s", *name, strings.Join(reg.Names(), ", "), journey.DidYouMean(*name, reg.Names()))
		}
	}
	if *envName != "" {
		// As --journey is checked against the catalogue: a mistyped
		// environment would otherwise read as "no runs".
		cfg, err := c.loadConfig(e)
		if err != nil {
			return err
		}
		if _, err := cfg.Get(*envName); err != nil {
			return usagef("--env: %v", err)
		}
	}
	modes := map[string]journey.Mode{}
	for _, j := range reg.All() {
		if *name == "" || j.Name == *name {
			modes[j.Name] = j.Mode
		}
	}
	st, err := c.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	from := time.Now().Add(-span)

	q := store.RunQuery{Environment: *envName, Since: from, Limit: *runs}
	if *name != "" {
		q.Limit = 0 // the runs that planned the journey are picked below
	}
	recent, err := st.RecentRuns(ctx, q)
	if err != nil {
		return fmt.Errorf("read runs: %w", err)
	}
	if *name != "" {
		recent = runsOf(recent, *name, *runs)
	}
	results, err := st.History(ctx, store.HistoryQuery{Journey: *name, Environment: *envName, Since: from})
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	if len(recent) == 0 && len(results) == 0 {
		fmt.Fprintf(e.stdout, "No runs in the last %s in %s.\n", window, c.storePath)
		return nil
	}
	fmt.Fprintf(e.stdout, "Recent runs (last %s):\n", window)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tENV\tSTARTED\tDURATION\tVERDICT\tJOURNEYS\tFAILING")
	now := time.Now()
	for _, r := range recent {
		verdict, dur := "", "-"
		if state, _ := runState(r, reg, now); state != stateFinished {
			verdict = state
		} else {
			verdict = string(r.Verdict.Status)
			if r.Verdict.Flaky > 0 {
				verdict += fmt.Sprintf(" (%d flaky)", r.Verdict.Flaky)
			}
			dur = fmtDuration(r.FinishedAt.Sub(r.StartedAt))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Environment, r.StartedAt.Local().Format("2006-01-02 15:04:05"), dur, verdict, len(r.Planned), failing(r.Verdict))
	}
	tw.Flush()

	stats := readiness.Compute(results, modes, policy)
	fmt.Fprintf(e.stdout, "\nSuccess rate per journey (last %s; each run counted once, by its latest attempt):\n", window)
	tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOURNEY\tMODE\tRUNS\tPASSED\tSUCCESS\tFLAKY\tFLAKE RATE\tP50\tLAST\tLAST FAILURE")
	var observed []readiness.Stats
	for _, s := range stats {
		if s.Mode == journey.ModeObserve {
			observed = append(observed, s)
		}
		if len(s.Runs) == 0 {
			continue
		}
		last, _ := s.Last()
		lastFailure := "-"
		if lf, ok := s.LastFailure(); ok {
			lastFailure = lf.RunID // what journeygate show takes
		}
		mode := string(s.Mode)
		if mode == "" {
			mode = "(not in catalogue)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", s.Journey, mode, len(s.Runs), s.Passed,
			readiness.Percent(s.SuccessRate()), s.Flaky, readiness.Percent(s.FlakeRate()), fmtDuration(s.P50), last.Class, lastFailure)
	}
	tw.Flush()

	fmt.Fprintf(e.stdout, "\nReady to enforce? Observe-mode journeys with at least %d %s in the window, a flake rate of at most %s, and %s:\n",
		policy.MinRuns, pluralize(policy.MinRuns, "run", "runs"), readiness.Percent(policy.MaxFlakeRate),
		pluralize(policy.MinRuns, "their last run passed", fmt.Sprintf("their last %d runs all passed", policy.MinRuns)))
	if len(observed) == 0 {
		fmt.Fprintln(e.stdout, "  (no observe-mode journeys: every journey is enforced)")
		return nil
	}
	tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOURNEY\tREADY\tWHY")
	for _, s := range observed {
		if s.Ready {
			fmt.Fprintf(tw, "%s\tready to enforce\t%d %s, flake rate %s, the last %s\n", s.Journey, len(s.Runs), pluralize(len(s.Runs), "run", "runs"), readiness.Percent(s.FlakeRate()), pluralize(policy.MinRuns, "one passed", fmt.Sprintf("%d passed", policy.MinRuns)))
			continue
		}
		fmt.Fprintf(tw, "%s\tnot ready\t%s\n", s.Journey, strings.Join(s.NotReady, "; "))
	}
	return tw.Flush()
}

// runsOf returns the first limit runs (0 = all) of runs that planned the
// journey name.
func runsOf(runs []store.RunRecord, name string, limit int) []store.RunRecord {
	var out []store.RunRecord
	for _, r := range runs {
		if limit > 0 && len(out) >= limit {
			break
		}
		for _, p := range r.Planned {
			if p.Name == name {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// parseRate accepts a percentage ("5%", "2.5%") or a fraction ("0.05")
// between 0 and 1.
func parseRate(s string) (float64, error) {
	v := strings.TrimSpace(s)
	pct, isPct := strings.CutSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a rate: use e.g. 5%% or 0.05", s)
	}
	if isPct {
		f /= 100
	} else if f > 1 && f <= 100 {
		return 0, fmt.Errorf("%q is above 1: write a percentage with %%, e.g. %s%%", s, v)
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%q is not between 0%% and 100%%", s)
	}
	return f, nil
}

// maxWindowDays bounds a window in days: the longest a time.Duration holds.
const maxWindowDays = int(math.MaxInt64 / int64(24*time.Hour))

// parseWindow accepts Go durations plus a days suffix ("30d").
func parseWindow(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, fmt.Errorf("%q is not a window: use e.g. 24h or 30d", s)
		}
		if days > maxWindowDays {
			return 0, fmt.Errorf("%q is too long a window: at most %dd", s, maxWindowDays)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q is not a window: use e.g. 24h or 30d", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q is not a window: it must be positive", s)
	}
	return d, nil
}
