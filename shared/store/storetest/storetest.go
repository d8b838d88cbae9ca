package storetest

import (
	"testing"

	"github.com/journeygate/journeygate/shared/store"
)

// Run checks that the stores returned by open behave as store.Store requires; open must return a fresh, empty store, which Run closes.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	cases := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
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
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			c.fn(t, s)
		})
	}
}
