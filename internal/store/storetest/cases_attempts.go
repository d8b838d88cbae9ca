package storetest

import (
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// testRetriedAttempts stores a journey that errored, then passed on its
// retry, beside one that passed at once: the store keeps every attempt, so
// what is read back still tells a flaky pass (journey.Class passed-flaky,
// a verdict with the flake) from a clean one, through Results, LoadRun and
// History alike.
func testRetriedAttempts(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("run-retry", "staging", base))
	errored := newResult("run-retry", "staging", "checkout", 1, at(time.Second))
	errored.Outcome, errored.Steps[1].Outcome = journey.Errored, journey.Errored
	passed := newResult("run-retry", "staging", "checkout", 2, at(9*time.Second))
	passed.Outcome, passed.Message, passed.Steps[1].Outcome, passed.Steps[1].Message = journey.Passed, "", journey.Passed, ""
	passed.Steps[2].Outcome = journey.Passed
	clean := passed
	clean.Journey, clean.Attempt = "login", 1
	for _, r := range []journey.Result{passed, clean, errored} {
		mustPutResult(t, s, r)
	}

	results, err := s.Results(t.Context(), "run-retry")
	if err != nil {
		t.Fatal(err)
	}
	checkResults(t, "Results(run-retry)", results, []journey.Result{errored, passed, clean})
	rec, loaded, err := store.LoadRun(t.Context(), s, "run-retry")
	if err != nil {
		t.Fatal(err)
	}
	checkResults(t, "LoadRun(run-retry)", loaded, []journey.Result{errored, passed, clean})
	var checkout, login []journey.Result
	for _, r := range loaded {
		switch r.Journey {
		case "checkout":
			checkout = append(checkout, r)
		case "login":
			login = append(login, r)
		}
	}
	if c := journey.Class(checkout); c != journey.PassedFlaky {
		t.Errorf("checkout reads back as %s, want passed-flaky", c)
	}
	if c := journey.Class(login); c != journey.Passed {
		t.Errorf("login reads back as %s, want passed", c)
	}
	v := gate.Decide(gate.Input{Planned: rec.Planned, Results: loaded})
	if v.Status != gate.Succeeded || v.Flaky != 1 || v.Flakes[0].Journey != "checkout" {
		t.Errorf("verdict over the stored attempts: %s, %d flaky (%s)", v.Status, v.Flaky, v.Summary)
	}

	hist, err := s.History(t.Context(), store.HistoryQuery{Journey: "checkout"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || journey.Class(hist) != journey.PassedFlaky {
		t.Errorf("History(checkout) = %v: want both attempts, reading as passed-flaky", labels(hist))
	}
}
