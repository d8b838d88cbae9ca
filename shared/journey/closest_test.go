package journey_test

import (
	"testing"

	"github.com/journeygate/journeygate/shared/journey"
)

func TestDidYouMean(t *testing.T) {
	known := []string{"health-ui", "order-mailed", "order-placed", "order-texted"}
	for _, tc := range []struct {
		name string
		want string
	}{
		{"order-placd", `; did you mean "order-placed"?`},  // one edit
		{"ordr-placd", `; did you mean "order-placed"?`},   // two
		{"Order-Placed", `; did you mean "order-placed"?`}, // case
		{"health", `; did you mean "health-ui"?`},          // a prefix
		{"health-ui-v2", `; did you mean "health-ui"?`},    // prefixed
		{"order", ""},        // the prefix of three: no guess
		{"checkout", ""},     // nothing close
		{"order-placed", ""}, // known
		{"xy", ""},           // too short to be a prefix of anything meant
	} {
		if got := journey.DidYouMean(tc.name, known); got != tc.want {
			t.Errorf("DidYouMean(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	// Two names equally close: no guess.
	if got := journey.DidYouMean("stagin", []string{"staging", "stagint"}); got != "" {
		t.Errorf("a tie suggested %q", got)
	}
}
