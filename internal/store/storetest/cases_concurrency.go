package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// race starts n goroutines together and returns each one's error.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// winner returns the index of the only nil error; every other error must be ErrExists.
func winner(t *testing.T, what string, errs []error) int {
	t.Helper()
	win := -1
	for i, err := range errs {
		switch {
		case err == nil && win >= 0:
			t.Fatalf("%s: writers %d and %d both succeeded", what, win, i)
		case err == nil:
			win = i
		case !errors.Is(err, store.ErrExists):
			t.Fatalf("%s: writer %d error = %v, want nil or ErrExists", what, i, err)
		}
	}
	if win < 0 {
		t.Fatalf("%s: no writer succeeded", what)
	}
	return win
}

func testConcurrentResults(t *testing.T, s store.Store) {
	mustCreateRun(t, s, newRun("run-1", "staging", base))
	const journeys, attempts = 12, 4
	var want []journey.Result
	for j := range journeys {
		for a := 1; a <= attempts; a++ {
			want = append(want, newResult("run-1", "staging", fmt.Sprintf("j%02d", j), a, at(time.Duration(j*attempts+a)*time.Second)))
		}
	}
	errs := race(len(want), func(i int) error { return s.PutResult(t.Context(), want[i]) })
	for i, err := range errs {
		if err != nil {
			t.Errorf("PutResult(%s): %v", label(want[i]), err)
		}
	}
	got, err := s.Results(t.Context(), "run-1")
	if err != nil {
		t.Fatalf("Results: %v", err)
	}
	checkResults(t, "Results", got, want) // want is already in journey, attempt order
	hist, err := s.History(t.Context(), store.HistoryQuery{Environment: "staging"})
	if err != nil {
		t.Fatalf("History: %v", err)
	}
	if len(hist) != len(want) {
		t.Errorf("History returned %d results, want %d", len(hist), len(want))
	}
}

func testConcurrentConflicts(t *testing.T, s store.Store) {
	const n = 12
	runs := make([]store.RunRecord, n)
	for i := range runs {
		runs[i] = newRun("run-1", fmt.Sprintf("env-%d", i), at(time.Duration(i)*time.Second))
	}
	win := winner(t, "CreateRun", race(n, func(i int) error { return s.CreateRun(t.Context(), runs[i]) }))
	gotRun, err := s.GetRun(t.Context(), "run-1")
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	checkRun(t, "run after racing CreateRun", gotRun, runs[win])
	env := runs[win].Environment

	results := make([]journey.Result, n)
	for i := range results {
		results[i] = newResult("run-1", env, "checkout", 1, at(time.Minute))
		results[i].Message = fmt.Sprintf("writer %d", i)
	}
	win = winner(t, "PutResult", race(n, func(i int) error { return s.PutResult(t.Context(), results[i]) }))
	got, err := s.Results(t.Context(), "run-1")
	if err != nil {
		t.Fatalf("Results: %v", err)
	}
	checkResults(t, "results after racing PutResult", got, results[win:win+1])

	verdicts := make([]gate.Verdict, n)
	for i := range verdicts {
		verdicts[i] = newVerdict(fmt.Sprintf("writer %d", i))
	}
	win = winner(t, "PutVerdict", race(n, func(i int) error {
		return s.PutVerdict(t.Context(), "run-1", verdicts[i], at(time.Duration(i)*time.Hour))
	}))
	gotRun, err = s.GetRun(t.Context(), "run-1")
	if err != nil {
		t.Fatalf("GetRun: %v", err)
	}
	if gotRun.Verdict == nil || gotRun.Verdict.Summary != verdicts[win].Summary || !gotRun.FinishedAt.Equal(at(time.Duration(win)*time.Hour)) {
		t.Errorf("after racing PutVerdict: verdict %+v finished %v; want the winner's (%q, %v)",
			gotRun.Verdict, gotRun.FinishedAt, verdicts[win].Summary, at(time.Duration(win)*time.Hour))
	}
}
