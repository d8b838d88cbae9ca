package repo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNodeModule(t *testing.T) {
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
		if got, err := Root(); err != nil || got != root {
			t.Fatalf("Root() = %q, %v; want %q", got, err, root)
		}
		_, err := NodeModule("dynalite/cli.js")
		if err == nil || !strings.Contains(err.Error(), "run make tools (npm ci in test/)") {
			t.Fatalf("NodeModule without node_modules: error = %v, want the install hint", err)
		}
	})
	t.Run("found from a package directory", func(t *testing.T) {
		cli, err := NodeModule("dynalite/cli.js")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(cli, filepath.Join("test", "node_modules", "dynalite", "cli.js")) {
			t.Errorf("NodeModule = %q", cli)
		}
	})
	t.Run("no go.mod above", func(t *testing.T) {
		t.Chdir(t.TempDir())
		if _, err := Root(); err == nil {
			t.Fatal("Root found a go.mod above a fresh temp dir")
		}
	})
}
