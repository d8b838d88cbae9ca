package dynamo

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/journeygate/journeygate/shared/journey"
)

func TestHistoryKeysAreUnambiguous(t *testing.T) {
	pairs := [][2]string{{"a#b", "c"}, {"a", "b#c"}, {"a#", "c"}, {"a", "#c"}, {"1#a", "b"}, {"1", "a#b"}}
	seen := map[string][2]string{}
	for _, p := range pairs {
		k := histEnvJourneyPK(p[0], p[1])
		if prev, ok := seen[k]; ok {
			t.Errorf("%v and %v share partition %q", prev, p, k)
		}
		seen[k] = p
	}
	sks := map[string]bool{}
	for _, r := range []struct {
		j string
		a int
	}{{"b", 1}, {"b#000001", 1}, {"b", 100000}, {"b#1", 1}} {
		k := resultSK(r.j, r.a)
		if sks[k] {
			t.Errorf("result key %q is not unique", k)
		}
		sks[k] = true
	}
}

func TestTruncateText(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		keep  string
	}{
		{"short stays", "hello", 10, "hello"},
		{"exact stays", "hello", 5, "hello"},
		{"cut with note", "hello world", 5, "hello"},
		{"never splits a rune", "aüb", 2, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := truncateText(tt.in, tt.limit)
			if !strings.HasPrefix(got, tt.keep) || !utf8.ValidString(got) {
				t.Fatalf("truncateText(%q, %d) = %q, want prefix %q, valid UTF-8", tt.in, tt.limit, got, tt.keep)
			}
			if truncated := got != tt.in; truncated != strings.Contains(got, "truncated by the journeygate store") {
				t.Errorf("truncateText(%q, %d) = %q: note and truncation disagree", tt.in, tt.limit, got)
			}
		})
	}
}

func TestBoundedResultItemFitsAndLeavesRealResultsAlone(t *testing.T) {
	r := journey.Result{RunID: "r", Journey: "j", Environment: "e", Attempt: 1, StartedAt: time.Unix(0, 1)}
	r.Steps = []journey.StepResult{{Name: "s", Evidence: []journey.Evidence{{Label: "l", Detail: strings.Repeat("x", 4<<10)}}}}
	k := resultKeys(r, 0)
	item, err := boundedResultItem(k, r)
	if err != nil {
		t.Fatal(err)
	}
	var back resultItem
	if err := unmarshalItem(item, &back); err != nil {
		t.Fatal(err)
	}
	if back.Steps[0].Evidence[0].Detail != r.Steps[0].Evidence[0].Detail {
		t.Error("a 4 KB evidence was altered")
	}
	// 300 steps of 4 KB messages: only the cap of 1 KB (or lower) fits.
	for range 300 {
		r.Steps = append(r.Steps, journey.StepResult{Name: "s", Message: strings.Repeat("m", 4<<10)})
	}
	item, err = boundedResultItem(k, r)
	if err != nil {
		t.Fatal(err)
	}
	if n := itemSize(item); n > itemBudget {
		t.Errorf("bounded item is %d bytes, over the budget %d", n, itemBudget)
	}
	// Far too many steps even with every text cut: refused, not sent.
	r.Steps = make([]journey.StepResult, 20000)
	if _, err := boundedResultItem(k, r); err == nil {
		t.Error("a result of 20000 steps was accepted")
	}
}
