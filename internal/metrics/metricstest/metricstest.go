package metricstest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Record is one decoded EMF line.
type Record struct {
	// Timestamp is _aws.Timestamp in milliseconds since the Unix epoch.
	Timestamp int64
	// Namespace is the first metric directive's namespace.
	Namespace string
	// Dimensions are the dimension sets of every directive, in order.
	Dimensions [][]string
	// Units maps each metric name to its unit ("" when omitted).
	Units map[string]string
	// Values maps each metric name to its value (the first of an array).
	Values map[string]float64
	// Fields holds every top-level member but _aws, as encoding/json
	// decodes it (numbers as json.Number).
	Fields map[string]any
}

// Dim returns the string value of the top-level member key, or "".
func (r Record) Dim(key string) string {
	s, _ := r.Fields[key].(string)
	return s
}

// Has reports whether the record defines the metric name.
func (r Record) Has(name string) bool {
	_, ok := r.Units[name]
	return ok
}

// validUnits are CloudWatch's metric units (MetricDatum.Unit).
var validUnits = map[string]bool{}

func init() {
	for _, u := range strings.Fields(`Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes
		Gigabytes Terabytes Bits Kilobits Megabits Gigabits Terabits Percent Count Bytes/Second
		Kilobytes/Second Megabytes/Second Gigabytes/Second Terabytes/Second Bits/Second
		Kilobits/Second Megabits/Second Gigabits/Second Terabits/Second Count/Second None`) {
		validUnits[u] = true
	}
}

// Timestamps outside these bounds are not milliseconds of this era (a
// value in seconds or nanoseconds falls outside them).
const (
	minTimestamp = 946684800000  // 2000-01-01 in ms
	maxTimestamp = 4102444800000 // 2100-01-01 in ms
)

// Check decodes one EMF line and returns every way it breaks the
// specification (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)
// or CloudWatch's limits on names, dimension values and units.
func Check(line []byte) (Record, error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	rec := Record{Units: map[string]string{}, Values: map[string]float64{}, Fields: map[string]any{}}
	if bytes.ContainsAny(line, "\r\n") {
		bad("the record spans more than one line")
	}
	var root map[string]json.RawMessage
	if err := strictUnmarshal(line, &root); err != nil {
		return rec, fmt.Errorf("not one JSON object: %w", err)
	}
	if root == nil {
		return rec, errors.New("not one JSON object: null")
	}
	for k, raw := range root {
		if k == "_aws" {
			continue
		}
		var v any
		if err := strictUnmarshal(raw, &v); err != nil {
			bad("member %q: %v", k, err)
		}
		rec.Fields[k] = v
	}
	var meta map[string]json.RawMessage
	if err := strictUnmarshal(root["_aws"], &meta); err != nil || meta == nil {
		return rec, errors.Join(append(errs, fmt.Errorf("_aws is not an object (%v)", err))...)
	}
	if ts, err := number(meta["Timestamp"]); err != nil {
		bad("_aws.Timestamp: %v", err)
	} else if n, err := ts.Int64(); err != nil {
		bad("_aws.Timestamp %s is not an integer number of milliseconds", ts)
	} else if n < minTimestamp || n > maxTimestamp {
		bad("_aws.Timestamp %d is not milliseconds since the epoch", n)
	} else {
		rec.Timestamp = n
	}
	var directives []map[string]json.RawMessage
	if err := strictUnmarshal(meta["CloudWatchMetrics"], &directives); err != nil || len(directives) == 0 {
		bad("_aws.CloudWatchMetrics is not a non-empty array of objects: %s", meta["CloudWatchMetrics"])
	}
	checked := map[string]bool{} // dimension values checked
	for i, d := range directives {
		at := fmt.Sprintf("CloudWatchMetrics[%d]", i)
		for k := range d {
			if k != "Namespace" && k != "Dimensions" && k != "Metrics" {
				bad("%s has the unknown member %q", at, k)
			}
		}
		var ns string
		if err := strictUnmarshal(d["Namespace"], &ns); err != nil {
			bad("%s.Namespace is not a string: %s", at, d["Namespace"])
		} else if err := checkName(ns); err != nil {
			bad("%s.Namespace: %v", at, err)
		} else if i == 0 {
			rec.Namespace = ns
		}
		var sets [][]string
		if err := strictUnmarshal(d["Dimensions"], &sets); err != nil || len(sets) == 0 {
			bad("%s.Dimensions is not a non-empty array of arrays of strings: %s", at, d["Dimensions"])
		}
		for j, set := range sets {
			if len(set) > 30 {
				bad("%s.Dimensions[%d] has %d keys; the specification allows 30", at, j, len(set))
			}
			seen := map[string]bool{}
			for _, k := range set {
				if seen[k] {
					bad("%s.Dimensions[%d] names %q twice", at, j, k)
				}
				seen[k] = true
				if err := checkName(k); err != nil {
					bad("%s.Dimensions[%d]: dimension name: %v", at, j, err)
				}
				raw, ok := root[k]
				if checked[k] {
					continue
				}
				checked[k] = true
				if !ok {
					bad("%s.Dimensions[%d] references %q, which is not a top-level member", at, j, k)
					continue
				}
				var v string
				if err := strictUnmarshal(raw, &v); err != nil {
					bad("dimension %q has the non-string value %s", k, raw)
				} else if err := checkDimensionValue(v); err != nil {
					bad("dimension %q: %v", k, err)
				}
			}
		}
		rec.Dimensions = append(rec.Dimensions, sets...)
		var defs []map[string]json.RawMessage
		if err := strictUnmarshal(d["Metrics"], &defs); err != nil || len(defs) == 0 {
			bad("%s.Metrics is not a non-empty array of objects: %s", at, d["Metrics"])
		}
		if len(defs) > 100 {
			bad("%s.Metrics has %d definitions; the specification allows 100", at, len(defs))
		}
		for j, def := range defs {
			for k := range def {
				if k != "Name" && k != "Unit" && k != "StorageResolution" {
					bad("%s.Metrics[%d] has the unknown member %q", at, j, k)
				}
			}
			var name string
			if err := strictUnmarshal(def["Name"], &name); err != nil {
				bad("%s.Metrics[%d].Name is not a string: %s", at, j, def["Name"])
				continue
			}
			if err := checkName(name); err != nil {
				bad("%s.Metrics[%d].Name: %v", at, j, err)
			}
			if _, dup := rec.Units[name]; dup {
				bad("metric %q is defined twice", name)
			}
			unit := ""
			if raw, ok := def["Unit"]; ok {
				if err := strictUnmarshal(raw, &unit); err != nil || !validUnits[unit] {
					bad("metric %q: unit %s is not a CloudWatch unit", name, raw)
				}
			}
			if raw, ok := def["StorageResolution"]; ok && string(raw) != "1" && string(raw) != "60" {
				bad("metric %q: StorageResolution %s is not 1 or 60", name, raw)
			}
			rec.Units[name] = unit
			for _, set := range sets {
				for _, k := range set {
					if k == name {
						bad("%q is both a dimension and a metric", name)
					}
				}
			}
			v, err := metricValue(root[name])
			if err != nil {
				bad("metric %q: %v", name, err)
				continue
			}
			rec.Values[name] = v
		}
	}
	return rec, errors.Join(errs...)
}

