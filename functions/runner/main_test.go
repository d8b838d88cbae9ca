package main

import (
	"testing"

	"github.com/journeygate/journeygate/functions/internal/buildtest"
)

func TestBuild(t *testing.T) {
	buildtest.Run(t, build, []buildtest.Case{
		{Name: "configured", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_URL": "https://x.lambda-url.us-east-1.on.aws/", "JOURNEYGATE_TIMEOUT_MARGIN": "10s"}, Want: ""},
		{Name: "no table", Env: nil, Want: "JOURNEYGATE_TABLE is not set"},
		{Name: "bad sink URL", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_URL": "sink"}, Want: "JOURNEYGATE_SINK_URL"},
		{Name: "bad margin", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_TIMEOUT_MARGIN": "soon"}, Want: "JOURNEYGATE_TIMEOUT_MARGIN"},
		{Name: "missing environments file", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": "/nonexistent.yaml"}, Want: "JOURNEYGATE_ENVIRONMENTS_FILE"},
	})
}
