package report

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/readiness"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// Defaults of LoadHistory: the window `journeygate history` looks over by
// default, and how many runs a chart shows at most.
const (
	DefaultHistoryWindow = 7 * 24 * time.Hour
	DefaultHistoryRuns   = 20
)

// maxHistoryResults bounds what LoadHistory reads for one journey, however
// many newer runs it has to pass over.
const maxHistoryResults = 2000

// HistoryReader is the part of the store the report's history reads.
type HistoryReader interface {
	// History returns results across runs, newest first (store.Store's).
	History(ctx context.Context, q store.HistoryQuery) ([]journey.Result, error)
}

// History is the recent record of a run's journeys in the store, as the
// HTML report charts it.
type History struct {
	// Window is how far before the run it looks; MaxRuns the most runs
	// per journey it keeps (the newest).
	Window  time.Duration
	MaxRuns int
	// Stats are readiness.Compute's statistics over the runs kept, one per
	// journey of the run, Runs newest first: the numbers `journeygate
	// history` prints, over this smaller window.
	Stats []readiness.Stats
	// Unavailable says why the history could not be read ("" when it
	// was).
	Unavailable string
}

// LoadHistory reads the recent record of each of r's journeys in r's
// environment: the newest runs (at most runs; 0 = DefaultHistoryRuns)
// that started within window (0 = DefaultHistoryWindow) before r ended,
// r itself included and anything that started after it left out, so an
// old run's report shows the history it had. Each journey is one History
// query, newest first and bounded; a journey run counts once, judged by
// its latest attempt (readiness.Compute). On an error it returns a
// History saying why, and the error.
func LoadHistory(ctx context.Context, st HistoryReader, r Run, window time.Duration, runs int) (*History, error) {
	if window <= 0 {
		window = DefaultHistoryWindow
	}
	if runs <= 0 {
		runs = DefaultHistoryRuns
	}
	h := &History{Window: window, MaxRuns: runs}
	until := r.StartedAt.Add(max(r.Elapsed, 0))
	for _, res := range r.Results {
		if res.StartedAt.After(until) {
			until = res.StartedAt
		}
	}
	if until.IsZero() {
		until = time.Now()
	}
	modes := map[string]journey.Mode{}
	var all []journey.Result
	for _, rw := range rows(r) {
		modes[rw.name] = rw.mode
		kept, err := journeyHistory(ctx, st, store.HistoryQuery{Journey: rw.name, Environment: r.Environment, Since: until.Add(-window)}, r.RunID, until, runs)
		if err != nil {
			h.Unavailable = fmt.Sprintf("reading the history of %s: %v", rw.name, err)
			return h, fmt.Errorf("report history: journey %s: %w", rw.name, err)
		}
		all = append(all, kept...)
	}
	stats := readiness.Compute(all, modes, readiness.DefaultPolicy())
	for _, s := range stats {
		if _, ok := modes[s.Journey]; ok {
			h.Stats = append(h.Stats, s)
		}
	}
	return h, nil
}

// journeyHistory returns the results of the newest runs (at most runs) of
// one journey up to until, the run runID always included. It asks for
// twice the runs' worth of results and, while newer runs use up that
// limit, for four times as many, up to maxHistoryResults; the oldest run
// of a page that was cut may be missing attempts, so it is dropped.
func journeyHistory(ctx context.Context, st HistoryReader, q store.HistoryQuery, runID string, until time.Time, runs int) ([]journey.Result, error) {
	limit := min(2*runs, maxHistoryResults)
	for {
		q.Limit = limit
		got, err := st.History(ctx, q)
		if err != nil {
			return nil, err
		}
		complete := len(got) < limit
		var kept []journey.Result
		var order []string // run IDs, newest first
		seen := map[string]bool{}
		for _, res := range got {
			if res.RunID != runID && res.StartedAt.After(until) {
				continue
			}
			kept = append(kept, res)
			if !seen[res.RunID] {
				seen[res.RunID] = true
				order = append(order, res.RunID)
			}
		}
		if !complete && len(order) <= runs && limit < maxHistoryResults {
			limit = min(4*limit, maxHistoryResults)
			continue
		}
		if !complete && len(order) > 0 {
			order = order[:len(order)-1] // possibly cut short
		}
		keep := map[string]bool{}
		for _, id := range order[:min(runs, len(order))] {
			keep[id] = true
		}
		out := kept[:0]
		for _, res := range kept {
			if keep[res.RunID] {
				out = append(out, res)
			}
		}
		return out, nil
	}
}

// describe says what the charts cover.
func (h *History) describe(env string) string {
	if h.Unavailable != "" {
		return "History unavailable: " + h.Unavailable
	}
	where := ""
	if env != "" {
		where = " in " + env
	}
	return fmt.Sprintf("History: each journey's last %d runs%s within %s before this run (this run ringed), each run judged by its latest attempt.",
		h.MaxRuns, where, windowText(h.Window))
}

