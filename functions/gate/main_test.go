package main

import (
	"testing"

	"github.com/journeygate/journeygate/functions/internal/buildtest"
)

func TestBuild(t *testing.T) {
	buildtest.Run(t, build, []buildtest.Case{
		{Name: "configured", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_EVENT_BUS": "jg-bus"}, Want: ""},
		{Name: "with a report bucket", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_REPORT_BUCKET": "jg-reports"}, Want: ""},
		{Name: "no table", Env: nil, Want: "JOURNEYGATE_TABLE is not set"},
		{Name: "missing environments file", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": "/nonexistent/envs.yaml"}, Want: "JOURNEYGATE_ENVIRONMENTS_FILE"},
	})
}
