package metrics

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits from the EMF specification and CloudWatch's PutMetricData.
const (
	maxDimensionsPerSet = 30
	maxMetricsPerRecord = 100
	maxNameLen          = 255  // namespace, dimension and metric names
	maxDimensionValue   = 1024 // characters of a dimension value
	maxRecordBytes      = 256 << 10
)

// unit is a CloudWatch metric unit.
type unit string

const (
	unitNone         unit = "None"
	unitCount        unit = "Count"
	unitMilliseconds unit = "Milliseconds"
)

// validUnits are CloudWatch's unit names (MetricDatum.Unit).
var validUnits = map[unit]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true,
	"Bytes": true, "Kilobytes": true, "Megabytes": true, "Gigabytes": true, "Terabytes": true,
	"Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true, "Terabits": true,
	"Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true, "Terabytes/Second": true,
	"Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true, "Gigabits/Second": true, "Terabits/Second": true,
	"Count/Second": true, "None": true,
}

// field is a top-level string member: a dimension or a plain log field.
type field struct {
	key, value string
}

// metric is one metric definition and its value.
type metric struct {
	name  string
	unit  unit
	value float64
}

// record is one EMF document with a single metric directive.
type record struct {
	dims    []field    // dimension target members, in output order
	sets    [][]string // dimension sets over dims' keys
	metrics []metric
	fields  []field // plain log fields
}

// validate checks r against the EMF specification and CloudWatch's limits
// on names, dimension values and units.
func (r *record) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := checkName("namespace", Namespace); err != nil {
		errs = append(errs, err)
	} else if strings.HasPrefix(Namespace, "AWS/") {
		bad("namespace %q: the AWS/ prefix is reserved", Namespace)
	}
	keys := map[string]string{"_aws": "the metadata member"}
	claim := func(key, what string) {
		if prev, ok := keys[key]; ok {
			bad("member %q is both %s and %s", key, prev, what)
		}
		keys[key] = what
	}
	dims := map[string]bool{}
	for _, d := range r.dims {
		claim(d.key, "a dimension")
		dims[d.key] = true
		if err := checkName("dimension", d.key); err != nil {
			errs = append(errs, err)
		} else if strings.HasPrefix(d.key, ":") {
			bad("dimension %q: a name must not start with a colon", d.key)
		}
		if err := checkDimensionValue(d.value); err != nil {
			bad("dimension %s: %w", d.key, err)
		}
	}
	if len(r.sets) == 0 {
		bad("no dimension set")
	}
	for i, set := range r.sets {
		if len(set) > maxDimensionsPerSet {
			bad("dimension set %d has %d keys; at most %d allowed", i+1, len(set), maxDimensionsPerSet)
		}
		seen := map[string]bool{}
		for _, k := range set {
			if !dims[k] {
				bad("dimension set %d references %q, which is no dimension member", i+1, k)
			}
			if seen[k] {
				bad("dimension set %d names %q twice", i+1, k)
			}
			seen[k] = true
		}
	}
	switch n := len(r.metrics); {
	case n == 0:
		bad("no metrics")
	case n > maxMetricsPerRecord:
		bad("%d metrics; at most %d allowed per record", n, maxMetricsPerRecord)
	}
	for _, m := range r.metrics {
		claim(m.name, "a metric")
		if err := checkName("metric", m.name); err != nil {
			errs = append(errs, err)
		}
		if !validUnits[m.unit] {
			bad("metric %s: unit %q is not a CloudWatch unit", m.name, m.unit)
		}
		if math.IsNaN(m.value) || math.IsInf(m.value, 0) {
			bad("metric %s: value %v is not a finite number", m.name, m.value)
		}
	}
	for _, f := range r.fields {
		claim(f.key, "a log field")
	}
	return errors.Join(errs...)
}

// checkName checks a namespace, dimension or metric name: 1 to 255
// printable ASCII characters, not only whitespace.
func checkName(what, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%s name %q is empty", what, s)
	case len(s) > maxNameLen:
		return fmt.Errorf("%s name %.20q… is %d characters long; at most %d allowed", what, s, len(s), maxNameLen)
	case !printableASCII(s):
		return fmt.Errorf("%s name %q has characters outside printable ASCII", what, s)
	}
	return nil
}

// checkDimensionValue checks what CloudWatch accepts as a dimension value.
func checkDimensionValue(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("empty value")
	case len(s) > maxDimensionValue:
		return fmt.Errorf("value is %d characters long; at most %d allowed", len(s), maxDimensionValue)
	case !printableASCII(s):
		return fmt.Errorf("value %q has characters outside printable ASCII", s)
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// dimensionValue makes s a valid dimension value: characters outside
// printable ASCII become "_", it is cut to 1024 characters, and an empty
// (or all-whitespace) value becomes Unknown.
func dimensionValue(s string) string {
	if strings.TrimSpace(s) == "" {
		return Unknown
	}
	if printableASCII(s) && len(s) <= maxDimensionValue {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if b.Len() == maxDimensionValue {
			break
		}
		if r < 0x20 || r > 0x7e {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// appendTo appends r as one JSON line (with its newline) stamped at ms.
func (r *record) appendTo(b []byte, ms int64) []byte {
	b = append(b, `{"_aws":{"Timestamp":`...)
	b = strconv.AppendInt(b, ms, 10)
	b = append(b, `,"CloudWatchMetrics":[{"Namespace":`...)
	b = appendString(b, Namespace)
	b = append(b, `,"Dimensions":[`...)
	for i, set := range r.sets {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, k := range set {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
		}
		b = append(b, ']')
	}
	b = append(b, `],"Metrics":[`...)
	for i, m := range r.metrics {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"Name":`...)
		b = appendString(b, m.name)
		b = append(b, `,"Unit":`...)
		b = appendString(b, string(m.unit))
		b = append(b, '}')
	}
	b = append(b, "]}]}"...)
	for _, d := range r.dims {
		b = appendMember(b, d.key)
		b = appendString(b, d.value)
	}
	for _, m := range r.metrics {
		b = appendMember(b, m.name)
		b = appendNumber(b, m.value)
	}
	for _, f := range r.fields {
		b = appendMember(b, f.key)
		b = appendString(b, f.value)
	}
	return append(b, '}', '\n')
}

func appendMember(b []byte, key string) []byte {
	b = append(b, ',')
	b = appendString(b, key)
	return append(b, ':')
}

// appendNumber appends a finite v as a JSON number, formatted as
// encoding/json does.
func appendNumber(b []byte, v float64) []byte {
	if a := math.Abs(v); a != 0 && (a < 1e-6 || a >= 1e21) {
		b = strconv.AppendFloat(b, v, 'e', -1, 64)
		// e-09 to e-9, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
		return b
	}
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, so a record never
// spans two lines.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				switch c {
				case '\n':
					b = append(b, '\\', 'n')
				case '\r':
					b = append(b, '\\', 'r')
				case '\t':
					b = append(b, '\\', 't')
				default:
					b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
				}
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
