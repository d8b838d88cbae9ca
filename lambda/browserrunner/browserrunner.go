package browserrunner

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/awsenv"
	"github.com/journeygate/journeygate/internal/chromiumlayer"
	"github.com/journeygate/journeygate/lambda/runner"
	"github.com/journeygate/journeygate/shared/journey"
)

// Start runs the browser runner Lambda with catalogue (the registry the
// stack was synthesized from). It never returns: a runner that cannot
// start (no Chromium, or any fault runner.Start refuses) logs why and
// exits 1 before serving any event.
func Start(catalogue func() (*journey.Registry, error)) {
	runner.StartWith(catalogue, setup)
}

// setup unpacks Chromium and keeps screenshots in the reports bucket.
func setup(ctx context.Context, getenv func(string) string, log *slog.Logger) ([]handler.Option, error) {
	if err := installChromium(getenv, os.Setenv, log); err != nil {
		return nil, err
	}
	bucket := getenv("JOURNEYGATE_REPORT_BUCKET")
	if bucket == "" {
		return nil, nil
	}
	awsCfg, err := awsenv.Config(getenv)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return []handler.Option{handler.WithArtifacts(S3Artifacts{
		API: s3.NewFromConfig(awsCfg), Bucket: bucket, Prefix: getenv("JOURNEYGATE_ARTIFACT_PREFIX"),
	})}, nil
}

// installChromium unpacks the browser runner's Chromium from its layer
// (JOURNEYGATE_CHROMIUM_LAYER, the layer's brotli files) to where
// JOURNEYGATE_CHROMIUM names its executable (default
// chromiumlayer.DefaultDir), and sets the environment Chromium needs
// (LD_LIBRARY_PATH, FONTCONFIG_PATH, HOME) for the browsers journeys
// start. Without JOURNEYGATE_CHROMIUM_LAYER (the runner) it does nothing.
func installChromium(getenv func(string) string, setenv func(string, string) error, log *slog.Logger) error {
	layer := getenv("JOURNEYGATE_CHROMIUM_LAYER")
	if layer == "" {
		return nil
	}
	dir := chromiumlayer.DefaultDir
	if exe := getenv("JOURNEYGATE_CHROMIUM"); exe != "" {
		if filepath.Base(exe) != chromiumlayer.Executable {
			return fmt.Errorf("JOURNEYGATE_CHROMIUM %q: with JOURNEYGATE_CHROMIUM_LAYER it names where the layer's Chromium is unpacked, DIR/%s", exe, chromiumlayer.Executable)
		}
		dir = filepath.Dir(exe)
	}
	start := time.Now()
	b, err := chromiumlayer.Install(layer, dir)
	if err != nil {
		return err
	}
	env := b.Env(getenv)
	env["JOURNEYGATE_CHROMIUM"] = b.Executable
	for k, v := range env {
		if err := setenv(k, v); err != nil {
			return fmt.Errorf("setting %s for chromium: %w", k, err)
		}
	}
	log.Info("chromium unpacked", "executable", b.Executable, "elapsed", time.Since(start).String())
	return nil
}
