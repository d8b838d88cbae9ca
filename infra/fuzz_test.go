package infra

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/fuzzcheck"
)

// badDeployFiles are known-bad deploy.yaml files.
var badDeployFiles = []string{
	"", "environments:\n", "environments: {}\n", "environments: [staging]\n", "environments:\n  staging:\n    acount: x\n",
	"environments:\n  Staging_1: {}\n", "environments:\n  \"a\\nb\": {}\n", "environments:\n  nowhere: {}\n",
	"environments:\n  staging:\n    schedules: {global: 90s, domain: soon, tier3: 5m}\n",
	"environments:\n  staging:\n    schedules: {global: -5m, domain: off}\n", "environments:\n  staging:\n    log_retention: -1h\n",
	"environments:\n  staging:\n    deployment_groups: [app, \"a/b/c\", app/group]\n", "environments:\n  staging:\n    alarm_periods: -1\n    max_concurrency: -3\n",
	"environments:\n  staging:\n    pagerduty_url: http://example.com\n", "environments:\n  staging:\n    account: ${NOPE}\n",
	"environments:\n  staging:\n    runner_environment: {JOURNEYGATE_TABLE: x, STAGING_ALERTMANAGER_URL: \"${NOPE}\"}\n",
	"environments:\n  staging:\n    runner_environment: {STAGING_ALERTMANAGER_URL: \"not a url\"}\n",
	"environments:\n  staging:\n    production: maybe\n    alarm_periods: two\n", "environments: {staging: {}}\n---\nx: 1\n",
}

// FuzzParseConfig feeds deploy.yaml files to ParseConfig (with the shipped
// environments file): a rejection names the file and line of every
// problem; an accepted deployment passes the construct's checks of what
// the file sets.
func FuzzParseConfig(f *testing.F) {
	envs := fuzzcheck.Sample(f, "journeys/environments.yaml")
	f.Add(fuzzcheck.Sample(f, ConfigPath))
	for _, s := range badDeployFiles {
		f.Add([]byte(s))
	}
	getenv := func(k string) string { return map[string]string{"JOURNEYGATE_STAGING_REGION": "eu-west-1"}[k] }
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := ParseConfig(ConfigPath, data, getenv, shippedEnvironments(envs))
		if err != nil {
			yamlDoc := syntacticallyYAML(data)
			for _, line := range fuzzcheck.Lines(t, err, string(data)) {
				if !strings.HasPrefix(line, ConfigPath) && !strings.HasPrefix(line, "journeys/environments.yaml") {
					t.Fatalf("problem %q names no file; the whole error:\n%v", line, err)
				}
				if yamlDoc && !located.MatchString(line) {
					t.Fatalf("problem %q of a YAML file has no file:line; the whole error:\n%v", line, err)
				}
			}
			return
		}
		if len(ds) == 0 {
			t.Fatal("accepted without deployments")
		}
		for _, d := range ds {
			p := d.Props
			if !envNamePattern.MatchString(p.Environment) {
				t.Fatalf("accepted environment %q", p.Environment)
			}
			for _, g := range p.DeploymentGroups {
				if !groupPattern.MatchString(g) {
					t.Fatalf("accepted deployment group %q", g)
				}
			}
			for tier, s := range p.Schedules {
				if _, ok := DefaultSchedules[tier]; !ok || s != 0 && (s < time.Minute || s%time.Minute != 0) {
					t.Fatalf("accepted schedule %s: %s", tier, s)
				}
			}
			if p.LogRetention < 0 || p.AlarmPeriods < 0 || p.MaxConcurrency < 0 || p.MaxConcurrency > flow.MaxInlineMapConcurrency {
				t.Fatalf("accepted negative settings: %+v", p)
			}
			if p.PagerDutyURL != "" && !strings.HasPrefix(p.PagerDutyURL, "https://") {
				t.Fatalf("accepted PagerDuty URL %q", p.PagerDutyURL)
			}
			for k := range p.RunnerEnvironment {
				if strings.HasPrefix(k, "JOURNEYGATE_") {
					t.Fatalf("accepted runner variable %s", k)
				}
			}
		}
	})
}

// located is a problem line naming the file and a line.
var located = regexp.MustCompile(`^[^:]+:[1-9][0-9]*: `)

// syntacticallyYAML reports whether data is a stream of YAML documents, at
// least one of them with content.
func syntacticallyYAML(data []byte) bool {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	content := false
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return content
		}
		if err != nil {
			return false
		}
		content = content || len(doc.Content) > 0
	}
}