// Parse splits out into lines, checks each with Check and fails t on any
// violation; it returns the records in order.
func Parse(t testing.TB, out []byte) []Record {
	t.Helper()
	var recs []Record
	if len(out) > 0 && out[len(out)-1] != '\n' {
		t.Errorf("EMF output does not end with a newline: %q", out)
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
		if len(out) == 0 {
			break
		}
		rec, err := Check(line)
		if err != nil {
			t.Errorf("EMF line %d breaks the specification: %v\n%s", i+1, err, line)
		}
		recs = append(recs, rec)
	}
	return recs
}

// WithMetric returns the records that define the metric name.
func WithMetric(recs []Record, name string) []Record {
	var out []Record
	for _, r := range recs {
		if r.Has(name) {
			out = append(out, r)
		}
	}
	return out
}

// metricValue checks a metric target: a number or an array of at most 100
// numbers; it returns the (first) value.
func metricValue(raw json.RawMessage) (float64, error) {
	if raw == nil {
		return 0, errors.New("no top-level member holds its value")
	}
	if n, err := number(raw); err == nil {
		return n.Float64()
	}
	var vs []json.RawMessage
	if err := strictUnmarshal(raw, &vs); err != nil || len(vs) == 0 {
		return 0, fmt.Errorf("value %s is neither a number nor a non-empty array of numbers", raw)
	}
	if len(vs) > 100 {
		return 0, fmt.Errorf("array of %d values; the specification allows 100", len(vs))
	}
	var first float64
	for i, v := range vs {
		n, err := number(v)
		if err != nil {
			return 0, fmt.Errorf("array member %d: %v", i, err)
		}
		if i == 0 {
			first, _ = n.Float64()
		}
	}
	return first, nil
}

// number decodes a JSON number (not a string holding one).
func number(raw json.RawMessage) (json.Number, error) {
	var v any
	if err := strictUnmarshal(raw, &v); err != nil {
		return "", err
	}
	n, ok := v.(json.Number)
	if !ok {
		return "", fmt.Errorf("%s is not a number", raw)
	}
	return n, nil
}

// checkName checks a namespace, dimension or metric name.
func checkName(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%q is empty", s)
	case len(s) > 255:
		return fmt.Errorf("%d characters; at most 255 allowed", len(s))
	case !printableASCII(s):
		return fmt.Errorf("%q has characters outside printable ASCII", s)
	}
	return nil
}

// checkDimensionValue checks what CloudWatch accepts as a dimension value.
func checkDimensionValue(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("value %q is empty", s)
	case len(s) > 1024:
		return fmt.Errorf("value of %d characters; at most 1024 allowed", len(s))
	case !printableASCII(s):
		return fmt.Errorf("value %q has characters outside printable ASCII", s)
	}
	return nil
}

func printableASCII(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}

// strictUnmarshal decodes exactly one JSON value, numbers as json.Number.
func strictUnmarshal(b []byte, v any) error {
	if b == nil {
		return errors.New("missing")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON value")
	}
	return nil
}
