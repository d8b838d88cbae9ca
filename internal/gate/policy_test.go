package gate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

var policyNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// scheduled is a result of a scheduled run of a global journey, started ago before policyNow.
func scheduled(r journey.Result, run string, ago time.Duration) journey.Result {
	r.RunID, r.Tier, r.StartedAt = run, journey.TierGlobal, policyNow.Add(-ago)
	return r
}

func override(deployment, by, reason string, at time.Time, ttl time.Duration) Override {
	return Override{Deployment: deployment, By: by, Reason: reason, At: at, ExpiresAt: at.Add(ttl)}
}

func TestFreeze(t *testing.T) {
	healthy := Input{Planned: enforce("a"), Results: []journey.Result{passed("a")}}
	deploy := func(by trigger.Type, deployment string, sched ...journey.Result) Input {
		in := healthy
		t := trigger.Trigger{Type: by, DeploymentID: deployment}
		if by == trigger.CodePipeline {
			t = trigger.Trigger{Type: by, JobID: deployment}
		}
		in.Policy = Policy{Trigger: t, Environment: "staging", Now: policyNow,
			Freeze: &Freeze{Window: 30 * time.Minute, Scheduled: sched}}
		return in
	}
	failing := scheduled(slaBreach("alert-to-notification"), "sched-2", 5*time.Minute)
	tests := []struct {
		name      string
		in        Input
		frozen    bool
		wantInMsg []string
	}{
		{
			name:   "failing scheduled global journey freezes a codedeploy gate",
			in:     deploy("codedeploy", "d-1", scheduled(passed("alert-to-notification"), "sched-1", 10*time.Minute), failing),
			frozen: true,
			wantInMsg: []string{
				"environment staging is frozen", "global journey alert-to-notification", "run sched-2, 5m0s ago",
				"step 3/3 (notification delivered): sla-breach", "journeygate show sched-2",
			},
		},
		{
			name:   "codepipeline gate is frozen too",
			in:     deploy("codepipeline", "job-1", failing),
			frozen: true,
		},
		{
			name:   "a local run naming a deployment is frozen",
			in:     deploy("cli", "d-1", failing),
			frozen: true,
		},
		{
			name: "scheduled runs are never frozen",
			in:   deploy("schedule", "", failing),
		},
		{
			name: "a local run without a deployment is not frozen",
			in:   deploy("cli", "", failing),
		},
		{
			name: "a later passing scheduled run lifts the freeze",
			in:   deploy("codedeploy", "d-1", failing, scheduled(passed("alert-to-notification"), "sched-3", time.Minute)),
		},
		{
			name: "a failure older than the window does not freeze",
			in:   deploy("codedeploy", "d-1", scheduled(slaBreach("alert-to-notification"), "sched-0", 31*time.Minute)),
		},
		{
			name: "domain journeys do not freeze",
			in: deploy("codedeploy", "d-1", func() journey.Result {
				r := failing
				r.Tier = journey.TierDomain
				return r
			}()),
		},
		{
			name: "observe-mode global journeys do not freeze",
			in: deploy("codedeploy", "d-1", func() journey.Result {
				r := failing
				r.Mode = journey.ModeObserve
				return r
			}()),
		},
		{
			name: "judged by the latest attempt: a retry that passed does not freeze",
			in:   deploy("codedeploy", "d-1", failing, attempt(scheduled(passed("alert-to-notification"), "sched-2", 4*time.Minute), 2)),
		},
		{
			name:   "judged by the latest attempt: a retry that failed freezes",
			in:     deploy("codedeploy", "d-1", scheduled(passed("alert-to-notification"), "sched-2", 5*time.Minute), attempt(failing, 2)),
			frozen: true,
		},
		{
			name: "disabled freeze (nil) never freezes",
			in: func() Input {
				in := deploy("codedeploy", "d-1", failing)
				in.Policy.Freeze = nil
				return in
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Decide(tt.in)
			var freeze []Reason
			for _, r := range v.Reasons {
				if r.Policy == PolicyFreeze {
					freeze = append(freeze, r)
				}
			}
			if !tt.frozen {
				if v.Status != Succeeded || len(freeze) != 0 {
					t.Fatalf("want Succeeded without freeze, got %s %q reasons %+v", v.Status, v.Summary, v.Reasons)
				}
				return
			}
			if v.Status != Failed || len(freeze) != 1 {
				t.Fatalf("want Failed with one freeze reason, got %s %q reasons %+v", v.Status, v.Summary, v.Reasons)
			}
			r := freeze[0]
			if !r.Blocking || r.Run != "sched-2" || r.Outcome != journey.SLABreach || r.Journey != "" {
				t.Errorf("freeze reason %+v", r)
			}
			if !strings.HasPrefix(v.Summary, "Failed: environment staging is frozen") {
				t.Errorf("summary %q should name the freeze", v.Summary)
			}
			if v.Passed != 1 || v.Blocking != 0 {
				t.Errorf("counts passed %d blocking %d: the freeze is no journey of this run", v.Passed, v.Blocking)
			}
			for _, w := range tt.wantInMsg {
				if !strings.Contains(r.Message, w) {
					t.Errorf("message lacks %q:\n%s", w, r.Message)
				}
			}
			if ex := v.Explain(); !strings.Contains(ex, "(freeze) [BLOCKING]") {
				t.Errorf("Explain should name the freeze:\n%s", ex)
			}
		})
	}
}

