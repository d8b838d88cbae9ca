package gate

import (
	"fmt"
	"strings"

	"github.com/journeygate/journeygate/internal/display"
	"github.com/journeygate/journeygate/shared/journey"
)

// Note is something the verdict reports without it changing the status:
// one cleanup of one attempt that failed, which may have left state behind
// in the environment (journey.CleanupResult).
type Note struct {
	Journey string `json:"journey"`
	Attempt int    `json:"attempt"`
	// Cleanup names the cleanup action; Message says why it failed.
	Cleanup string `json:"cleanup"`
	Message string `json:"message"`
}

// maxNotesSummary bounds the runes the notes add to a Summary.
const maxNotesSummary = 120

// maxNoteMessage bounds a Note's message in runes (its middle is cut): a
// verdict is stored and reported whole, with a note per failed cleanup.
const maxNoteMessage = 300

// notesOf lists every failed cleanup of the planned journeys' results, in
// every attempt, in the order of results.
func notesOf(plan []Planned, results []journey.Result) []Note {
	planned := map[string]bool{}
	for _, p := range plan {
		planned[p.Name] = true
	}
	var out []Note
	for _, r := range results {
		if !planned[r.Journey] {
			continue
		}
		for _, c := range r.Cleanup {
			if c.Error != "" {
				out = append(out, Note{Journey: r.Journey, Attempt: r.Attempt, Cleanup: c.Name, Message: display.Cut(c.Error, maxNoteMessage)})
			}
		}
	}
	return out
}

// notesSummary renders the notes for the end of a Summary: "; 1 cleanup
// failed: silence-suppresses attempt 1 (expire silences)", or "" for none.
func notesSummary(notes []Note) string {
	if len(notes) == 0 {
		return ""
	}
	parts := make([]string, len(notes))
	for i, n := range notes {
		parts[i] = fmt.Sprintf("%s attempt %d (%s)", n.Journey, n.Attempt, n.Cleanup)
	}
	return oneLine(fmt.Sprintf("; %d %s failed: %s", len(notes), plural(len(notes), "cleanup", "cleanups"), strings.Join(parts, ", ")), maxNotesSummary)
}

// explainNotes renders the notes for Explain.
func explainNotes(notes []Note) string {
	var b strings.Builder
	for _, n := range notes {
		fmt.Fprintf(&b, "\n%s [cleanup failed, not blocking]\n", n.Journey)
		fmt.Fprintf(&b, "  attempt %d: cleanup %q: %s\n", n.Attempt, n.Cleanup, indentRest(n.Message, "             "))
	}
	return b.String()
}
