package journey_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/shared/journey"
)

// fakeLeaser hands out fixed resources and records what happens.
type fakeLeaser struct {
	mu         sync.Mutex
	resources  []*journey.Resource
	err        error
	releaseErr error
	calls      []string // "lease <env> <holder> <pools>", "release"
}

func (f *fakeLeaser) Lease(_ context.Context, env, holder string, pools []string) ([]*journey.Resource, func(context.Context) error, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("lease %s %s %v", env, holder, pools))
	if f.err != nil {
		return nil, nil, f.err
	}
	return f.resources, func(context.Context) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.calls = append(f.calls, "release")
		return f.releaseErr
	}, nil
}

func (f *fakeLeaser) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func TestJourneyGetsLeasedResources(t *testing.T) {
	leaser := &fakeLeaser{resources: []*journey.Resource{
		journey.NewResource("tenants", "tenant-a", map[string]string{"api_key": "key-for-tenant-a", "tenant_id": "t-123"}),
		journey.NewResource("accounts", "acct-1", map[string]string{"user": "u1"}),
	}}
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	j := valid("uses-pools", step("read", time.Second, func(ctx context.Context, t *journey.T) error {
		r := t.Resource("tenants")
		if r.ID() != "tenant-a" || r.Pool() != "tenants" || r.Value("api_key") != "key-for-tenant-a" {
			return fmt.Errorf("got %s %s %s", r.Pool(), r.ID(), r.Value("api_key"))
		}
		if v, ok := r.Lookup("missing"); ok || v != "" {
			return fmt.Errorf("Lookup(missing) = %q, %v", v, ok)
		}
		if got := t.Resource("accounts").Value("user"); got != "u1" {
			return fmt.Errorf("accounts user = %q", got)
		}
		t.Cleanup("note", func(context.Context) error { note("cleanup"); return nil })
		return nil
	}))
	j.Needs = []string{"tenants", "accounts"}
	res := execute(t, context.Background(), j, journey.Options{RunID: "run-7", Environment: "staging", Leaser: leaser}, 5*time.Second)
	if res.Outcome != journey.Passed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	calls := leaser.log()
	if len(calls) != 2 || calls[0] != "lease staging run-7.uses-pools.1 [tenants accounts]" || calls[1] != "release" {
		t.Errorf("leaser calls = %q", calls)
	}
	if len(order) != 1 || len(res.Cleanup) != 1 {
		t.Errorf("cleanup ran %v, recorded %+v", order, res.Cleanup)
	}
}

func TestLeaseFailureIsClassErrorAndSkipsSteps(t *testing.T) {
	ran := false
	j := valid("needs-tenant",
		step("one", time.Second, func(context.Context, *journey.T) error { ran = true; return nil }),
		step("two", time.Second, func(context.Context, *journey.T) error { ran = true; return nil }))
	j.Needs = []string{"tenants"}
	tests := []struct {
		name   string
		leaser journey.Leaser
		want   string
	}{
		{"pool exhausted", &fakeLeaser{err: errors.New("pool tenants: no resource free within 30s (3 leased)")}, "pool tenants: no resource free within 30s (3 leased)"},
		{"no leaser", nil, "needs pools [tenants], but no pools are configured"},
		{"leaser returns too little", &fakeLeaser{}, "pool tenants: the leaser returned no resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran = false
			res := execute(t, context.Background(), j, journey.Options{Leaser: tt.leaser}, 5*time.Second)
			if res.Outcome != journey.Errored || !strings.Contains(res.Message, tt.want) {
				t.Errorf("outcome %s, message %q; want error containing %q", res.Outcome, res.Message, tt.want)
			}
			if ran {
				t.Error("a step ran without its resources")
			}
			for _, s := range res.Steps {
				if s.Outcome != journey.Skipped {
					t.Errorf("step %s: %s, want skipped", s.Name, s.Outcome)
				}
			}
			if res.FailedStep() != -1 {
				t.Errorf("FailedStep = %d", res.FailedStep())
			}
		})
	}
	// The release of a partial lease still happens.
	fl := &fakeLeaser{}
	execute(t, context.Background(), j, journey.Options{Leaser: fl}, 5*time.Second)
	if calls := fl.log(); len(calls) != 2 || calls[1] != "release" {
		t.Errorf("partial lease not released: %q", calls)
	}
}