func TestFreezeComesAfterTheRunsOwnFailures(t *testing.T) {
	in := Input{
		Planned: enforce("a"),
		Results: []journey.Result{failedAt("a", journey.Failed, "boom")},
		Policy: Policy{Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1"}, Now: policyNow,
			Freeze: &Freeze{Scheduled: []journey.Result{scheduled(slaBreach("g"), "s-1", time.Minute)}}},
	}
	v := Decide(in)
	if v.Status != Failed || len(v.Reasons) != 2 || v.Reasons[0].Journey != "a" || v.Reasons[1].Policy != PolicyFreeze {
		t.Fatalf("got %s %+v", v.Status, v.Reasons)
	}
	if !strings.HasSuffix(v.Summary, "(+1 more)") || !strings.HasPrefix(v.Summary, "Failed: a step 2/3") {
		t.Errorf("summary %q", v.Summary)
	}
}

func TestOverride(t *testing.T) {
	failing := Input{Planned: enforce("a", "b"), Results: []journey.Result{passed("a"), failedAt("b", journey.Failed, "status 500 want 201")}}
	with := func(in Input, deployment string, os ...Override) Input {
		in.Policy = Policy{Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: deployment}, Now: policyNow, Overrides: os}
		return in
	}
	alice := override("d-1", "alice", "hotfix for INC-42, journey broken by a known test-data issue", policyNow.Add(-10*time.Minute), time.Hour)
	tests := []struct {
		name       string
		in         Input
		overridden *Override
	}{
		{"active override lets a failing deployment through", with(failing, "d-1", alice), &alice},
		{"expired override does not apply", with(failing, "d-1", override("d-1", "alice", "x", policyNow.Add(-2*time.Hour), time.Hour)), nil},
		{"override expiring right now does not apply", with(failing, "d-1", override("d-1", "alice", "x", policyNow.Add(-time.Hour), time.Hour)), nil},
		{"override of another deployment does not apply", with(failing, "d-2", alice), nil},
		{"no deployment, no override", with(failing, "", alice), nil},
		{"override without a reason does not apply", with(failing, "d-1", override("d-1", "alice", "  ", policyNow, time.Hour)), nil},
		{"override without an author does not apply", with(failing, "d-1", override("d-1", "", "why", policyNow, time.Hour)), nil},
		{"override longer than the maximum does not apply", with(failing, "d-1", override("d-1", "alice", "why", policyNow.Add(-time.Minute), 25*time.Hour)), nil},
		{"zero Now applies no override", func() Input { in := with(failing, "d-1", alice); in.Policy.Now = time.Time{}; return in }(), nil},
		{"the latest active override wins", with(failing, "d-1",
			override("d-1", "bob", "older", policyNow.Add(-20*time.Minute), time.Hour), alice,
			override("d-1", "carol", "expired but newer", policyNow.Add(-time.Hour), 50*time.Minute)), &alice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Decide(tt.in)
			if tt.overridden == nil {
				if v.Status != Failed || v.Overridden != nil {
					t.Fatalf("want Failed and not overridden, got %s %+v", v.Status, v.Overridden)
				}
				return
			}
			if v.Status != Succeeded || v.Overridden == nil || *v.Overridden != *tt.overridden {
				t.Fatalf("want Succeeded overridden by %+v, got %s %+v", tt.overridden, v.Status, v.Overridden)
			}
			// The verdict keeps what it overrode.
			if len(v.Reasons) != 1 || v.Reasons[0].Journey != "b" || !v.Reasons[0].Blocking || v.Blocking != 1 || v.Passed != 1 {
				t.Errorf("reasons %+v counts %d/%d", v.Reasons, v.Passed, v.Blocking)
			}
			for _, w := range []string{"Succeeded: overridden by alice until 2026-11-21T12:50:00Z (hotfix for INC-42", "the gate said Failed: b step 2/3 (incident created): failed: status 500 want 201"} {
				if !strings.Contains(v.Summary, w) {
					t.Errorf("summary lacks %q: %q", w, v.Summary)
				}
			}
			if n := len([]rune(v.Summary)); n > maxSummary {
				t.Errorf("summary has %d runes", n)
			}
			ex := v.Explain()
			if !strings.Contains(ex, "overridden by alice at 2026-11-21T11:50:00Z, until 2026-11-21T12:50:00Z: hotfix") || !strings.Contains(ex, "b [enforce, BLOCKING]") {
				t.Errorf("Explain:\n%s", ex)
			}
		})
	}
}

