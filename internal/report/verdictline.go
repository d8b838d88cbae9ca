package report

import "github.com/journeygate/journeygate/internal/gate"

// VerdictLine is the VERDICT line WriteSummary ends with ("VERDICT:
// Succeeded — 4/4 journeys passed"), for other views of a recorded
// verdict, such as journeygate show, to say it the same way.
func VerdictLine(v gate.Verdict) string { return verdictLine(v) }
