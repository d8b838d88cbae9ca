package report

import (
	"encoding/json"
	"io"

	"github.com/journeygate/journeygate/shared/journey"
)

// WriteJSON writes the run as indented JSON: every recorded result (all
// attempts) and the verdict. Durations are integer nanoseconds, the same
// encoding the store and the Lambdas exchange, and HTML characters are not
// escaped so evidence stays readable.
func WriteJSON(w io.Writer, r Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if r.Results == nil {
		r.Results = []journey.Result{}
	}
	return enc.Encode(r)
}
