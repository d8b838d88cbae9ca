package main

import (
	"testing"

	"github.com/journeygate/journeygate/functions/internal/buildtest"
)

func TestBuild(t *testing.T) {
	buildtest.Run(t, build, []buildtest.Case{
		{Name: "configured", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_TOKEN": "t", "JOURNEYGATE_SINK_MAX_BODY": "2048", "JOURNEYGATE_SINK_CORRELATE": "/groupLabels/jg_run, /commonLabels/jg_run", "JOURNEYGATE_DELIVERY_TTL": "24h"}, Want: ""},
		{Name: "no table", Env: nil, Want: "JOURNEYGATE_TABLE is not set"},
		{Name: "no credentials", Env: map[string]string{"JOURNEYGATE_TABLE": "jg"}, Want: "anonymous"},
		{Name: "bad max body", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_TOKEN": "t", "JOURNEYGATE_SINK_MAX_BODY": "1MB"}, Want: "JOURNEYGATE_SINK_MAX_BODY"},
		{Name: "bad ttl", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SINK_TOKEN": "t", "JOURNEYGATE_DELIVERY_TTL": "a week"}, Want: "JOURNEYGATE_DELIVERY_TTL"},
	})
}
