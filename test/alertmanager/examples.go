package alertmanager

import (
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
)

// Examples names the example journeys of journeys/ that run against an
// Alertmanager, in the catalogue's order. `make run`'s demo and the tests
// that start an Alertmanager select these by name, never the whole
// catalogue, so a journey added to journeys/ (against another target, say)
// changes nothing they run. silence-through-ui drives Alertmanager's web
// UI in a headless Chromium (Journey.Browser).
var Examples = []string{"alert-to-notification", "resolve-lifecycle", "alert-grouping", "silence-suppresses", "silence-through-ui"}

// ExampleArgs returns the `journeygate run` flags that select Examples.
func ExampleArgs() []string {
	args := make([]string, 0, 2*len(Examples))
	for _, n := range Examples {
		args = append(args, "--journey", n)
	}
	return args
}

// ExampleRegistry returns a registry of Examples, taken from the catalogue
// (journeys.Registry); a missing one is an error naming it.
func ExampleRegistry() (*journey.Registry, error) {
	reg, err := journeys.Registry()
	if err != nil {
		return nil, err
	}
	selected, err := reg.Select(journey.Selector{Names: Examples})
	if err != nil {
		return nil, err
	}
	return journey.NewRegistry(selected...)
}
