package journey_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// valid returns a valid journey named name with the given steps.
func valid(name string, steps ...journey.Step) journey.Journey {
	return journey.Journey{
		Name:  name,
		Tier:  journey.TierGlobal,
		Owner: "team-a",
		Mode:  journey.ModeEnforce,
		Steps: steps,
	}
}

// step returns a step with the given SLA.
func step(name string, sla time.Duration, do journey.StepFunc) journey.Step {
	return journey.Step{Name: name, SLA: sla, Do: do}
}

// execute runs j and fails the test if Execute does not return within
// limit (a hang is a bug, never an acceptable test duration).
func execute(t *testing.T, ctx context.Context, j journey.Journey, opts journey.Options, limit time.Duration) journey.Result {
	t.Helper()
	if opts.RunID == "" {
		opts.RunID = "run-1"
	}
	done := make(chan journey.Result, 1)
	go func() { done <- journey.Execute(ctx, j, opts) }()
	select {
	case res := <-done:
		return res
	case <-time.After(limit):
		t.Fatalf("Execute did not return within %s", limit)
		return journey.Result{}
	}
}

// evidence returns the detail of the first evidence labelled label.
func evidence(sr journey.StepResult, label string) (string, bool) {
	for _, e := range sr.Evidence {
		if e.Label == label {
			return e.Detail, true
		}
	}
	return "", false
}

// labels returns the evidence labels of sr.
func labels(sr journey.StepResult) []string {
	var out []string
	for _, e := range sr.Evidence {
		out = append(out, e.Label)
	}
	return out
}

// refusedAddr returns a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// wantContains fails the test unless s contains every part.
func wantContains(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s = %q, want it to contain %q", what, s, p)
		}
	}
}
