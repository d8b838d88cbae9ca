package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"

	runner "github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/sfnlocal"
)

// megabyte is a message of about 1 MB in characters JSON escapes, between
// where it happened and its cause.
func megabyte(where, cause string) string {
	return where + strings.Repeat("<\"\x01é", 1<<20/5) + cause
}

// hugeFaultStore fails or panics on every result write with a megabyte
// message: panics for the journeys panicky says, errors for the others.
type hugeFaultStore struct {
	store.Store
	panicky func(journeyName string) bool
}

func (s hugeFaultStore) PutResult(_ context.Context, res journey.Result) error {
	if s.panicky(res.Journey) {
		panic(megabyte("nil map in "+res.Journey+": ", ": assignment to entry in nil map"))
	}
	return errors.New(megabyte("dynamodb PutItem: ", ": ProvisionedThroughputExceededException"))
}

// lambdaError invokes the handler as Lambda's Go runtime does and returns
// the function error it would report (sfnlocal mirrors aws-lambda-go:
// the error's name, a panic's value and stack), or fails the test.
func lambdaError(t *testing.T, h *runner.Handler, payload string) (resp messages.InvokeResponse_Error) {
	t.Helper()
	defer func() {
		if v := recover(); v != nil {
			resp = sfnlocal.PanicResponse(v)
		}
	}()
	out, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), []byte(payload))
	if err == nil {
		t.Fatalf("no error; response %s", out)
	}
	return sfnlocal.ErrorResponse(err)
}

// manyJourneys returns n instant journeys named j000, j001, …; domain
// journeys from the index domainFrom on.
func manyJourneys(t *testing.T, n, domainFrom int) *journey.Registry {
	t.Helper()
	var js []journey.Journey
	for i := range n {
		j := journey.Journey{
			Name: fmt.Sprintf("j%03d", i), Description: "instant", Tier: journey.TierGlobal, Owner: "team",
			Mode: journey.ModeEnforce, Targets: []string{"api"},
			Steps: []journey.Step{{Name: "nothing", SLA: time.Second, Do: func(context.Context, *journey.T) error { return nil }}},
		}
		if i >= domainFrom {
			j.Tier, j.Covers = journey.TierDomain, []string{"x"}
		}
		js = append(js, j)
	}
	reg, err := journey.NewRegistry(js...)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestFaultsAreCut checks what Lambda reports for the runner's faults, the
// Cause a Catch copies into the run's state: the error's name, its message
// cut in the middle to flow.MaxErrorMessage once encoded (where it
// happened and the cause both kept), and no stack trace.
func TestFaultsAreCut(t *testing.T) {
	tests := []struct {
		name     string
		reg      *journey.Registry
		panicky  bool
		payload  string
		wantType string
		wantHead string
		wantTail string
	}{
		{"a store error of a megabyte", nil, false, runPayload("r-cut", "login", deploy),
			"StoreError", "recording result of login attempt 1: dynamodb PutItem: ", ": ProvisionedThroughputExceededException"},
		{"a panic of a megabyte", nil, true, runPayload("r-cut", "login", deploy),
			"PanicError", "runner panicked: nil map in login: ", ": assignment to entry in nil map"},
		{"a run of a journey with a megabyte name", nil, false, runPayload("r-cut", megabyte("x", "y"), deploy),
			"UnknownJourneyError", `unknown journey "x`, `y" (3 known: login, pay, search)`},
		{"an unknown journey among many", manyJourneys(t, 120, 120), false, `{"action":"run","runId":"r-cut","environment":"staging","journey":"checkout"}`,
			"UnknownJourneyError", `unknown journey "checkout" (120 known: j000, j001, j002, j003, j004 and 115 more)`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := tt.reg
			if reg == nil {
				reg = registry(t)
			}
			f := newFixtureWith(t, reg)
			if tt.reg == nil { // the run the faulting writes are for
				if err := f.invoke(t, planPayload("r-cut", "staging", trigger.Trigger{Type: trigger.Schedule}, nil, "", nil), &flow.Plan{}); err != nil {
					t.Fatal(err)
				}
			}
			h, err := runner.New(reg, stagingEnvs(t, f), hugeFaultStore{f.store, func(string) bool { return tt.panicky }})
			if err != nil {
				t.Fatal(err)
			}
			got := lambdaError(t, h, tt.payload)
			body, _ := json.Marshal(got) // as the runtime sends it: the Cause
			if got.Type != tt.wantType || got.StackTrace != nil {
				t.Errorf("error type %q with %d stack frames, want %q without a stack", got.Type, len(got.StackTrace), tt.wantType)
			}
			if !strings.HasPrefix(got.Message, tt.wantHead) || !strings.HasSuffix(got.Message, tt.wantTail) {
				t.Errorf("message %.200q…, want it to start %q and end %q", got.Message, tt.wantHead, tt.wantTail)
			}
			if msg, _ := json.Marshal(got.Message); len(msg)-2 > flow.MaxErrorMessage || len(body) > flow.MaxErrorMessage+100 {
				t.Errorf("message is %d bytes encoded (Cause %d bytes), want at most %d", len(msg)-2, len(body), flow.MaxErrorMessage)
			}
		})
	}
}

