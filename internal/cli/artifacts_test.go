package cli

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDirArtifacts(t *testing.T) {
	dir := t.TempDir()
	a := dirArtifacts{dir: dir}
	loc, err := a.Put(t.Context(), "20260101T000000Z-abc", "ui-1-2.png", "image/png", []byte("\x89PNG"))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "20260101T000000Z-abc", "ui-1-2.png"); loc != want {
		t.Errorf("location %s, want %s", loc, want)
	}
	if b, err := os.ReadFile(loc); err != nil || string(b) != "\x89PNG" {
		t.Errorf("file: %q %v", b, err)
	}
	for _, bad := range [][2]string{{"..", "x.png"}, {"run", "../x.png"}, {"run/x", "x.png"}, {"", "x.png"}} {
		if _, err := a.Put(t.Context(), bad[0], bad[1], "image/png", nil); err == nil {
			t.Errorf("Put(%q, %q) accepted", bad[0], bad[1])
		}
	}
	if got, want := defaultArtifactsDir(".journeygate/journeygate.db"), filepath.Join(".journeygate", "artifacts"); got != want {
		t.Errorf("default %s, want %s", got, want)
	}
	if got, want := defaultArtifactsDir("dynamodb://table"), filepath.Join(".journeygate", "artifacts"); got != want {
		t.Errorf("default for dynamodb %s, want %s", got, want)
	}
}
