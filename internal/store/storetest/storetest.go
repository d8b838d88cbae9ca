package storetest

import (
	"testing"

	"github.com/journeygate/journeygate/internal/store"
)

// Run checks that the stores returned by open behave as store.Store requires; open must return a fresh, empty store, which Run closes.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	cases := []testCase[store.Store]{
		{"CreateAndGetRun", testCreateAndGetRun},
		{"GetUnknownRun", testGetUnknownRun},
		{"DuplicateRun", testDuplicateRun},
		{"ResultRoundTrip", testResultRoundTrip},
		{"DuplicateResult", testDuplicateResult},
		{"ResultForUnknownRun", testResultForUnknownRun},
		{"ResultEnvironmentMismatch", testResultEnvironmentMismatch},
		{"VerdictOnce", testVerdictOnce},
		{"VerdictForUnknownRun", testVerdictForUnknownRun},
		{"ResultsSorted", testResultsSorted},
		{"History", testHistory},
		{"RecentRuns", testRecentRuns},
		{"ConcurrentResults", testConcurrentResults},
		{"ConcurrentConflicts", testConcurrentConflicts},
		{"Validation", testValidation},
		{"CancelledContext", testCancelledContext},
		{"NamesWithSeparators", testNamesWithSeparators},
		{"LoadRun", testLoadRun},
		{"RetriedAttempts", testRetriedAttempts},
		{"RunIDsWithPrefix", testRunIDsWithPrefix},
	}
	runCases(t, open, cases)
}

// testCase is one named conformance check on a store of type S.
type testCase[S any] struct {
	name string
	fn   func(t *testing.T, s S)
}

// runCases runs each case as a subtest on a fresh store from open, and
// closes the store afterwards when it can be closed.
func runCases[S any](t *testing.T, open func(t *testing.T) S, cases []testCase[S]) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if closer, ok := any(s).(interface{ Close() error }); ok {
					if err := closer.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				}
			})
			c.fn(t, s)
		})
	}
}
