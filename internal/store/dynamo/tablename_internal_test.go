package dynamo

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidTableName checks validTableName against DynamoDB's rule as the
// regexp it replaced states it.
func TestValidTableName(t *testing.T) {
	rule := regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	names := []string{
		"", "a", "ab", "abc", "journeygate", "jg_table.v2-prod", "AZaz09_.-",
		"bad/name", "bad name", "ta:ble", "täble", "tab\x00le", "abc\n",
		strings.Repeat("a", 254), strings.Repeat("a", 255), strings.Repeat("a", 256),
		strings.Repeat("x", 255) + "/",
	}
	for c := 0; c < 256; c++ {
		names = append(names, "ab"+string(rune(c)), "ab"+string([]byte{byte(c)}))
	}
	for _, n := range names {
		if got, want := validTableName(n), rule.MatchString(n); got != want {
			t.Errorf("validTableName(%q) = %v, want %v", n, got, want)
		}
	}
}
