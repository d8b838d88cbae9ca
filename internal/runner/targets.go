package runner

import (
	"fmt"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// stageTargets returns the targets the journeys of a run tr started call:
// the environment's test targets at a pre-traffic stage (tr.Traffic is
// trigger.Test), its live targets otherwise, never the live ones in place
// of test ones. A target a journey calls and the chosen targets lack is a
// configuration error naming environment, target, journey and stage
// (envconfig.Environment.CheckTargets): the run fails before any journey
// runs.
func stageTargets(tr trigger.Trigger, environment string, live, test map[string]string, journeys []journey.Journey) (map[string]string, error) {
	env := envconfig.Environment{Name: environment, Targets: live, TestTargets: test}
	if err := env.CheckTargets(tr, journeys); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return env.TargetsFor(tr.Traffic()), nil
}