// windowText renders a window the way `journeygate history --window` takes
// it: "7d", "36h", "90m".
func windowText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return strings.TrimSuffix(strings.TrimSuffix(d.String(), "0s"), "0m")
}

// chart is a journey's history as an inline SVG: the duration trend as a
// line over its runs, oldest on the left, and below it a mark per run whose
// shape (not only its colour) says its class.
type chart struct {
	Label    string // the chart's text alternative
	Caption  string
	Rate     string
	Trend    string // polyline points
	Marks    []mark
	Empty    bool
	MaxTaken string
}

// mark is one run in a chart.
type mark struct {
	D       string // path data of the shape
	X, Y    string
	Class   string
	Title   string
	Current bool
}

// Chart geometry, in the SVG's user units (viewBox 0 0 320 76).
const (
	chartLeft, chartRight = 12.0, 308.0
	trendTop, trendBottom = 8.0, 44.0
	markY                 = 62.0
)

func newChart(s readiness.Stats, runID string, window time.Duration) *chart {
	c := &chart{Rate: readiness.Percent(s.SuccessRate())}
	n := len(s.Runs)
	if n == 0 {
		c.Empty = true
		c.Caption = "No runs in the store within " + windowText(window) + "."
		c.Label = c.Caption
		c.Rate = "-"
		return c
	}
	var longest time.Duration
	for _, r := range s.Runs {
		longest = max(longest, r.Elapsed)
	}
	if longest <= 0 {
		longest = time.Millisecond
	}
	c.MaxTaken = dur(longest)
	x := func(i int) float64 {
		if n == 1 {
			return (chartLeft + chartRight) / 2
		}
		return chartLeft + float64(i)*(chartRight-chartLeft)/float64(n-1)
	}
	var points []string
	counts := map[journey.Outcome]int{}
	for i := range n {
		r := s.Runs[n-1-i] // oldest first
		counts[r.Class]++
		px := x(i)
		py := trendBottom - (trendBottom-trendTop)*float64(max(r.Elapsed, 0))/float64(longest)
		points = append(points, num(px)+","+num(py))
		m := mark{X: num(px), Y: num(markY), Class: classOf(r.Class), Current: r.RunID == runID, D: shape(r.Class, px, markY)}
		m.Title = fmt.Sprintf("%s: %s in %s, %s", r.RunID, r.Class, dur(r.Elapsed), stamp(r.StartedAt))
		if r.Attempts > 1 {
			m.Title += fmt.Sprintf(" (%d attempts)", r.Attempts)
		}
		if m.Current {
			m.Title += " (this run)"
		}
		c.Marks = append(c.Marks, m)
	}
	c.Trend = strings.Join(points, " ")
	var failedParts []string
	for _, o := range []journey.Outcome{journey.Failed, journey.SLABreach, journey.Errored} {
		if counts[o] > 0 {
			failedParts = append(failedParts, fmt.Sprintf("%d %s", counts[o], o))
		}
	}
	c.Caption = fmt.Sprintf("%d %s within %s: %d passed", n, plural(n, "run", "runs"), windowText(window), s.Passed)
	if s.Flaky > 0 {
		c.Caption += fmt.Sprintf(" (%d flaky)", s.Flaky)
	}
	if len(failedParts) > 0 {
		c.Caption += ", " + strings.Join(failedParts, ", ")
	}
	c.Caption += fmt.Sprintf("; success rate %s; p50 %s, longest %s.", c.Rate, dur(s.P50), c.MaxTaken)
	c.Label = "History of " + s.Journey + ": " + c.Caption
	return c
}

// shape is the path of a run's mark: a filled circle for passed (hollow
// for passed-flaky), a cross for failed, a triangle for sla-breach, a
// square for error.
func shape(o journey.Outcome, x, y float64) string {
	switch o {
	case journey.Passed, journey.PassedFlaky:
		return fmt.Sprintf("M%s %sa4 4 0 1 0 8 0a4 4 0 1 0 -8 0Z", num(x-4), num(y))
	case journey.Failed:
		return fmt.Sprintf("M%s %sL%s %sM%s %sL%s %s", num(x-4), num(y-4), num(x+4), num(y+4), num(x+4), num(y-4), num(x-4), num(y+4))
	case journey.SLABreach:
		return fmt.Sprintf("M%s %sL%s %sL%s %sZ", num(x), num(y-5), num(x+5), num(y+4), num(x-5), num(y+4))
	default:
		return fmt.Sprintf("M%s %sh8v8h-8Z", num(x-4), num(y-4))
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
