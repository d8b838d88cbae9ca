// Package repo finds the repository from a test's working directory: its
// root (where go.mod is) and the pinned npm tools installed under
// test/node_modules by `make tools`.
package repo

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Root walks up from the working directory to the directory holding go.mod.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// NodeModule returns the path of rel under test/node_modules, or an error
// saying how to install it when it is missing.
func NodeModule(rel string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, "test", "node_modules", rel)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("%s is missing: run make tools (npm ci in test/)", path)
	}
	return path, nil
}

// FiguresDir is where tests write the tables and figures they measure
// (git-ignored): `go test ./...` shows a passing package's output only with
// -v, so `make test` prints these files after the tests.
const FiguresDir = "test/out/figures"

// WriteFigures writes text to FiguresDir/name under the repository root.
func WriteFigures(name, text string) error {
	root, err := Root()
	if err != nil {
		return err
	}
	path := filepath.Join(root, FiguresDir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(text), 0o644)
}
