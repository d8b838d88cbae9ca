package journeys

import (
	_ "embed"
	"fmt"
	"os"

	"github.com/journeygate/journeygate/shared/envconfig"
	"github.com/journeygate/journeygate/shared/journey"
)

// EnvironmentsFile is the environments configuration shipped with the
// catalogue; `journeygate --config FILE` overrides it.
//
//go:embed environments.yaml
var EnvironmentsFile []byte

// EnvironmentsPath names the shipped file in error messages.
const EnvironmentsPath = "journeys/environments.yaml"

// All lists every journey in the catalogue. Add a journey here to register it.
func All() []journey.Journey {
	return []journey.Journey{
		AlertToNotification(),
		ResolveLifecycle(),
		AlertGrouping(),
		SilenceSuppresses(),
	}
}

// Registry returns the validated registry of the catalogue.
func Registry() (*journey.Registry, error) {
	return journey.NewRegistry(All()...)
}

// EnvironmentsFromEnv parses the environments file the functions use: the
// file JOURNEYGATE_ENVIRONMENTS_FILE names, else the shipped one, with
// variables expanded through getenv.
func EnvironmentsFromEnv(getenv func(string) string) (*envconfig.Config, error) {
	name, data := EnvironmentsPath, EnvironmentsFile
	if f := getenv("JOURNEYGATE_ENVIRONMENTS_FILE"); f != "" {
		var err error
		if data, err = os.ReadFile(f); err != nil {
			return nil, fmt.Errorf("JOURNEYGATE_ENVIRONMENTS_FILE: %w", err)
		}
		name = f
	}
	return envconfig.Parse(name, data, getenv)
}
