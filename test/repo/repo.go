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
