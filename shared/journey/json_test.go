package journey_test

import (
	"testing"

	"github.com/journeygate/journeygate/shared/journey"
)

const sample = `{
	"status": "firing",
	"alerts": [{"labels": {"alertname": "A", "a/b": "slash", "m~n": "tilde"}, "count": 3}],
	"groupLabels": {"jg_run": "run-1"},
	"empty": {}
}`

func TestDocAt(t *testing.T) {
	doc, err := journey.ParseJSON([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pointer string
		want    any
		found   bool
	}{
		{"/status", "firing", true},
		{"/alerts/0/labels/alertname", "A", true},
		{"/alerts/0/count", float64(3), true},
		{"/alerts/0/labels/a~1b", "slash", true},
		{"/alerts/0/labels/m~0n", "tilde", true},
		{"/alerts/1", nil, false},
		{"/alerts/-1", nil, false},
		{"/alerts/x", nil, false},
		{"/status/deeper", nil, false},
		{"/nope", nil, false},
		{"status", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.pointer, func(t *testing.T) {
			got, ok := doc.At(tc.pointer)
			if ok != tc.found || got != tc.want {
				t.Errorf("At(%q) = %v, %t; want %v, %t", tc.pointer, got, ok, tc.want, tc.found)
			}
		})
	}
	if whole, ok := doc.At(""); !ok || whole == nil {
		t.Error(`At("") does not return the whole document`)
	}
	if got := doc.String("/groupLabels/jg_run"); got != "run-1" {
		t.Errorf("String = %q, want run-1", got)
	}
	if got := doc.String("/alerts/0/count"); got != "" {
		t.Errorf("String of a number = %q, want empty", got)
	}
}

func TestDocAssertions(t *testing.T) {
	doc, err := journey.ParseJSON([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want string // "" means the assertion holds
	}{
		{"Expect holds", doc.Expect("/status", "firing"), ""},
		{"Expect int against JSON number", doc.Expect("/alerts/0/count", 3), ""},
		{"Expect object", doc.Expect("/groupLabels", map[string]string{"jg_run": "run-1"}), ""},
		{"Expect mismatch", doc.Expect("/status", "resolved"), `at /status: expected "resolved", got "firing"`},
		{"Expect number mismatch", doc.Expect("/alerts/0/count", 2), `at /alerts/0/count: expected 2, got 3`},
		{"Expect absent", doc.Expect("/nope", "x"), `at /nope: expected "x", but it is absent`},
		{"ExpectLen holds", doc.ExpectLen("/alerts", 1), ""},
		{"ExpectLen object", doc.ExpectLen("/empty", 0), ""},
		{"ExpectLen mismatch", doc.ExpectLen("/alerts", 2), `at /alerts: expected 2 elements, got 1`},
		{"ExpectLen not an array", doc.ExpectLen("/status", 1), `at /status: expected an array of 1, got "firing"`},
		{"ExpectLen absent", doc.ExpectLen("/nope", 1), `at /nope: expected an array of 1, got null`},
		{"Equal holds", journey.Equal("alerts", 1, 1), ""},
		{"Equal mismatch", journey.Equal("alerts in the notification", 1, 2), `alerts in the notification: expected 1, got 2`},
		{"Equal strings", journey.Equal("state", "active", "suppressed"), `state: expected "active", got "suppressed"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "" {
				if tc.err != nil {
					t.Fatalf("assertion failed: %v", tc.err)
				}
				return
			}
			if tc.err == nil {
				t.Fatalf("assertion held, want %q", tc.want)
			}
			if !journey.IsFailure(tc.err) {
				t.Errorf("error %v is not a Failure", tc.err)
			}
			if tc.err.Error() != tc.want {
				t.Errorf("message = %q, want %q", tc.err.Error(), tc.want)
			}
		})
	}
}

func TestParseJSONInvalid(t *testing.T) {
	_, err := journey.ParseJSON([]byte(`{"status":`))
	if !journey.IsFailure(err) {
		t.Fatalf("ParseJSON(invalid) = %v, want a Failure", err)
	}
	wantContains(t, "error", err.Error(), "not valid JSON", `{"status":`)
	if got := journey.Failf("x").Error(); got != "x" {
		t.Errorf("Failf message = %q", got)
	}
	d := journey.Delivery{ID: "r#1", Body: []byte("nope")}
	var v any
	if err := d.JSON(&v); !journey.IsFailure(err) {
		t.Errorf("Delivery.JSON(invalid) = %v, want a Failure", err)
	} else {
		wantContains(t, "error", err.Error(), "delivery r#1")
	}
}
