package metricstest_test

import (
	"strings"
	"testing"

	"github.com/journeygate/journeygate/internal/metrics/metricstest"
)

const valid = `{"_aws":{"Timestamp":1763686506000,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[["A","B"],["A"]],"Metrics":[{"Name":"M","Unit":"Count"},{"Name":"T","Unit":"Milliseconds"}]}]},"A":"a","B":"b","M":1,"T":[1.5,2],"other":{"x":1}}`

func TestCheckAcceptsAValidRecord(t *testing.T) {
	rec, err := metricstest.Check([]byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Timestamp != 1763686506000 || rec.Namespace != "ns" || rec.Dim("A") != "a" || rec.Values["M"] != 1 || rec.Values["T"] != 1.5 || rec.Units["T"] != "Milliseconds" || len(rec.Dimensions) != 2 {
		t.Errorf("decoded %+v", rec)
	}
}

// TestCheckFindsViolations: the checker the other tests rely on must
// catch each way a record can break the specification.
func TestCheckFindsViolations(t *testing.T) {
	dims31 := `[` + strings.Repeat(`"A",`, 30) + `"A"]`
	tests := []struct {
		name, from, to, want string
	}{
		{"trailing data", `"other":{"x":1}}`, `"other":{"x":1}} x`, "not one JSON object"},
		{"escaped newline in a log field", `"other":{"x":1}`, `"other":"a\nb"`, ""}, // raw newlines: below
		{"no _aws", `{"_aws":`, `{"_awz":`, "_aws is not an object"},
		{"timestamp in seconds", `1763686506000`, `1763686506`, "not milliseconds"},
		{"timestamp as string", `1763686506000`, `"1763686506000"`, "not a number"},
		{"fractional timestamp", `1763686506000`, `1763686506000.5`, "not an integer"},
		{"no directives", `"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[["A","B"],["A"]],"Metrics":[{"Name":"M","Unit":"Count"},{"Name":"T","Unit":"Milliseconds"}]}]`, `"CloudWatchMetrics":[]`, "CloudWatchMetrics is not"},
		{"unknown directive member", `"Namespace":"ns"`, `"Namespace":"ns","Extra":1`, "unknown member"},
		{"empty namespace", `"Namespace":"ns"`, `"Namespace":""`, "Namespace"},
		{"no dimension sets", `"Dimensions":[["A","B"],["A"]]`, `"Dimensions":[]`, "Dimensions is not"},
		{"dimension not a member", `["A","B"],["A"]`, `["A","C"]`, `references "C"`},
		{"dimension not a string", `"A":"a"`, `"A":1`, "non-string"},
		{"empty dimension value", `"A":"a"`, `"A":" "`, "empty"},
		{"non-ASCII dimension value", `"A":"a"`, `"A":"ä"`, "printable ASCII"},
		{"long dimension value", `"A":"a"`, `"A":"` + strings.Repeat("a", 1025) + `"`, "1024"},
		{"31 dimensions", `["A","B"],["A"]`, dims31, "allows 30"},
		{"unknown unit", `"Unit":"Count"`, `"Unit":"count"`, "not a CloudWatch unit"},
		{"metric without value", `"M":1,`, ``, "no top-level member"},
		{"metric value a string", `"M":1`, `"M":"1"`, "neither a number"},
		{"metric array too long", `"T":[1.5,2]`, `"T":[` + strings.Repeat("1,", 100) + `1]`, "allows 100"},
		{"metric array of strings", `"T":[1.5,2]`, `"T":["1"]`, "not a number"},
		{"duplicate metric", `{"Name":"T","Unit":"Milliseconds"}`, `{"Name":"M","Unit":"Milliseconds"}`, "defined twice"},
		{"metric also a dimension", `{"Name":"T","Unit":"Milliseconds"}`, `{"Name":"A"}`, "both a dimension and a metric"},
		{"bad storage resolution", `"Unit":"Count"}`, `"Unit":"Count","StorageResolution":5}`, "StorageResolution"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := strings.Replace(valid, tt.from, tt.to, 1)
			if line == valid {
				t.Fatalf("%q is not in the valid record", tt.from)
			}
			_, err := metricstest.Check([]byte(line))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q\n%s", err, tt.want, line)
			}
		})
	}
	if _, err := metricstest.Check([]byte(strings.Replace(valid, `"A":"a"`, "\"A\":\"a\"\n", 1))); err == nil {
		t.Error("a raw newline inside a record was accepted")
	}
	rec31 := strings.Replace(valid, `["A","B"],["A"]`, `[`+strings.Repeat(`"A",`, 29)+`"B"]`, 1)
	if _, err := metricstest.Check([]byte(rec31)); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("a set naming one key 29 times: err = %v", err)
	}
}

func TestWithMetric(t *testing.T) {
	rec, err := metricstest.Check([]byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	recs := []metricstest.Record{rec, {Units: map[string]string{"X": "None"}}}
	if got := metricstest.WithMetric(recs, "X"); len(got) != 1 || !got[0].Has("X") {
		t.Errorf("WithMetric(X) = %+v", got)
	}
}
