package journey

import (
	"fmt"
	"strings"
)

// DidYouMean returns "; did you mean "x"?" for the one name of known that
// name most likely mistypes, or "" when none is close: the known name
// within two edits of name (insert, delete or change a character), or
// failing that the one name has as a prefix or is a prefix of; a tie
// suggests nothing. Messages about unknown names append it: `unknown
// journey "order-placd" (known: order-mailed, order-placed); did you mean
// "order-placed"?`.
func DidYouMean(name string, known []string) string {
	if best := Closest(name, known); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

// Closest returns the one name of known that name most likely mistypes,
// as DidYouMean picks it, or "" when none is close or name is known.
func Closest(name string, known []string) string {
	best, bestDist, tie := "", 3, false
	for _, k := range known {
		if k == name {
			return ""
		}
		d := editDistance(strings.ToLower(name), strings.ToLower(k))
		switch {
		case d < bestDist:
			best, bestDist, tie = k, d, false
		case d == bestDist && best != "":
			tie = true
		}
	}
	if best == "" && len(name) >= 3 {
		for _, k := range known {
			if strings.HasPrefix(strings.ToLower(k), strings.ToLower(name)) || strings.HasPrefix(strings.ToLower(name), strings.ToLower(k)) {
				if best != "" {
					return ""
				}
				best = k
			}
		}
	}
	if tie {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
