package alertmanager

import (
	"slices"

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

// InboxExamples names the example journeys that read mail (Journey.Inbox):
// they need an Alertmanager whose email receiver mails the run's SMTP
// listener (Options.Smarthost), which one listener per Alertmanager
// allows, so only set-ups that wire it run them: `make run`'s demo
// (DemoArgs) and the soak (DemoRegistry).
var InboxExamples = []string{"alert-to-email"}

// DemoArgs returns the `journeygate run` flags that select what `make run`
// runs: Examples and InboxExamples.
func DemoArgs() []string {
	args := ExampleArgs()
	for _, n := range InboxExamples {
		args = append(args, "--journey", n)
	}
	return args
}

// DemoRegistry returns a registry of Examples and InboxExamples, taken
// from the catalogue, as `make run` runs them.
func DemoRegistry() (*journey.Registry, error) {
	return registryOf(append(slices.Clone(Examples), InboxExamples...))
}

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
	return registryOf(Examples)
}

// registryOf returns a registry of the catalogue's journeys names.
func registryOf(names []string) (*journey.Registry, error) {
	reg, err := journeys.Registry()
	if err != nil {
		return nil, err
	}
	selected, err := reg.Select(journey.Selector{Names: names})
	if err != nil {
		return nil, err
	}
	return journey.NewRegistry(selected...)
}
