package runner

import (
	"context"
	"errors"
	"log/slog"
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
		{Name: "with an inbox domain", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": envFile, "JOURNEYGATE_SINK_URL": "https://x.lambda-url.us-east-1.on.aws/", "JOURNEYGATE_INBOX_DOMAIN": "inbox.example.com"}, Want: ""},
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