func TestResourceMisuseIsClassError(t *testing.T) {
	leaser := &fakeLeaser{resources: []*journey.Resource{journey.NewResource("tenants", "tenant-a", map[string]string{"api_key": "k-123456"})}}
	tests := []struct {
		name string
		do   journey.StepFunc
		want string
	}{
		{"undeclared pool", func(ctx context.Context, t *journey.T) error { t.Resource("accounts"); return nil }, `no resource of pool "accounts": list the pool in the journey's Needs`},
		{"unknown key", func(ctx context.Context, t *journey.T) error { t.Resource("tenants").Value("password"); return nil }, `resource "tenant-a" of pool "tenants" has no value "password" (defined: [api_key])`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := valid("misuse", step("s", time.Second, tt.do))
			j.Needs = []string{"tenants"}
			res := execute(t, context.Background(), j, journey.Options{Leaser: leaser}, 5*time.Second)
			if res.Outcome != journey.Errored || !strings.Contains(res.Message, tt.want) {
				t.Errorf("outcome %s, message %q; want error containing %q", res.Outcome, res.Message, tt.want)
			}
		})
	}
}

func TestReleaseFailureIsRecordedNotFatal(t *testing.T) {
	leaser := &fakeLeaser{
		resources:  []*journey.Resource{journey.NewResource("tenants", "tenant-a", nil)},
		releaseErr: errors.New("lease of tenant-a lost"),
	}
	j := valid("release-fails", step("s", time.Second, func(context.Context, *journey.T) error { return nil }))
	j.Needs = []string{"tenants"}
	res := execute(t, context.Background(), j, journey.Options{Leaser: leaser}, 5*time.Second)
	if res.Outcome != journey.Passed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Message)
	}
	if len(res.Cleanup) != 1 || res.Cleanup[0].Name != "release leased resources" || !strings.Contains(res.Cleanup[0].Error, "lost") {
		t.Errorf("cleanup = %+v", res.Cleanup)
	}
}

func TestResourcePrintsWithoutValues(t *testing.T) {
	r := journey.NewResource("tenants", "tenant-a", map[string]string{"api_key": "super-secret-value"})
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%v %+v %#v %s", r, r, r, r)} {
		if strings.Contains(s, "super-secret-value") {
			t.Errorf("printing a resource shows its value: %s", s)
		}
	}
	if fmt.Sprint(r) != "resource tenant-a of pool tenants" {
		t.Errorf("String = %q", fmt.Sprint(r))
	}
}

