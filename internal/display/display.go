package display

import "strings"

// Mark replaces what Cut drops.
const Mark = " … "

// Cut shortens s to at most limit runes by replacing its middle with Mark,
// keeping as much of the start as of the end. It never splits a rune and
// returns s unchanged when it fits. A limit too small for the mark keeps
// only the start.
func Cut(s string, limit int) string {
	if limit <= 0 {
		return ""
	}
	n := 0
	for range s {
		n++
	}
	if n <= limit {
		return s
	}
	r := []rune(s)
	mark := []rune(Mark)
	keep := limit - len(mark)
	if keep < 2 {
		return string(r[:limit])
	}
	head := (keep + 1) / 2
	tail := keep - head
	return strings.TrimRight(string(r[:head]), " ") + Mark + strings.TrimLeft(string(r[len(r)-tail:]), " ")
}

// OneLine collapses runs of whitespace (newlines included) into single
// spaces, then Cuts the result to limit runes.
func OneLine(s string, limit int) string {
	return Cut(strings.Join(strings.Fields(s), " "), limit)
}
