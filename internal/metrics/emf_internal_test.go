package metrics

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func goodRecord() record {
	return record{
		dims:    []field{{"A", "a"}, {"B", "b"}},
		sets:    [][]string{{"A", "B"}, {"A"}},
		metrics: []metric{{"M", unitCount, 1}},
		fields:  []field{{"RunId", "r"}},
	}
}

// TestValidateRejects: a record the builders could get wrong is refused,
// not written.
func TestValidateRejects(t *testing.T) {
	many := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	tests := []struct {
		name   string
		mutate func(*record)
		want   string
	}{
		{"31 dimensions in a set", func(r *record) {
			keys := many(31, func(i int) string { return "D" + strconv.Itoa(i) })
			for _, k := range keys {
				r.dims = append(r.dims, field{k, "v"})
			}
			r.sets = [][]string{keys}
		}, "at most 30"},
		{"101 metrics", func(r *record) {
			r.metrics = nil
			for _, k := range many(101, func(i int) string { return "M" + strconv.Itoa(i) }) {
				r.metrics = append(r.metrics, metric{k, unitCount, 1})
			}
		}, "at most 100"},
		{"no metrics", func(r *record) { r.metrics = nil }, "no metrics"},
		{"no dimension set", func(r *record) { r.sets = nil }, "no dimension set"},
		{"set references a missing member", func(r *record) { r.sets = [][]string{{"A", "C"}} }, `references "C"`},
		{"set names a key twice", func(r *record) { r.sets = [][]string{{"A", "A"}} }, "twice"},
		{"unknown unit", func(r *record) { r.metrics[0].unit = "Millis" }, "not a CloudWatch unit"},
		{"NaN", func(r *record) { r.metrics[0].value = math.NaN() }, "not a finite number"},
		{"infinity", func(r *record) { r.metrics[0].value = math.Inf(1) }, "not a finite number"},
		{"metric shadows a dimension", func(r *record) { r.metrics[0].name = "A" }, `"A" is both a dimension and a metric`},
		{"field shadows a metric", func(r *record) { r.fields[0].key = "M" }, `"M" is both a metric and a log field`},
		{"field named _aws", func(r *record) { r.fields[0].key = "_aws" }, "metadata member"},
		{"empty dimension value", func(r *record) { r.dims[0].value = "" }, "empty value"},
		{"non-ASCII dimension value", func(r *record) { r.dims[0].value = "é" }, "printable ASCII"},
		{"long dimension value", func(r *record) { r.dims[0].value = strings.Repeat("v", 1025) }, "at most 1024"},
		{"dimension name with a colon", func(r *record) { r.dims[0].key = ":A"; r.sets = [][]string{{":A"}} }, "colon"},
		{"long metric name", func(r *record) { r.metrics[0].name = strings.Repeat("m", 256) }, "at most 255"},
	}
	if err := func() error { r := goodRecord(); return r.validate() }(); err != nil {
		t.Fatalf("the good record is rejected: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goodRecord()
			tt.mutate(&r)
			err := r.validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			out, aerr := appendRecords(nil, at0, r)
			if aerr == nil || len(out) != 0 {
				t.Errorf("appendRecords wrote %q (err %v), want nothing and an error", out, aerr)
			}
		})
	}
}

var at0 = time.Date(2026, 11, 21, 0, 55, 6, 0, time.UTC)

// TestAppendStringIsJSON: every string round-trips through encoding/json
// and never breaks the line.
func TestAppendStringIsJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `quo"te \ back`, "tab\tnl\ncr\r\x00\x1f", "é → ✓", "bad \xff utf8", "\u2028\u2029", "<&>"} {
		b := appendString(nil, s)
		if strings.ContainsAny(string(b), "\n\r") {
			t.Errorf("%q encodes with a raw line break: %s", s, b)
		}
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q encodes as invalid JSON %s: %v", s, b, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		if got != want {
			t.Errorf("%q round-trips as %q", s, got)
		}
	}
}

func TestAppendNumberMatchesEncodingJSON(t *testing.T) {
	for _, v := range []float64{0, 1, -1, 0.25, 1523.000250, 1e-7, 123456789012, 1e21, 3.5e22, -2e-9} {
		want, _ := json.Marshal(v)
		if got := appendNumber(nil, v); string(got) != string(want) {
			t.Errorf("appendNumber(%v) = %s, encoding/json writes %s", v, got, want)
		}
	}
}