func TestValidateNeeds(t *testing.T) {
	ok := func(context.Context, *journey.T) error { return nil }
	j := valid("needs", step("s", time.Second, ok))
	j.Needs = []string{"tenants", "", "Bad_Name", "tenants"}
	err := journey.Validate([]journey.Journey{j})
	for _, want := range []string{"needs[1]: is empty", `needs[2]: pool "Bad_Name" must be lowercase`, `needs[3]: pool "tenants" is listed twice`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
	j.Needs = []string{"tenants", "accounts"}
	if err := journey.Validate([]journey.Journey{j}); err != nil {
		t.Errorf("valid needs rejected: %v", err)
	}
}

// TestRedaction: a secret the target echoes in a body, in a status error,
// in a URL, in evidence, in a panic, in an Eventually observation and in a
// cleanup error appears nowhere in the result or the progress events,
// also when the excerpt bound cuts through it.
func TestRedaction(t *testing.T) {
	const secret = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := r.Header.Get("X-Api-Key")
		switch r.URL.Path {
		case "/ok":
			fmt.Fprintf(w, `{"echo":%q,"key":%q}`, body, key)
		case "/long":
			// The secret straddles the excerpt bound.
			w.Write([]byte(strings.Repeat("x", 60) + key + strings.Repeat("y", 100)))
		default:
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "invalid api key %s for tenant", key)
		}
	}))
	t.Cleanup(echo.Close)

	red := secrets.NewRedactor()
	leaser := &fakeLeaser{resources: []*journey.Resource{journey.NewResource("tenants", "tenant-a", map[string]string{"api_key": secret})}}
	red.Add(secret) // as the lease package's resolver does
	steps := []journey.Step{
		step("echoed", time.Second, func(ctx context.Context, t *journey.T) error {
			key := t.Resource("tenants").Value("api_key")
			c := t.HTTP("api").WithHeader("X-Api-Key", key)
			resp, err := c.Post(ctx, "/ok?key="+key, map[string]string{"api_key": key})
			if err != nil {
				return err
			}
			if _, err := c.Get(ctx, "/long"); err != nil {
				return err
			}
			t.Evidence("note", "used key %s", key)
			t.Logf("key %s", key)
			t.Cleanup("revoke", func(context.Context) error { return fmt.Errorf("revoking %s failed", key) })
			doc, err := resp.Doc()
			if err != nil {
				return err
			}
			return doc.Expect("/key", "something else")
		}),
	}
	variants := map[string]journey.StepFunc{
		"status error": func(ctx context.Context, t *journey.T) error {
			resp, err := t.HTTP("api").WithHeader("X-Api-Key", t.Resource("tenants").Value("api_key")).Get(ctx, "/denied")
			if err != nil {
				return err
			}
			return resp.Expect(200)
		},
		"panic": func(ctx context.Context, t *journey.T) error {
			panic("bad key " + t.Resource("tenants").Value("api_key"))
		},
		"eventually": func(ctx context.Context, t *journey.T) error {
			key := t.Resource("tenants").Value("api_key")
			return journey.Eventually(ctx, t, "tenant "+key+" ready", func(context.Context) error { return fmt.Errorf("tenant with key %s not ready", key) })
		},
	}
	for name, do := range variants {
		steps = append(steps, step(name, 200*time.Millisecond, do))
	}
	for i, s := range steps {
		t.Run(s.Name, func(t *testing.T) {
			j := valid("secretive", s)
			j.Needs = []string{"tenants"}
			j.Targets = []string{"api"}
			var events []string
			var mu sync.Mutex
			res := execute(t, context.Background(), j, journey.Options{
				Targets: map[string]string{"api": echo.URL}, Leaser: leaser, Redactor: red, Excerpt: 80,
				Observe: func(e journey.Event) {
					b, _ := json.Marshal(e)
					mu.Lock()
					events = append(events, string(b))
					mu.Unlock()
				},
			}, 5*time.Second)
			if res.Outcome.OK() {
				t.Fatalf("step %d passed; the test needs a failure to explain", i)
			}
			b, err := json.Marshal(res)
			if err != nil {
				t.Fatal(err)
			}
			all := string(b) + strings.Join(events, "\n")
			for _, leak := range []string{secret, secret[:20], secret[len(secret)-20:]} {
				if strings.Contains(all, leak) {
					t.Errorf("%q leaked:\n%s", leak, all)
				}
			}
			if !strings.Contains(all, secrets.Redacted) {
				t.Errorf("no %s in the result:\n%s", secrets.Redacted, all)
			}
		})
	}
}

// TestRedactionAcrossTheCut: an assertion excerpt (ParseJSON, Doc.Expect,
// Delivery.JSON) cuts a body at 256 bytes; wherever the cut falls in a
// secret, no part of the secret is kept: the redactor sees the body whole
// before it is cut.
func TestRedactionAcrossTheCut(t *testing.T) {
	const secret = "sk-live-9e8d7c6b5a4f3e2d1c0b"
	red := secrets.NewRedactor()
	red.Add(secret)
	asserts := map[string]func(body []byte) error{
		"ParseJSON": func(b []byte) error { _, err := journey.ParseJSON(b); return err },
		"Doc.Expect": func(b []byte) error {
			doc, err := journey.ParseJSON([]byte(`{"v":` + strconv.Quote(string(b)) + `}`))
			if err != nil {
				return err
			}
			return doc.Expect("/v", "something else")
		},
		"Delivery.JSON": func(b []byte) error {
			var v map[string]any
			return journey.Delivery{ID: "d-1", Body: b}.JSON(&v)
		},
	}
	for name, assert := range asserts {
		// Every offset that puts the 256-byte cut inside the secret, and
		// one on each side.
		for start := 256 - len(secret); start <= 257; start++ {
			body := []byte("{" + strings.Repeat("x", start-1) + secret + strings.Repeat("y", 300))
			s := step("assert", time.Second, func(context.Context, *journey.T) error { return assert(body) })
			res := execute(t, context.Background(), valid("cutting", s), journey.Options{Redactor: red}, 5*time.Second)
			if res.Outcome.OK() {
				t.Fatalf("%s at %d passed; the test needs a failure", name, start)
			}
			b, _ := json.Marshal(res)
			for n := 6; n <= len(secret); n++ {
				for i := 0; i+n <= len(secret); i += n {
					if part := secret[i : i+n]; strings.Contains(string(b), part) {
						t.Fatalf("%s, secret at byte %d: %q of the secret kept in %s", name, start, part, res.Message)
					}
				}
			}
		}
	}
}
