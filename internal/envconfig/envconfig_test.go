package envconfig

import (
	"strings"
	"testing"

	"github.com/journeygate/journeygate/shared/journey"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestParseValid(t *testing.T) {
	data := `environments:
  local:
    targets:
      api: ${API_URL:-http://127.0.0.1:8080/}
      other: http://${HOST}:9000
    settings:
      window: 2s
    sink:
      listen: 127.0.0.1:0
      correlate: [/groupLabels/jg_run]
`
	cfg, err := Parse("envs.yaml", []byte(data), env(map[string]string{"HOST": "127.0.0.2"}))
	if err != nil {
		t.Fatal(err)
	}
	local, err := cfg.Get("local")
	if err != nil {
		t.Fatal(err)
	}
	if got := local.Targets["api"]; got != "http://127.0.0.1:8080" {
		t.Errorf("default not applied or slash not trimmed: %q", got)
	}
	if got := local.Targets["other"]; got != "http://127.0.0.2:9000" {
		t.Errorf("variable not expanded: %q", got)
	}
	if local.Settings["window"] != "2s" || local.Sink.Listen != "127.0.0.1:0" || local.Sink.Correlate[0] != "/groupLabels/jg_run" {
		t.Errorf("fields lost: %+v", local)
	}
	if _, err := cfg.Get("prod"); err == nil || !strings.Contains(err.Error(), `no environment "prod"`) || !strings.Contains(err.Error(), "local") {
		t.Errorf("unknown environment error should name it and the known ones: %v", err)
	}
	if _, err := cfg.Get("locl"); err == nil || !strings.HasSuffix(err.Error(), `no environment "locl" (defined: local); did you mean "local"?`) {
		t.Errorf("a mistyped environment: %v, want the close name suggested", err)
	}
}

func TestParseErrorsNameFileLineAndField(t *testing.T) {
	cases := []struct {
		name string
		data string
		vars map[string]string
		want []string
	}{
		{"unknown field", "environments:\n  local:\n    targetz: {}\n", nil, []string{"envs.yaml:3", "environments.local.targetz", "unknown key", "targets"}},
		{"not a URL", "environments:\n  local:\n    targets:\n      api: ftp://x\n", nil, []string{"envs.yaml:4", "environments.local.targets.api", "not an absolute http(s) URL"}},
		{"relative URL", "environments:\n  local:\n    targets:\n      api: /just/a/path\n", nil, []string{"envs.yaml:4", "targets.api"}},
		{"unset variable", "environments:\n  local:\n    targets:\n      api: ${NOPE}\n", nil, []string{"envs.yaml:4", "variable NOPE is not set"}},
		{"bad pointer", "environments:\n  local:\n    sink:\n      correlate: [groupLabels]\n", nil, []string{"envs.yaml:4", "sink.correlate", "JSON Pointer"}},
		{"no environments", "environments: {}\n", nil, []string{"envs.yaml", "no environments defined"}},
		{"bad env name", "environments:\n  Local_Env:\n    targets: {}\n", nil, []string{"envs.yaml:2", "Local_Env"}},
		{"not yaml", "environments: [unclosed\n", nil, []string{"envs.yaml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("envs.yaml", []byte(tc.data), env(tc.vars))
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestCheckFindsMissingTargets(t *testing.T) {
	cfg, err := Parse("envs.yaml", []byte("environments:\n  local:\n    targets:\n      api: http://127.0.0.1:1\n  staging:\n    targets: {}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	js := []journey.Journey{{Name: "checkout", Targets: []string{"api"}}}
	err = cfg.Check(js)
	if err == nil {
		t.Fatal("staging lacks target api: expected an error")
	}
	for _, w := range []string{"environments.staging.targets", `"api"`, `"checkout"`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if strings.Contains(err.Error(), "environments.local") {
		t.Errorf("local defines api but was reported: %v", err)
	}
}
