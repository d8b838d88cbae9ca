package cli

import (
	internal "github.com/journeygate/journeygate/internal/cli"
	"github.com/journeygate/journeygate/shared/journey"
)

// Options is what a journeygate command line is made of.
type Options struct {
	// Catalogue returns the registry of your journeys (for instance
	// journeys.Registry, which calls journey.NewRegistry). An error it
	// returns is a configuration error: exit 2, the error shown. Required.
	Catalogue func() (*journey.Registry, error)
	// Environments is the environments file the commands read unless
	// --config names another. A relative path is looked for in the working
	// directory, then in each directory above it (as go finds go.mod), so
	// the CLI works from anywhere in your repository. Default
	// "journeys/environments.yaml".
	Environments string
	// EmbeddedEnvironments, when not nil, is the environments file
	// compiled into the binary (go:embed), read instead of the file on
	// disk; Environments then only names it, and its errors say "embedded
	// PATH". Leave it nil to read the file on disk, so edits take effect
	// without a rebuild.
	EmbeddedEnvironments []byte
}

// Main runs journeygate on the process's arguments, standard streams and
// environment and returns the exit code: 0 Succeeded, 1 Failed, 2 usage or
// configuration error. The first SIGINT or SIGTERM stops a run's journeys
// and still runs their cleanups and records the verdict; the second exits
// at once.
func Main(o Options) int {
	return internal.Main(internal.Config{
		Catalogue:    o.Catalogue,
		Environments: o.Environments,
		Embedded:     o.EmbeddedEnvironments,
	})
}

// CheckEnvironments checks your catalogue against every environment of
// your environments file (found as Main finds it without --config): each
// defines the targets and pools of the journeys that run there and sets
// the settings they declare to values that work. `journeygate run` checks
// only the environment it runs against, and synth the one it deploys;
// call this from a test (a starter repository's journeys/catalogue_test.go
// does) so a target missing from staging fails go test, not the first
// staging run. A ${VAR} without a default must be set (t.Setenv). Errors
// name the file, the line, the field and the journey.
func CheckEnvironments(o Options) error {
	return internal.CheckEnvironments(internal.Config{
		Catalogue:    o.Catalogue,
		Environments: o.Environments,
		Embedded:     o.EmbeddedEnvironments,
	})
}
