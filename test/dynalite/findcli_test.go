package dynalite

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindCLI(t *testing.T) {
	t.Run("missing tools say how to install them", func(t *testing.T) {
		root := t.TempDir()
		if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module example.com/x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(root, "a", "b")
		if err := os.MkdirAll(sub, 0o750); err != nil {
			t.Fatal(err)
		}
		t.Chdir(sub)
		_, err := findCLI()
		if err == nil || !strings.Contains(err.Error(), "run make tools (npm ci in test/)") {
			t.Fatalf("findCLI without node_modules: error = %v, want the install hint", err)
		}
	})
	t.Run("found from a package directory", func(t *testing.T) {
		cli, err := findCLI()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(cli, filepath.Join("test", "node_modules", "dynalite", "cli.js")) {
			t.Errorf("findCLI = %q", cli)
		}
	})
}
