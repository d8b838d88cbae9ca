package readiness

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// Defaults of Policy.
const (
	// DefaultMinRuns is the fewest runs a journey needs before it may be
	// enforced.
	DefaultMinRuns = 20
	// DefaultMaxFlakeRate is the highest flake rate (5%) of a journey that
	// may be enforced.
	DefaultMaxFlakeRate = 0.05
)

// Policy is the rule for "ready to enforce"; see the package doc.
type Policy struct {
	// MinRuns is the fewest runs in the window, and how many of the latest
	// must all have passed (0 = DefaultMinRuns).
	MinRuns int
	// MaxFlakeRate is the highest flake rate allowed, a fraction in [0, 1].
	MaxFlakeRate float64
}

// DefaultPolicy returns the default rule: 20 runs, flake rate at most 5%.
func DefaultPolicy() Policy {
	return Policy{MinRuns: DefaultMinRuns, MaxFlakeRate: DefaultMaxFlakeRate}
}

// Validate checks the policy's bounds.
func (p Policy) Validate() error {
	var errs []error
	if p.MinRuns < 0 {
		errs = append(errs, fmt.Errorf("minimum runs %d is negative", p.MinRuns))
	}
	if p.MaxFlakeRate < 0 || p.MaxFlakeRate > 1 {
		errs = append(errs, fmt.Errorf("maximum flake rate %g is not between 0 and 1 (0%% and 100%%)", p.MaxFlakeRate))
	}
	return errors.Join(errs...)
}

func (p Policy) minRuns() int {
	if p.MinRuns <= 0 {
		return DefaultMinRuns
	}
	return p.MinRuns
}

// Run is one journey run: the journey's attempts in one run, judged by the
// latest.
type Run struct {
	RunID string
	// StartedAt is when the latest attempt started.
	StartedAt time.Time
	// Class is passed, passed-flaky, failed, sla-breach or error.
	Class journey.Outcome
	// Elapsed is the latest attempt's duration.
	Elapsed time.Duration
	// Attempts counts the journey's attempts in the run.
	Attempts int
}

// Stats is one journey's record over the window, and its readiness.
type Stats struct {
	Journey string
	// Mode is the journey's mode in the catalogue ("" when it is not in
	// it any more).
	Mode journey.Mode
	// Runs lists the journey runs, newest first.
	Runs []Run
	// Passed counts runs that passed (flaky ones included), Flaky those
	// that passed only after a retry.
	Passed, Flaky int
	// P50 is the median duration of the runs' latest attempts.
	P50 time.Duration
	// Ready is true for an observe-mode journey that meets the policy;
	// NotReady says why one does not, rule by rule (empty when Ready, and
	// for journeys that are not in observe mode).
	Ready    bool
	NotReady []string
}

// SuccessRate is Passed / runs (0 without runs).
func (s Stats) SuccessRate() float64 { return rate(s.Passed, len(s.Runs)) }

// FlakeRate is Flaky / runs (0 without runs).
func (s Stats) FlakeRate() float64 { return rate(s.Flaky, len(s.Runs)) }

// Last returns the newest run, if any.
func (s Stats) Last() (Run, bool) {
	if len(s.Runs) == 0 {
		return Run{}, false
	}
	return s.Runs[0], true
}

// LastFailure returns the newest run that did not pass, if any.
func (s Stats) LastFailure() (Run, bool) {
	for _, r := range s.Runs {
		if !r.Class.OK() {
			return r, true
		}
	}
	return Run{}, false
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// Compute returns the record of every journey that has results, plus every
// journey of modes (the catalogue's journeys and their modes) without any,
// sorted by name. results are journey results of the window, every attempt
// included, in any order. p must be valid (see Validate).
func Compute(results []journey.Result, modes map[string]journey.Mode, p Policy) []Stats {
	type key struct{ run, journey string }
	attempts := map[key][]journey.Result{}
	for _, r := range results {
		k := key{r.RunID, r.Journey}
		attempts[k] = append(attempts[k], r)
	}
	runs := map[string][]Run{}
	for k, as := range attempts {
		streak := journey.Streak(as)
		latest := streak[len(streak)-1]
		runs[k.journey] = append(runs[k.journey], Run{
			RunID: k.run, StartedAt: latest.StartedAt, Class: journey.Class(as),
			Elapsed: latest.Elapsed, Attempts: len(as),
		})
	}
	for name := range modes {
		if _, ok := runs[name]; !ok {
			runs[name] = nil
		}
	}
	out := make([]Stats, 0, len(runs))
	for name, rs := range runs {
		sort.Slice(rs, func(i, j int) bool {
			if !rs[i].StartedAt.Equal(rs[j].StartedAt) {
				return rs[i].StartedAt.After(rs[j].StartedAt)
			}
			return rs[i].RunID > rs[j].RunID
		})
		s := Stats{Journey: name, Mode: modes[name], Runs: rs}
		durs := make([]time.Duration, 0, len(rs))
		for _, r := range rs {
			if r.Class.OK() {
				s.Passed++
			}
			if r.Class == journey.PassedFlaky {
				s.Flaky++
			}
			durs = append(durs, r.Elapsed)
		}
		if len(durs) > 0 {
			sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
			s.P50 = durs[(len(durs)-1)/2]
		}
		if s.Mode == journey.ModeObserve {
			s.NotReady = judge(s, p)
			s.Ready = len(s.NotReady) == 0
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Journey < out[j].Journey })
	return out
}

// judge returns the rules s does not meet.
func judge(s Stats, p Policy) []string {
	n := p.minRuns()
	var why []string
	if len(s.Runs) < n {
		why = append(why, fmt.Sprintf("%d/%d runs", len(s.Runs), n))
	}
	if fr := s.FlakeRate(); fr > p.MaxFlakeRate {
		why = append(why, fmt.Sprintf("flake rate %s > %s", Percent(fr), Percent(p.MaxFlakeRate)))
	}
	recent := s.Runs[:min(n, len(s.Runs))]
	failed := 0
	var newest Run
	for _, r := range recent {
		if !r.Class.OK() {
			if failed == 0 {
				newest = r
			}
			failed++
		}
	}
	if failed > 0 {
		which := fmt.Sprintf("%d of the last %d runs failed (latest: ", failed, len(recent))
		if len(recent) == 1 {
			which = "the last run failed ("
		}
		why = append(why, fmt.Sprintf("%s%s at %s)",
			which, newest.Class, newest.StartedAt.UTC().Format("2006-01-02 15:04 UTC")))
	}
	return why
}

// Percent renders a fraction as a percentage with one decimal: "5.0%".
func Percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }
