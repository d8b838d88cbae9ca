package report

import (
	"strings"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
)

// Bounds on the causes a verdict's reason leads with.
const (
	maxCauseLines = 2   // lines per reason
	maxCauseRunes = 160 // runes per line
)

// causePrefixes start a diagnostic's line that states a cause outright.
var causePrefixes = []string{"cause:", "failing:"}

// Causes returns what the diagnostics of the failing step of res (or of
// its step stepIndex, 1-based, when in range) name as the cause, at most
// two lines of at most 160 runes: the lines that state one ("cause: ...",
// "failing: ...", with their indented continuation). A diagnostic names a
// cause only so: its other lines are what it saw, never guessed at. A
// leading "cause: " is dropped. nil when no diagnostic names one.
func Causes(res journey.Result, stepIndex int) []string {
	i := stepIndex - 1
	if i < 0 || i >= len(res.Steps) {
		i = res.FailedStep()
	}
	if i < 0 {
		return nil
	}
	var stated []string
	for _, e := range res.Steps[i].Evidence {
		if !strings.HasPrefix(e.Label, journey.DiagnosticLabel) || strings.HasPrefix(e.Detail, "not captured") {
			continue
		}
		lines := strings.Split(strings.ReplaceAll(e.Detail, "\r\n", "\n"), "\n")
		for n := 0; n < len(lines); n++ {
			line := lines[n]
			if !hasCausePrefix(line) {
				continue
			}
			stated = append(stated, line)
			for n+1 < len(lines) && strings.HasPrefix(lines[n+1], " ") && strings.TrimSpace(lines[n+1]) != "" {
				n++
				stated = append(stated, lines[n])
			}
		}
	}
	lines := stated
	if len(lines) > maxCauseLines {
		lines = lines[:maxCauseLines]
	}
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, "cause:"); ok {
			l = strings.TrimSpace(rest)
		}
		out = append(out, oneLine(l, maxCauseRunes))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func hasCausePrefix(line string) bool {
	for _, p := range causePrefixes {
		if len(line) >= len(p) && strings.EqualFold(line[:len(p)], p) {
			return true
		}
	}
	return false
}

// ReasonCauses returns Causes of the attempt and step a verdict's reason
// is about, found among results (a run's results, every attempt); nil
// when the reason names no journey or none of results is its attempt.
func ReasonCauses(rs gate.Reason, results []journey.Result) []string {
	if rs.Journey == "" {
		return nil
	}
	attempt := max(rs.Attempt, 1)
	var latest *journey.Result
	for k := range results {
		r := &results[k]
		if r.Journey != rs.Journey {
			continue
		}
		if r.Attempt == attempt {
			return Causes(*r, rs.StepIndex)
		}
		if latest == nil || r.Attempt > latest.Attempt {
			latest = r
		}
	}
	if latest == nil || rs.Attempt > 0 {
		return nil
	}
	return Causes(*latest, rs.StepIndex)
}
