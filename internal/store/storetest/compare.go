package storetest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// Normalisation treats times as instants (UTC, no monotonic reading) and
// empty slices as nil, so only what a store must preserve is compared.

func utc(t time.Time) time.Time { return t.UTC().Round(0) }

func normResult(r journey.Result) journey.Result {
	r.StartedAt = utc(r.StartedAt)
	var steps []journey.StepResult
	for _, s := range r.Steps {
		s.StartedAt = utc(s.StartedAt)
		if len(s.Evidence) == 0 {
			s.Evidence = nil
		} else {
			s.Evidence = append([]journey.Evidence(nil), s.Evidence...)
		}
		steps = append(steps, s)
	}
	r.Steps = steps
	if len(r.Cleanup) == 0 {
		r.Cleanup = nil
	} else {
		r.Cleanup = append([]journey.CleanupResult(nil), r.Cleanup...)
	}
	return r
}

func normVerdict(v *gate.Verdict) *gate.Verdict {
	if v == nil {
		return nil
	}
	c := *v
	if len(c.Reasons) == 0 {
		c.Reasons = nil
	} else {
		c.Reasons = append([]gate.Reason(nil), c.Reasons...)
	}
	return &c
}

func normRun(r store.RunRecord) store.RunRecord {
	r.StartedAt = utc(r.StartedAt)
	r.FinishedAt = utc(r.FinishedAt)
	if len(r.Planned) == 0 {
		r.Planned = nil
	} else {
		r.Planned = append([]gate.Planned(nil), r.Planned...)
	}
	r.Verdict = normVerdict(r.Verdict)
	return r
}

func dump(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func checkResult(t *testing.T, what string, got, want journey.Result) {
	t.Helper()
	if g, w := normResult(got), normResult(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: result differs\ngot:  %s\nwant: %s", what, dump(g), dump(w))
	}
}

func checkResults(t *testing.T, what string, got, want []journey.Result) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d results %v, want %d %v", what, len(got), labels(got), len(want), labels(want))
		return
	}
	for i := range want {
		checkResult(t, what+" ["+label(want[i])+"]", got[i], want[i])
	}
}

func labels(rs []journey.Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = label(r)
	}
	return out
}

func checkRun(t *testing.T, what string, got, want store.RunRecord) {
	t.Helper()
	if g, w := normRun(got), normRun(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: run differs\ngot:  %s\nwant: %s", what, dump(g), dump(w))
	}
}

func runIDs(rs []store.RunRecord) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}
