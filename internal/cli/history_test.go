package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// seedHistory records runs of journeys in a store file: per journey, the
// outcomes of each run's attempts, one run per journey per hour in the
// last days.
func seedHistory(t *testing.T, path string, runs map[string][][]journey.Outcome) {
	t.Helper()
	st, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Now().Add(-time.Hour)
	for name, rs := range runs {
		for i, attempts := range rs {
			id := fmt.Sprintf("r-%s-%03d", name, i)
			started := now.Add(-time.Duration(len(rs)-i) * time.Hour)
			if err := st.CreateRun(ctx, store.RunRecord{ID: id, Environment: "local", Trigger: trigger.Trigger{Type: trigger.Schedule}, StartedAt: started,
				Planned: []gate.Planned{{Name: name, Mode: journey.ModeObserve}}}); err != nil {
				t.Fatal(err)
			}
			for a, o := range attempts {
				r := journey.Result{RunID: id, Journey: name, Environment: "local", Tier: journey.TierGlobal, Mode: journey.ModeObserve,
					Attempt: a + 1, StartedAt: started.Add(time.Duration(a) * time.Second), Elapsed: 10 * time.Millisecond, Outcome: o}
				if err := st.PutResult(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func repeat(n int, attempts ...journey.Outcome) [][]journey.Outcome {
	out := make([][]journey.Outcome, n)
	for i := range out {
		out[i] = attempts
	}
	return out
}

var (
	passes   = []journey.Outcome{journey.Passed}
	flakes   = []journey.Outcome{journey.Errored, journey.Passed}
	breaches = []journey.Outcome{journey.SLABreach}
)

func TestHistoryReadiness(t *testing.T) {
	nop := func(context.Context, *journey.T) error { return nil }
	useJourneys(t,
		oneStep("grouping", journey.ModeObserve, nop),
		oneStep("young", journey.ModeObserve, nop),
		oneStep("flappy", journey.ModeObserve, nop),
		oneStep("broken", journey.ModeObserve, nop),
		oneStep("steady", journey.ModeEnforce, nop),
	)
	path := filepath.Join(t.TempDir(), "s.db")
	seedHistory(t, path, map[string][][]journey.Outcome{
		"grouping": append(repeat(19, passes...), flakes),                  // 1 flake in 20: 5%, ready
		"young":    repeat(12, passes...),                                  // too few runs
		"flappy":   append(repeat(23, passes...), repeat(2, flakes...)...), // 8%
		"broken":   append(repeat(20, passes...), breaches),                // the latest failed
		"steady":   repeat(3, passes...),
	})

	tests := []struct {
		name  string
		args  []string
		wants []string   // substrings
		rows  [][]string // lines starting with these fields
		nots  [][]string
	}{
		{
			name: "defaults",
			wants: []string{
				"Success rate per journey (last 7d; each run counted once, by its latest attempt):\n",
				"Ready to enforce? Observe-mode journeys with at least 20 runs in the window, a flake rate of at most 5.0%, and their last 20 runs all passed:\n",
			},
			rows: [][]string{
				{"grouping", "observe", "20", "20", "100.0%", "1", "5.0%", "10ms", "passed-flaky", "-"},
				{"flappy", "observe", "25", "25", "100.0%", "2", "8.0%"},
				{"broken", "observe", "21", "20", "95.2%", "0", "0.0%", "10ms", "sla-breach"},
				{"steady", "enforce", "3", "3", "100.0%", "0", "0.0%"},
				{"grouping", "ready", "to", "enforce", "20", "runs,", "flake", "rate", "5.0%,", "the", "last", "20", "passed"},
				{"young", "not", "ready", "12/20", "runs"},
				{"flappy", "not", "ready", "flake", "rate", "8.0%", ">", "5.0%"},
				{"broken", "not", "ready", "1", "of", "the", "last", "20", "runs", "failed", "(latest:", "sla-breach", "at"},
			},
			nots: [][]string{{"steady", "not"}, {"steady", "ready"}},
		},
		{
			name:  "own thresholds",
			args:  []string{"--min-runs", "10", "--max-flake-rate", "10%"},
			wants: []string{"at least 10 runs in the window, a flake rate of at most 10.0%"},
			rows: [][]string{
				{"young", "ready", "to", "enforce", "12", "runs,", "flake", "rate", "0.0%,", "the", "last", "10", "passed"},
				{"flappy", "ready", "to", "enforce", "25", "runs,", "flake", "rate", "8.0%,", "the", "last", "10", "passed"},
				{"broken", "not", "ready", "1", "of", "the", "last", "10", "runs", "failed"},
			},
		},
		{
			name:  "one run needed: said in the singular",
			args:  []string{"--min-runs", "1", "--max-flake-rate", "10%"},
			wants: []string{"at least 1 run in the window, a flake rate of at most 10.0%, and their last run passed:\n"},
			rows: [][]string{
				{"young", "ready", "to", "enforce", "12", "runs,", "flake", "rate", "0.0%,", "the", "last", "one", "passed"},
				{"broken", "not", "ready", "the", "last", "run", "failed", "(sla-breach", "at"},
			},
		},
		{
			name:  "one journey",
			args:  []string{"--journey", "young", "--window", "30d"},
			wants: []string{"(last 30d;"},
			rows:  [][]string{{"young", "observe", "12"}, {"young", "not", "ready", "12/20", "runs"}},
			nots:  [][]string{{"grouping", "observe"}, {"grouping", "ready"}},
		},
		{
			name: "the latest run only",
			args: []string{"--journey", "young", "--runs", "1"},
			rows: [][]string{{"r-young-011", "local"}, {"young", "observe", "12"}},
			nots: [][]string{{"r-young-010"}},
		},
		{
			name: "one environment of the environments file",
			args: []string{"--env", "local"},
			rows: [][]string{{"r-young-011", "local"}, {"young", "observe", "12"}},
		},
		{
			name:  "older --since still works",
			args:  []string{"--since", "24h"},
			wants: []string{"(last 24h;"},
			rows:  [][]string{{"grouping", "observe"}, {"young", "not", "ready", "12/20", "runs"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, append([]string{"history", "--store", path}, tt.args...)...)
			if code != exitSucceeded {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range tt.wants {
				if !strings.Contains(out, w) {
					t.Errorf("history lacks %q:\n%s", w, out)
				}
			}
			for _, r := range tt.rows {
				if !hasRow(out, r...) {
					t.Errorf("history has no line starting %q:\n%s", r, out)
				}
			}
			for _, r := range tt.nots {
				if hasRow(out, r...) {
					t.Errorf("history should have no line starting %q:\n%s", r, out)
				}
			}
		})
	}
}

// hasRow reports whether a line of out starts with fields, whitespace aside.
func hasRow(out string, fields ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= len(fields) && slices.Equal(f[:len(fields)], fields) {
			return true
		}
	}
	return false
}

func TestHistoryFlagErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-flake-rate", "5"}, `--max-flake-rate: "5" is above 1: write a percentage with %, e.g. 5%`},
		{[]string{"--max-flake-rate", "lots"}, "--max-flake-rate"},
		{[]string{"--max-flake-rate", "120%"}, "not between 0% and 100%"},
		{[]string{"--min-runs", "0"}, "--min-runs must be at least 1"},
		{[]string{"--window", "7d", "--since", "24h"}, "--since and --window are the same setting"},
		{[]string{"--window", "soon"}, "--window"},
	} {
		code, _, stderr := runCLI(t, append([]string{"history", "--store", path}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 saying %q", tc.args, code, stderr, tc.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"5%": 0.05, "0.05": 0.05, "0": 0, "100%": 1, " 2.5% ": 0.025, "1": 1} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
