package chromiumlayer_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/journeygate/journeygate/internal/chromiumlayer"
	"github.com/journeygate/journeygate/test/repo"
)

// TestVersionIsThePinnedOne: Version, which a starter repository's make
// build fetches, is the version test/package.json pins and its lock file
// resolves, which this repository's make build stages and these tests
// unpack and start.
func TestVersionIsThePinnedOne(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	readJSON(t, filepath.Join(root, "test", "package.json"), &pkg)
	if got := pkg.Dependencies[chromiumlayer.Package]; got != chromiumlayer.Version {
		t.Errorf("test/package.json pins %s %q, chromiumlayer.Version is %q", chromiumlayer.Package, got, chromiumlayer.Version)
	}
	var lock struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	readJSON(t, filepath.Join(root, "test", "package-lock.json"), &lock)
	if got := lock.Packages["node_modules/"+chromiumlayer.Package].Version; got != chromiumlayer.Version {
		t.Errorf("test/package-lock.json resolves %s to %q, chromiumlayer.Version is %q", chromiumlayer.Package, got, chromiumlayer.Version)
	}
}

// readJSON decodes the JSON file path into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