func TestOverrideLeavesPassingVerdictAlone(t *testing.T) {
	in := Input{Planned: enforce("a"), Results: []journey.Result{passed("a")},
		Policy: Policy{Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1"}, Now: policyNow,
			Overrides: []Override{override("d-1", "alice", "why", policyNow, time.Hour)}}}
	v := Decide(in)
	if v.Status != Succeeded || v.Overridden != nil || v.Summary != "Succeeded: 1/1 journey passed" {
		t.Fatalf("an override changes only a failing verdict: %+v", v)
	}
}

func TestOverrideLiftsFreezeAndFaults(t *testing.T) {
	in := Input{Planned: enforce("a"), Results: []journey.Result{passed("a")}, Fault: "runner for journey x failed",
		Policy: Policy{Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1"}, Now: policyNow,
			Freeze:    &Freeze{Scheduled: []journey.Result{scheduled(slaBreach("g"), "s-1", time.Minute)}},
			Overrides: []Override{override("d-1", "alice", "ship it", policyNow, time.Hour)}}}
	v := Decide(in)
	if v.Status != Succeeded || v.Overridden == nil || len(v.Reasons) != 2 {
		t.Fatalf("got %s %+v", v.Status, v.Reasons)
	}
}

func TestOverrideValidate(t *testing.T) {
	ok := override("d-1", "alice", "why", policyNow, time.Hour)
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		o    Override
		want string
	}{
		{"no deployment", override("", "alice", "why", policyNow, time.Hour), "deployment is empty"},
		{"no reason", override("d", "alice", "", policyNow, time.Hour), "reason is empty"},
		{"blank reason", override("d", "alice", " \n\t", policyNow, time.Hour), "reason is empty"},
		{"no author", override("d", "", "why", policyNow, time.Hour), "by is empty"},
		{"long reason", override("d", "alice", strings.Repeat("x", MaxOverrideReason+1), policyNow, time.Hour), "reason is 2001 bytes"},
		{"too long", override("d", "alice", "why", policyNow, MaxOverrideTTL+time.Second), "at most 24h0m0s"},
		{"no lifetime", override("d", "alice", "why", policyNow, 0), "is not after"},
		{"zero at", Override{Deployment: "d", By: "a", Reason: "r", ExpiresAt: policyNow}, "at is zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestRunFaultsRoundTrip(t *testing.T) {
	in := Input{Planned: enforce("a"), Results: []journey.Result{passed("a")}, Fault: "runner for journey a failed: States.Timeout"}
	v := Decide(in)
	if got := RunFaults(v); got != in.Fault {
		t.Fatalf("RunFaults = %q, want %q", got, in.Fault)
	}
	if got := RunFaults(Decide(Input{Planned: enforce("a")})); got != "" {
		t.Fatalf("a verdict without fault gave %q", got)
	}
	// Re-deciding with the recovered fault fails the same way.
	again := Decide(Input{Planned: in.Planned, Results: in.Results, Fault: RunFaults(v)})
	if again.Summary != v.Summary {
		t.Fatalf("re-decided %q, first %q", again.Summary, v.Summary)
	}
}

func TestVerdictJSONKeepsOverride(t *testing.T) {
	o := override("d-1", "alice", "why", policyNow, time.Hour)
	v := Decide(Input{Planned: enforce("a"), Policy: Policy{Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1"}, Now: policyNow, Overrides: []Override{o}}})
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var back Verdict
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Overridden == nil || *back.Overridden != o || back.Status != Succeeded || len(back.Reasons) != 1 {
		t.Fatalf("round trip lost the override: %s", b)
	}
}

func TestFreezeHealthUnknownFails(t *testing.T) {
	in := Input{Planned: enforce("a"), Results: []journey.Result{passed("a")},
		Policy: Policy{Trigger: trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: "d-1"}, Environment: "staging", Now: policyNow,
			Freeze: &Freeze{Unavailable: "dynamodb: connection refused"}}}
	v := Decide(in)
	if v.Status != Failed || len(v.Reasons) != 1 || v.Reasons[0].Policy != PolicyFreeze || v.Reasons[0].Outcome != journey.Errored {
		t.Fatalf("got %s %+v", v.Status, v.Reasons)
	}
	if want := "Failed: health of environment staging unknown: the freeze could not read its scheduled runs: dynamodb: connection refused"; v.Summary != want {
		t.Errorf("summary %q", v.Summary)
	}
	if RunFaults(v) != "" {
		t.Errorf("a freeze reason is no run fault: a re-decision reads the health afresh")
	}
	in.Policy.Trigger = trigger.Trigger{Type: trigger.Schedule}
	if v := Decide(in); v.Status != Succeeded {
		t.Errorf("a scheduled run is never frozen, health known or not: %s", v.Summary)
	}
}
