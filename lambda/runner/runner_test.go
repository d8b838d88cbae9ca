package runner

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/buildtest"
	"github.com/journeygate/journeygate/shared/journey"
)

// envFile is an environments file defining the target of testCatalogue.
const envFile = "testdata/environments.yaml"

// testCatalogue is a catalogue of one journey, as a team's would be.
func testCatalogue() (*journey.Registry, error) {
	return journey.NewRegistry(journey.Journey{
		Name: "order-placed", Tier: journey.TierGlobal, Owner: "shop", Mode: journey.ModeEnforce, Targets: []string{"shop"},
		Steps: []journey.Step{{Name: "order accepted", SLA: 2 * time.Second, Do: func(context.Context, *journey.T) error { return nil }}},
	})
}

// buildWith is build for the catalogue, in buildtest's shape.
func buildWith(catalogue func() (*journey.Registry, error)) func(context.Context, func(string) string, *slog.Logger) (*handler.Handler, error) {
	return func(ctx context.Context, getenv func(string) string, log *slog.Logger) (*handler.Handler, error) {
		return build(ctx, catalogue, getenv, log)
	}
}

func TestBuild(t *testing.T) {
	buildtest.Run(t, buildWith(testCatalogue), []buildtest.Case{
		{Name: "configured", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": envFile, "JOURNEYGATE_SINK_URL": "https://x.lambda-url.us-east-1.on.aws/", "JOURNEYGATE_TIMEOUT_MARGIN": "10s"}, Want: ""},
		{Name: "no table", Env: map[string]string{"JOURNEYGATE_ENVIRONMENTS_FILE": envFile}, Want: "JOURNEYGATE_TABLE is not set"},
		{Name: "bad sink URL", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": envFile, "JOURNEYGATE_SINK_URL": "sink"}, Want: "JOURNEYGATE_SINK_URL"},
		{Name: "bad margin", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": envFile, "JOURNEYGATE_TIMEOUT_MARGIN": "soon"}, Want: "JOURNEYGATE_TIMEOUT_MARGIN"},
		{Name: "no environments file", Env: map[string]string{"JOURNEYGATE_TABLE": "jg"}, Want: "JOURNEYGATE_ENVIRONMENTS_FILE is not set"},
		{Name: "missing environments file", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": "/nonexistent.yaml"}, Want: "JOURNEYGATE_ENVIRONMENTS_FILE: open /nonexistent.yaml"},
	})
}

// TestBuildChecksTheCatalogue: the catalogue Start is given must validate,
// and its fingerprint must be the one the stack was synthesized from, or
// the runner does not build.
func TestBuildChecksTheCatalogue(t *testing.T) {
	reg, err := testCatalogue()
	if err != nil {
		t.Fatal(err)
	}
	env := func(fingerprint string) map[string]string {
		return map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": envFile, "JOURNEYGATE_CATALOGUE_FINGERPRINT": fingerprint}
	}
	buildtest.Run(t, buildWith(testCatalogue), []buildtest.Case{
		{Name: "same catalogue", Env: env(reg.Fingerprint()), Want: ""},
		{Name: "not deployed by the construct", Env: env(""), Want: ""},
		{Name: "other catalogue", Env: env("sha256:000000000000000000000000"),
			Want: "catalogue mismatch: this runner's compiled-in catalogue is " + reg.Fingerprint() + " (1 journeys: order-placed)"},
	})
	buildtest.Run(t, buildWith(func() (*journey.Registry, error) { return nil, errors.New(`journey "x": no steps`) }), []buildtest.Case{
		{Name: "invalid catalogue", Env: env(""), Want: `invalid journey definitions: journey "x": no steps`},
	})
	buildtest.Run(t, buildWith(nil), []buildtest.Case{
		{Name: "no catalogue", Env: env(""), Want: "no catalogue"},
	})
}

// TestInstallChromium: the runner (no layer) sets nothing; the browser
// runner refuses a layer it cannot unpack, or an executable path that is
// not where it unpacks, before serving an event.
func TestInstallChromium(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name string
		env  map[string]string
		want string // "" = no error
	}{
		{"runner: no layer", map[string]string{"JOURNEYGATE_CHROMIUM": "/usr/bin/chromium"}, ""},
		{"layer without its files", map[string]string{"JOURNEYGATE_CHROMIUM_LAYER": t.TempDir(), "JOURNEYGATE_CHROMIUM": filepath.Join(t.TempDir(), "chromium")}, "lacks chromium.br"},
		{"executable named otherwise", map[string]string{"JOURNEYGATE_CHROMIUM_LAYER": t.TempDir(), "JOURNEYGATE_CHROMIUM": "/tmp/chrome"}, "DIR/chromium"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := map[string]string{}
			err := installChromium(func(k string) string { return tt.env[k] }, func(k, v string) error { set[k] = v; return nil }, log)
			if tt.want == "" {
				if err != nil || len(set) != 0 {
					t.Fatalf("err %v, set %v; want nothing done", err, set)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
