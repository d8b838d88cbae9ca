package journey

import (
	"fmt"
	"unicode/utf8"
)

// DefaultExcerpt bounds the bytes of a body kept as evidence.
const DefaultExcerpt = 2048

// excerpt returns at most limit bytes of b as text, noting what was cut.
func excerpt(b []byte, limit int) string {
	if len(b) <= limit {
		return string(b)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return string(b[:cut]) + fmt.Sprintf("… (%d more bytes)", len(b)-cut)
}
