package handler

import (
	"fmt"
	"strings"

	"github.com/journeygate/journeygate/shared/journey"
)

// InvalidRequestError is a payload the runner cannot act on.
type InvalidRequestError struct {
	Reason string
}

func (e *InvalidRequestError) Error() string { return "invalid runner request: " + e.Reason }

// ConfigError is an environment the runner cannot run against: unknown, or
// missing a target a journey calls.
type ConfigError struct {
	Err error
}

func (e *ConfigError) Error() string { return "configuration: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *ConfigError) Unwrap() error { return e.Err }

// UnknownJourneyError names a journey the registry does not have.
type UnknownJourneyError struct {
	Name  string
	Known []string
}

// knownNamed is how many of the known journeys an UnknownJourneyError
// names: the message travels in the run's state, whatever the catalogue's
// size.
const knownNamed = 5

func (e *UnknownJourneyError) Error() string {
	known := strings.Join(e.Known, ", ")
	if len(e.Known) > knownNamed {
		known = fmt.Sprintf("%s and %d more", strings.Join(e.Known[:knownNamed], ", "), len(e.Known)-knownNamed)
	}
	return fmt.Sprintf("unknown journey %q (%d known: %s)%s", e.Name, len(e.Known), known, journey.DidYouMean(e.Name, e.Known))
}

// StoreError is a store operation that failed; Op says which.
type StoreError struct {
	Op  string
	Err error
}

func (e *StoreError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *StoreError) Unwrap() error { return e.Err }

// PanicError is a panic in the runner outside a journey's steps (a step's
// panic is the journey's result, see journey.Execute). The stack is
// logged, not returned: it would travel in the run's state.
type PanicError struct {
	Value string
}

func (e *PanicError) Error() string { return "runner panicked: " + e.Value }
