package yamlerr

import (
	"strings"
	"testing"
)

// decodeTarget has a field of each kind Decode names in its errors.
type decodeTarget struct {
	Name   string            `yaml:"name"`
	Count  int               `yaml:"count"`
	On     bool              `yaml:"on"`
	Tags   []string          `yaml:"tags"`
	Labels map[string]string `yaml:"labels"`
	Nested struct {
		Window string `yaml:"window"`
	} `yaml:"nested"`
	Skipped string `yaml:"-"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, data string
		want       string // "" = decodes
	}{
		{"valid", "name: a\ncount: 2\non: true\ntags: [x]\nlabels: {k: v}\nnested: {window: 5m}\n", ""},
		{"trailing empty document", "name: a\n---\n", ""},
		{"empty", "", "f.yaml: no YAML document"},
		{"only comments", "# nothing\n", "f.yaml: no YAML document"},
		{"syntax error with line", "name: a\ntags: [x\n", "f.yaml:2: did not find expected ',' or ']' (in the block that starts at line 1)"},
		// yaml.v3 names the line where the enclosing block starts; the
		// error names the line that is wrong.
		{"a key indented one space too far", "name: a\nnested:\n  window: 5m\n   tags: [x]\ncount: 1\n", "f.yaml:4: mapping values are not allowed in this context"},
		{"a key indented one space too little", "nested:\n  window: 5m\n labels: {}\ncount: 1\n", "f.yaml:3: did not find expected key (check its indentation: the block it breaks starts at line 2)"},
		{"a key under a mapping one space out", "name: a\nlabels:\n  a: x\n  b: y\n   c: z\n  d: w\n", "f.yaml:5: mapping values are not allowed in this context"},
		{"a sequence item in a mapping", "name: a\nnested:\n  window: 5m\n  - x\n", "f.yaml:4: did not find expected key (check its indentation: the block it breaks starts at line 2)"},
		{"an environments file one space out", "environments:\n  local:\n    targets:\n      alertmanager: http://x\n     settings:\n      quiet_window: 2s\n", "f.yaml:5: did not find expected key (check its indentation: the block it breaks starts at line 2)"},
		{"a tab", "name: a\nnested:\n\twindow: 5m\n", "f.yaml:3: found character that cannot start any token"},
		{"unknown key with the known ones", "name: a\nnested:\n  windo: 5m\n", `f.yaml:3: nested.windo: unknown key "windo" (known: window); did you mean "window"?`},
		{"wrong kind names the want", "count: many\n", `f.yaml:1: count: is a string "many", want an integer`},
		{"sequence for a mapping", "labels: [a]\n", "f.yaml:1: labels: is a sequence, want a mapping"},
		{"string for a sequence", "tags: x\n", `f.yaml:1: tags: is a string "x", want a sequence of strings`},
		{"not a boolean", "on: maybe\n", `f.yaml:1: on: is a string "maybe", want true or false`},
		{"document of the wrong kind", "[1, 2]\n", "f.yaml:1: is a sequence, want a mapping (keys: count, labels, name, nested, on, tags)"},
		{"every problem, one per line", "count: x\non: 7\n", "f.yaml:1: count: is a string \"x\", want an integer\nf.yaml:2: on: is an integer \"7\", want true or false"},
		{"duplicate key", "name: a\nname: b\n", `f.yaml:2: mapping key "name" already defined at line 1`},
		{"second document", "name: a\n---\nname: b\n", "f.yaml:3: a second YAML document"},
		{"key that would break the line is quoted", "labels: {a: 1}\nnested: {\"x\\ny\": 1}\n", `f.yaml:2: nested."x\ny": unknown key "x\ny"`},
		{"skipped field is unknown", "Skipped: x\n", `unknown key "Skipped"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v decodeTarget
			err := Decode("f.yaml", []byte(tt.data), &v)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "yamlerr.") || strings.Contains(err.Error(), "struct {") {
				t.Errorf("error shows Go types: %v", err)
			}
		})
	}
}

func TestDecodeLaxKeepsUnknownKeys(t *testing.T) {
	var v decodeTarget
	if err := DecodeLax("f.yaml", []byte("name: a\nversion: 0.0\n"), &v); err != nil || v.Name != "a" {
		t.Fatalf("DecodeLax = %v, %+v", err, v)
	}
}

func TestPathQuotesKeysThatAreNotPlain(t *testing.T) {
	got := Path([]string{"environments", "a b", "x.y", "", "ok-1", "new\nline"})
	want := `environments."a b"."x.y".""` + `.ok-1."new\nline"`
	if got != want {
		t.Errorf("Path = %s, want %s", got, want)
	}
}
