package flow

import (
	"strconv"
	"unicode/utf8"
)

// Payload limits. Step Functions fails an execution with
// States.DataLimitExceeded, which no Catch can catch (not even
// States.ALL), once a state's input or output passes StateDataLimit. The
// largest state is Decide's input: the execution input, the plan and one
// summary per planned journey, where a faulted journey carries its caught
// error. JSONPath cannot shorten a string, so each part is bounded where
// it is made, and MaxDecideInput holds at MaxJourneysPerRun even when every
// message and error is as long and as escape-heavy as allowed (see
// TestDecideInputWorstCase):
//
//   - the input: MaxInputBytes (Input.Validate);
//   - each plan entry: a journey name of at most journey.MaxNameLen;
//   - each summary: its message, Cut to MaxSummaryMessage;
//   - each caught runner error: its message, Cut to MaxErrorMessage by the
//     runner before Lambda encodes it into the Cause.
const (
	// StateDataLimit is Step Functions' limit on a state's input or output,
	// in bytes.
	StateDataLimit = 256 * 1024
	// MaxDecideInput is the most Decide's input may take: half of
	// StateDataLimit, leaving the other half for what the budget does not
	// count (Step Functions' own encoding, fields added later).
	MaxDecideInput = StateDataLimit / 2
	// MaxJourneysPerRun caps the journeys one run plans; Plan refuses a
	// selection of more, failing the run, never dropping journeys.
	MaxJourneysPerRun = 100
	// MaxErrorMessage bounds the message of an error the runner returns to
	// the state machine, in bytes once JSON-encoded (Cut). Lambda puts it in
	// the caught error's Cause; the runner logs the longer original.
	MaxErrorMessage = 256
	// MaxInputBytes bounds the execution input, in bytes as JSON.
	MaxInputBytes = 8 * 1024
)

// Cut shortens s by cutting its middle, so that its JSON encoding (as
// encoding/json writes a string's contents, HTML-escaped, the way
// aws-lambda-go writes a function error) takes at most limit bytes; so
// does s itself. The start, which says where something happened, and the
// end, which holds the cause, both survive around a mark saying how many
// bytes were cut. It never splits a rune and returns s unchanged when it
// fits. Measuring the encoding rather than s bounds the payload whatever s
// holds: a control character or '<' takes six bytes once encoded.
func Cut(s string, limit int) string {
	if jsonLen(s) <= limit {
		return s
	}
	// The mark's cost with the count at its widest (all of s).
	mark := func(n int) string { return " … (" + strconv.Itoa(n) + " bytes cut) … " }
	budget := limit - jsonLen(mark(len(s)))
	if budget < 2 {
		head, _ := fit(s, limit)
		return head
	}
	head, used := fit(s, budget/2)
	tail := fitEnd(s, budget-used)
	return head + mark(len(s)-len(head)-len(tail)) + tail
}

// fit returns the longest prefix of s whose JSON encoding takes at most
// limit bytes, and that encoding's length.
func fit(s string, limit int) (string, int) {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		c := runeJSONLen(r, size)
		if n+c > limit {
			return s[:i], n
		}
		n += c
		i += size
	}
	return s, n
}

// fitEnd returns the longest suffix of s whose JSON encoding takes at most
// limit bytes.
func fitEnd(s string, limit int) string {
	n := 0
	for i := len(s); i > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:i])
		if n += runeJSONLen(r, size); n > limit {
			return s[i:]
		}
		i -= size
	}
	return s
}

// jsonLen is how many bytes s takes as JSON string contents, at most.
func jsonLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		n += runeJSONLen(r, size)
		i += size
	}
	return n
}

// runeJSONLen is the most bytes r (size bytes of UTF-8 in the string) takes
// in a JSON string as encoding/json writes it with HTML escaping: \uXXXX
// for other control characters, <, >, &, U+2028, U+2029 and each invalid
// byte (written as \ufffd). JSON.stringify never writes more.
func runeJSONLen(r rune, size int) int {
	switch {
	case r == utf8.RuneError && size == 1:
		return 6
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t':
		return 2
	case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029':
		return 6
	}
	return size
}
