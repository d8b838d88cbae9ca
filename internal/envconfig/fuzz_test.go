package envconfig

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/journeygate/journeygate/internal/fuzzcheck"
	"github.com/journeygate/journeygate/internal/secrets"
)

// fuzzVars are the variables fuzzed files may expand.
var fuzzVars = map[string]string{"API_URL": "http://127.0.0.1:8080", "TOKEN": "sink-token", "TENANT": "t-1"}

// badEnvironments are known-bad environments files: syntax errors, wrong
// shapes, unknown keys, values out of bounds.
var badEnvironments = []string{
	"", "# only a comment\n", "---\n", "environments:\n", "environments: {}\n", "environments: 5\n", "[1, 2]\n",
	"environments: [unclosed\n", "environments:\n  local:\n    targetz: {}\n", "environments:\n  local:\n    targets: [1]\n",
	"environments:\n  Local_Env:\n    targets: {}\n", "environments:\n  \"a\\nb\":\n    targets: {}\n",
	"environments:\n  local:\n    targets: {\"x\\ty\": ftp://x}\n", "environments:\n  local:\n    targets: {api: \"${NOPE}\"}\n",
	"environments:\n  local:\n    sink: {correlate: [groupLabels]}\n", "environments:\n  local:\n    sink: {correlate: x}\n",
	"environments:\n  local:\n    gate: {freeze: {window: soon, enabled: maybe}}\n",
	"environments:\n  local:\n    gate: {freeze: {window: 10s}}\n",
	"environments:\n  local:\n    pools: {Bad_Pool: {lease: 1s, wait: -1s, resources: []}}\n",
	"environments:\n  local:\n    pools: {p: {resources: [{id: a, values: {k: \"secretsmanager:#\"}}, {id: a, values: {j: v}}, {values: {\"\": x}}]}}\n",
	"environments:\n  local: {}\n  local: {}\n", "environments:\n  local: {}\n---\nenvironments: {}\n",
	"a: &a [*a, *a, *a]\nenvironments: {local: {settings: {x: *a}}}\n", "environments: {local: {targets: {api: *nope}}}\n",
	"\tenvironments:\n", "environments:\n  local:\n    targets: {api: \"http://[::1\"}\n",
	"environments:\n  local:\n    targets: {api: http://a}\n    test_targets: {apj: http://b, api: ftp://c}\n",
	"environments:\n  local:\n    test_targets: {api: \"${NOPE}\"}\n",
}

// FuzzParse feeds environments files to Parse: a rejection names the file,
// and the line when the file is YAML, for every problem; an accepted file
// holds only valid values; Parse is deterministic.
func FuzzParse(f *testing.F) {
	f.Add(fuzzcheck.Sample(f, "journeys/environments.yaml"))
	f.Add([]byte(`environments:
  staging:
    targets: {api: "${API_URL:-http://127.0.0.1:1}"}
    test_targets: {api: "http://127.0.0.1:2/"}
    sink: {token: "${TOKEN}", listen: 127.0.0.1:9097, correlate: [/groupLabels/jg_run]}
    gate: {freeze: {enabled: false, window: 2h}}
    pools:
      tenants:
        lease: 5m
        wait: 10s
        resources:
          - id: tenant-a
            values: {api_key: "secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:t-AbC#key", tenant_id: t-123}
          - id: tenant-b
            values: {api_key: "ssm:/jg/tenant-b#key", tenant_id: "${TENANT:-t-456}"}
`))
	for _, s := range badEnvironments {
		f.Add([]byte(s))
	}
	getenv := func(k string) string { return fuzzVars[k] }
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("envs.yaml", data, getenv)
		cfg2, err2 := Parse("envs.yaml", data, getenv)
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() || !reflect.DeepEqual(cfg, cfg2) {
			t.Fatalf("Parse is not deterministic: %v / %v", err, err2)
		}
		if err != nil {
			checkYAMLRejection(t, "envs.yaml", data, err)
			return
		}
		if len(cfg.Environments) == 0 {
			t.Fatal("accepted without environments")
		}
		for name, e := range cfg.Environments {
			if !validName(name) || e.Name != name {
				t.Fatalf("accepted environment name %q", name)
			}
			for tn, u := range e.Targets {
				if err := checkURL(u); err != nil {
					t.Fatalf("target %s: accepted %v", tn, err)
				}
			}
			for tn, u := range e.TestTargets {
				if _, ok := e.Targets[tn]; !ok {
					t.Fatalf("accepted test target %s without a target of that name", tn)
				}
				if err := checkURL(u); err != nil {
					t.Fatalf("test target %s: accepted %v", tn, err)
				}
			}
			for _, p := range e.Sink.Correlate {
				if !strings.HasPrefix(p, "/") {
					t.Fatalf("accepted correlate pointer %q", p)
				}
			}
			if w := e.Gate.Freeze.Window; w < minFreezeWindow || w > maxFreezeWindow {
				t.Fatalf("accepted freeze window %s", w)
			}
			for pn, p := range e.Pools {
				if !validName(pn) || p.Lease < minLease || p.Lease > maxLease || p.Wait < 0 || p.Wait > maxWait || len(p.Resources) == 0 {
					t.Fatalf("accepted pool %q: %+v", pn, p)
				}
				seen := map[string]bool{}
				for _, r := range p.Resources {
					if strings.TrimSpace(r.ID) == "" || seen[r.ID] {
						t.Fatalf("pool %q: accepted resource ID %q", pn, r.ID)
					}
					seen[r.ID] = true
					for k, v := range r.Values {
						if _, err := secrets.Parse(v); err != nil {
							t.Fatalf("pool %q value %q: accepted %v", pn, k, err)
						}
					}
				}
			}
		}
	})
}

// located is a problem line naming the file and a line.
var located = regexp.MustCompile(`^[^:]+:[1-9][0-9]*: `)

// checkYAMLRejection checks err rejects a YAML file clearly: every problem
// line is clear and starts with the file's name, and, when data is YAML
// with a document, with file:line.
func checkYAMLRejection(t *testing.T, file string, data []byte, err error) {
	t.Helper()
	isYAML := syntacticallyYAML(data)
	for _, line := range fuzzcheck.Lines(t, err, string(data)) {
		if !strings.HasPrefix(line, file) {
			t.Fatalf("problem %q does not name %s; the whole error:\n%v", line, file, err)
		}
		if isYAML && !located.MatchString(line) {
			t.Fatalf("problem %q of a YAML file has no file:line; the whole error:\n%v", line, err)
		}
	}
}

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
