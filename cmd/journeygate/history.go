package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/store"
)

func cmdHistory(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("history", e.stderr)
	var c common
	c.register(fs)
	name := fs.String("journey", "", "only this journey")
	envName := fs.String("env", "", "only this environment")
	sinceFlag := fs.String("since", "720h", "window to look back over (e.g. 24h, 30d)")
	runs := fs.Int("runs", 20, "how many recent runs to list")
	if err := parse(fs, args); err != nil {
		return err
	}
	since, err := parseWindow(*sinceFlag)
	if err != nil {
		return usagef("--since: %v", err)
	}
	if *name != "" {
		reg, err := registry()
		if err != nil {
			return err
		}
		if _, ok := reg.Get(*name); !ok {
			return usagef("--journey: unknown journey %q (known: %s)", *name, strings.Join(reg.Names(), ", "))
		}
	}
	st, err := store.Open(ctx, c.storePath)
	if errors.Is(err, store.ErrInvalid) {
		return usagef("--store: %v", err)
	}
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	from := time.Now().Add(-since)

	recent, err := st.RecentRuns(ctx, store.RunQuery{Environment: *envName, Since: from, Limit: *runs})
	if err != nil {
		return fmt.Errorf("read runs: %w", err)
	}
	results, err := st.History(ctx, store.HistoryQuery{Journey: *name, Environment: *envName, Since: from})
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	if len(recent) == 0 && len(results) == 0 {
		fmt.Fprintf(e.stdout, "No runs in the last %s in %s.\n", *sinceFlag, c.storePath)
		return nil
	}
	fmt.Fprintf(e.stdout, "Recent runs (last %s):\n", *sinceFlag)
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tENV\tSTARTED\tDURATION\tVERDICT\tJOURNEYS")
	for _, r := range recent {
		verdict, dur := "(unfinished)", "-"
		if r.Verdict != nil {
			verdict = string(r.Verdict.Status)
			dur = fmtDuration(r.FinishedAt.Sub(r.StartedAt))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", r.ID, r.Environment, r.StartedAt.Local().Format("2006-01-02 15:04:05"), dur, verdict, len(r.Planned))
	}
	tw.Flush()

	fmt.Fprintf(e.stdout, "\nSuccess rate per journey (last %s):\n", *sinceFlag)
	tw = tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOURNEY\tRUNS\tPASSED\tSUCCESS\tP50\tLAST\tLAST FAILURE")
	for _, s := range summarize(results) {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%s\t%s\t%s\n", s.name, s.runs, s.passed, 100*float64(s.passed)/float64(s.runs), fmtDuration(s.p50), s.last, s.lastFailure)
	}
	return tw.Flush()
}

type journeyStats struct {
	name        string
	runs        int
	passed      int
	p50         time.Duration
	last        journey.Outcome
	lastFailure string
}

// summarize counts each journey's latest attempt per run, newest first in.
func summarize(results []journey.Result) []journeyStats {
	type key struct{ run, journey string }
	latest := map[key]journey.Result{}
	for _, r := range results {
		k := key{r.RunID, r.Journey}
		if cur, ok := latest[k]; !ok || r.Attempt > cur.Attempt {
			latest[k] = r
		}
	}
	byJourney := map[string][]journey.Result{}
	for _, r := range latest {
		byJourney[r.Journey] = append(byJourney[r.Journey], r)
	}
	var out []journeyStats
	for name, rs := range byJourney {
		sort.Slice(rs, func(i, j int) bool { return rs[i].StartedAt.After(rs[j].StartedAt) })
		s := journeyStats{name: name, runs: len(rs), last: rs[0].Outcome, lastFailure: "-"}
		var durs []time.Duration
		for _, r := range rs {
			if r.Outcome.OK() {
				s.passed++
			} else if s.lastFailure == "-" {
				s.lastFailure = r.StartedAt.Local().Format("2006-01-02 15:04") + " " + string(r.Outcome)
			}
			durs = append(durs, r.Elapsed)
		}
		sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
		s.p50 = durs[(len(durs)-1)/2]
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// parseWindow accepts Go durations plus a days suffix ("30d").
func parseWindow(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, fmt.Errorf("%q is not a window: use e.g. 24h or 30d", s)
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
