package cli

import (
	"io"

	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
)

// testCatalogue is the catalogue testEnv gives the commands: the example
// catalogue, unless a test puts journeys of its own here (useJourneys).
var testCatalogue = journeys.Registry

// testEnv is the CLI as this repository's cmd/journeygate builds it (the
// example catalogue, journeys/environments.yaml read from disk, found
// from the package directory upwards), writing to stdout and stderr.
func testEnv(stdout, stderr io.Writer, getenv func(string) string) env {
	return env{stdout: stdout, stderr: stderr, getenv: getenv, cfg: Config{
		Catalogue:    func() (*journey.Registry, error) { return testCatalogue() },
		Environments: journeys.EnvironmentsPath,
	}}
}
