package journeys

import (
	_ "embed"

	"github.com/journeygate/journeygate/shared/journey"
)

// EnvironmentsFile is the environments configuration shipped with the
// catalogue, embedded for the tests that run the examples from anywhere;
// the CLI and the functions read the file on disk (EnvironmentsPath,
// bundled by the construct).
//
//go:embed environments.yaml
var EnvironmentsFile []byte

// EnvironmentsPath is the shipped file, relative to the repository root.
const EnvironmentsPath = "journeys/environments.yaml"

// All lists every journey in the catalogue. Add a journey here to register it.
func All() []journey.Journey {
	return []journey.Journey{
		AlertToNotification(),
		AlertToEmail(),
		ResolveLifecycle(),
		AlertGrouping(),
		SilenceSuppresses(),
		SilenceThroughUI(),
	}
}

// Registry returns the validated registry of the catalogue.
func Registry() (*journey.Registry, error) {
	return journey.NewRegistry(All()...)
}
