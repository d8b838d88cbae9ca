package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/internal/store/embedded"
)

// dirArtifacts keeps a local run's binary evidence (a browser journey's
// screenshots) as files: DIR/RUN/JOURNEY-ATTEMPT-STEP.png
// (journey.ArtifactName). It implements journey.Artifacts.
type dirArtifacts struct{ dir string }

// defaultArtifactsDir is the artifacts directory beside the embedded store
// storeSpec names (.journeygate/artifacts by default), or
// .journeygate/artifacts for a DynamoDB store.
func defaultArtifactsDir(storeSpec string) string {
	path := storeSpec
	if path == "" || strings.HasPrefix(path, dynamo.Scheme) || strings.Contains(path, "://") {
		path = embedded.DefaultPath
	}
	return filepath.Join(filepath.Dir(path), "artifacts")
}

func (d dirArtifacts) Put(_ context.Context, runID, name, _ string, data []byte) (string, error) {
	for _, part := range []string{runID, name} {
		if part == "" || part == "." || part == ".." || strings.ContainsAny(part, `/\`) {
			return "", fmt.Errorf("artifact %q of run %q: not a plain file name", name, runID)
		}
	}
	dir := filepath.Join(d.dir, runID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", err
	}
	return path, nil
}
