package gate

import (
	"testing"

	"github.com/journeygate/journeygate/internal/buildtest"
)

// envFile is an environments file with a gate policy.
const envFile = "testdata/environments.yaml"

func TestBuild(t *testing.T) {
	buildtest.Run(t, build, []buildtest.Case{
		{Name: "configured", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": envFile, "JOURNEYGATE_EVENT_BUS": "jg-bus"}, Want: ""},
		{Name: "with a report bucket", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": envFile, "JOURNEYGATE_REPORT_BUCKET": "jg-reports"}, Want: ""},
		{Name: "no table", Env: map[string]string{"JOURNEYGATE_ENVIRONMENTS_FILE": envFile}, Want: "JOURNEYGATE_TABLE is not set"},
		{Name: "no environments file", Env: map[string]string{"JOURNEYGATE_TABLE": "jg"}, Want: "JOURNEYGATE_ENVIRONMENTS_FILE is not set"},
		{Name: "missing environments file", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": "/nonexistent/envs.yaml"}, Want: "JOURNEYGATE_ENVIRONMENTS_FILE: open /nonexistent/envs.yaml"},
		{Name: "broken environments file", Env: map[string]string{"JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_ENVIRONMENTS_FILE": "testdata/broken.yaml"}, Want: "testdata/broken.yaml:3"},
	})
}