// TestSmallPanicIsNamed: a panic of any size reaches Step Functions as a
// PanicError without aws-lambda-go's stack trace, and is logged with it.
func TestSmallPanicIsNamed(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t)
	var plan flow.Plan
	if err := f.invoke(t, planPayload("r-panic", "staging", deploy, nil, "", nil), &plan); err != nil {
		t.Fatal(err)
	}
	h, err := runner.New(registry(t), stagingEnvs(t, f), panicStore{f.store}, runner.WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	got := lambdaError(t, h, runPayload("r-panic", "login", deploy))
	if got.Type != "PanicError" || got.Message != "runner panicked: boom" || got.StackTrace != nil {
		t.Errorf("reported %+v, want PanicError %q without a stack", got, "runner panicked: boom")
	}
	if !strings.Contains(logs.String(), `"msg":"runner panicked"`) || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("log %s: want the panic with its stack", logs.String())
	}
}

type panicStore struct{ store.Store }

func (panicStore) PutResult(context.Context, journey.Result) error { panic(errors.New("boom")) }

// TestPlanCapsJourneys: a selection over flow.MaxJourneysPerRun fails the
// plan as a ConfigError naming the count and the cap, before any run is
// recorded; one at the cap is planned whole.
func TestPlanCapsJourneys(t *testing.T) {
	f := newFixtureWith(t, manyJourneys(t, flow.MaxJourneysPerRun+1, flow.MaxJourneysPerRun))
	schedule := trigger.Trigger{Type: trigger.Schedule}

	err := f.invoke(t, planPayload("r-over", "staging", schedule, nil, "", nil), &flow.Plan{})
	if err == nil || errorType(err) != "ConfigError" || !strings.Contains(err.Error(), "101 journeys selected, more than the 100 one run may plan") {
		t.Fatalf("err = %v, want a ConfigError naming 101 journeys and the cap of 100", err)
	}
	if _, err := f.store.GetRun(context.Background(), "r-over"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused plan recorded a run (err %v)", err)
	}

	var plan flow.Plan
	if err := f.invoke(t, planPayload("r-cap", "staging", schedule, nil, journey.TierGlobal, nil), &plan); err != nil {
		t.Fatalf("a plan of %d journeys: %v", flow.MaxJourneysPerRun, err)
	}
	if len(plan.Journeys) != flow.MaxJourneysPerRun {
		t.Errorf("planned %d journeys, want all %d", len(plan.Journeys), flow.MaxJourneysPerRun)
	}
}

// TestSummaryMessageIsCut: a journey's message reaches the Map's item cut
// to flow.MaxSummaryMessage once encoded, keeping where and why.
func TestSummaryMessageIsCut(t *testing.T) {
	huge := journey.Journey{
		Name: "huge", Description: "fails at length", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce,
		Steps: []journey.Step{{Name: "answers", SLA: time.Second, Do: func(context.Context, *journey.T) error {
			return errors.New(megabyte("body: ", ": want 200"))
		}}},
	}
	reg, err := journey.NewRegistry(huge)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, reg)
	if err := f.invoke(t, planPayload("r-sum", "staging", deploy, nil, "", nil), &flow.Plan{}); err != nil {
		t.Fatal(err)
	}
	var sum flow.JourneySummary
	if err := f.invoke(t, runPayload("r-sum", "huge", deploy), &sum); err != nil {
		t.Fatal(err)
	}
	msg, _ := json.Marshal(sum.Message)
	if len(msg)-2 > flow.MaxSummaryMessage || !strings.Contains(sum.Message, "body: ") || !strings.HasSuffix(sum.Message, ": want 200") {
		t.Errorf("summary message %d bytes encoded: %.120q…, want at most %d keeping both ends", len(msg)-2, sum.Message, flow.MaxSummaryMessage)
	}
}
