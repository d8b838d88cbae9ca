package handler

import (
	"fmt"
	"strings"
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

func (e *UnknownJourneyError) Error() string {
	return fmt.Sprintf("unknown journey %q (known: %s)", e.Name, strings.Join(e.Known, ", "))
}

// StoreError is a store operation that failed; Op says which.
type StoreError struct {
	Op  string
	Err error
}

func (e *StoreError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *StoreError) Unwrap() error { return e.Err }
