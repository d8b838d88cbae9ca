package cli

import (
	"os"
	"strconv"
	"strings"
)

// defaultWidth is the live progress width when the terminal does not say.
const defaultWidth = 80

// termWidth is how many columns live progress may use on f: $COLUMNS when
// set (a shell exports it; a user may pin it), else the terminal's own
// width, else defaultWidth.
func termWidth(f *os.File, getenv func(string) string) int {
	if n, err := strconv.Atoi(strings.TrimSpace(getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if n := terminalColumns(f); n > 0 {
		return n
	}
	return defaultWidth
}
