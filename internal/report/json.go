package report

import (
	"encoding/json"
	"io"

	"github.com/journeygate/journeygate/shared/journey"
)

// JourneyClass is one journey's class in a run, as the JSON report lists
// it beside the raw results.
type JourneyClass struct {
	Journey string       `json:"journey"`
	Mode    journey.Mode `json:"mode"`
	// Class is passed, passed-flaky (passed only after a retry), failed,
	// sla-breach or error: the journey's latest attempt as the gate judged
	// it.
	Class journey.Outcome `json:"class"`
	// Attempts counts the journey's recorded attempts in the run (0 when
	// it recorded none).
	Attempts int `json:"attempts"`
	// Blocking is whether the journey fails the gate.
	Blocking bool `json:"blocking"`
}

// Journeys returns every journey of the run with its class, in the order
// the reports list them.
func (r Run) Journeys() []JourneyClass {
	out := []JourneyClass{}
	for _, rw := range rows(r) {
		out = append(out, JourneyClass{Journey: rw.name, Mode: rw.mode, Class: rw.outcome, Attempts: len(rw.attempts), Blocking: rw.blocking})
	}
	return out
}

// WriteJSON writes the run as indented JSON: every recorded result (all
// attempts), the verdict, and "journeys", each journey's class (see
// JourneyClass). Durations are integer nanoseconds, the same encoding the
// store and the Lambdas exchange, and HTML characters are not escaped so
// evidence stays readable.
func WriteJSON(w io.Writer, r Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if r.Results == nil {
		r.Results = []journey.Result{}
	}
	return enc.Encode(struct {
		Run
		Journeys []JourneyClass `json:"journeys"`
	}{r, r.Journeys()})
}
