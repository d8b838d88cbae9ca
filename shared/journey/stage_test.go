package journey_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// A journey sees the stage its run serves, the traffic whose targets T.HTTP
// calls, and the version under test.
func TestTSeesStageTrafficAndTargetVersion(t *testing.T) {
	cases := []struct {
		stage   trigger.Stage
		version string
		traffic trigger.Traffic
	}{
		{trigger.BeforeAllowTraffic, "7", trigger.Test},
		{trigger.PostTestTrafficShift, "arn:aws:ecs:eu-west-1:1:service-revision/c/s/2", trigger.Test},
		{trigger.AfterAllowTraffic, "7", trigger.Live},
		{"", "", trigger.Live},
	}
	for _, tc := range cases {
		t.Run(string(tc.stage), func(t *testing.T) {
			var seen string
			j := valid("sees", step("look", time.Minute, func(ctx context.Context, jt *journey.T) error {
				seen = fmt.Sprintf("%s|%s|%s", jt.Stage(), jt.Traffic(), jt.TargetVersion())
				return nil
			}))
			res := journey.Execute(context.Background(), j, journey.Options{RunID: "r", Stage: tc.stage, TargetVersion: tc.version})
			if res.Outcome != journey.Passed {
				t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
			}
			if want := fmt.Sprintf("%s|%s|%s", tc.stage, tc.traffic, tc.version); seen != want {
				t.Errorf("stage|traffic|version = %q, want %q", seen, want)
			}
		})
	}
}

// T.Exchange keeps another client's calls as T.HTTP keeps its own: the
// last four of a step under one label, redacted and cut.
func TestExchangeIsEvidenceLikeHTTP(t *testing.T) {
	j := valid("invokes", step("invoke", time.Minute, func(ctx context.Context, jt *journey.T) error {
		jt.Exchange("Invoke orders:7", []byte(`{"order":1}`), "→ 200 after 3ms, function error", []byte(`{"errorMessage":"boom"}`))
		return journey.Failf("the function failed")
	}))
	res := journey.Execute(context.Background(), j, journey.Options{RunID: "r"})
	detail, ok := evidence(res.Steps[0], "Invoke orders:7")
	if !ok {
		t.Fatalf("no evidence labelled Invoke orders:7: %v", labels(res.Steps[0]))
	}
	for _, w := range []string{`{"order":1}`, "→ 200 after 3ms, function error", `{"errorMessage":"boom"}`} {
		if !strings.Contains(detail, w) {
			t.Errorf("detail %q lacks %q", detail, w)
		}
	}

	j.Steps[0].Do = func(ctx context.Context, jt *journey.T) error {
		for i := range 6 {
			jt.Exchange(fmt.Sprintf("Invoke orders:%d", i), nil, "→ 200", nil)
		}
		return journey.Failf("done")
	}
	res = journey.Execute(context.Background(), j, journey.Options{RunID: "r", Excerpt: 8})
	if got := labels(res.Steps[0]); len(got) != 1 || got[0] != "last 4 of 6 requests" {
		t.Errorf("labels %v, want one item: last 4 of 6 requests", got)
	}
}
