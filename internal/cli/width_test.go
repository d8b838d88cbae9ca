package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// Live progress uses the terminal's width, not a fixed 80 columns: $COLUMNS
// when set, the terminal's own otherwise, 80 when neither says (a file).
func TestTermWidth(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for columns, want := range map[string]int{"132": 132, " 40 ": 40, "": defaultWidth, "wide": defaultWidth, "-3": defaultWidth} {
		if got := termWidth(f, func(k string) string {
			if k == "COLUMNS" {
				return columns
			}
			return ""
		}); got != want {
			t.Errorf("COLUMNS=%q on a file: %d, want %d", columns, got, want)
		}
	}
	if n := terminalColumns(f); n != 0 {
		t.Errorf("a file is a terminal of %d columns", n)
	}
}
