package handler

import (
	"regexp"
	"strings"
	"testing"
)

// TestValidMessageID checks validMessageID against the regexp it replaced.
func TestValidMessageID(t *testing.T) {
	rule := regexp.MustCompile(`^[A-Za-z0-9-]{1,128}$`)
	ids := []string{
		"", "a", "-", "0000014a-f4d4-4f36-a5c3-4d9bd0fbbd0b", "AZaz09-",
		"../x", "a/b", "a.b", "a b", "a_b", "ä", "a\x00", "a\n",
		strings.Repeat("a", 127), strings.Repeat("a", 128), strings.Repeat("a", 129),
		strings.Repeat("x", 128) + "/",
	}
	for c := 0; c < 256; c++ {
		ids = append(ids, "a"+string(rune(c)), "a"+string([]byte{byte(c)}))
	}
	for _, id := range ids {
		if got, want := validMessageID(id), rule.MatchString(id); got != want {
			t.Errorf("validMessageID(%q) = %v, want %v", id, got, want)
		}
	}
}
