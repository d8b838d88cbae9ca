package secrets_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/secrets/awssecrets"
	"github.com/journeygate/journeygate/test/awslocal"
)

func ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// clock is a settable clock for TTL tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Values stored in the local endpoints and the environment; no error may
// contain any of them.
const (
	sinkToken   = "Zq3v9XkP2mLr8TnW4yHc6BdJ1sFg5QeA7uVo0iKx2NpRtYb3"
	dbPassword  = `p@ss"word<&>\x`
	apiKey      = "ssm-api-key-0123456789"
	envToken    = "env-token-abcdefgh"
	jsonSecret  = `{"username":"svc-journeygate","password":"p@ss\"word<&>\\x","port":5432,"tls":true,"nested":{"a":"b"},"nothing":null}`
	paramJSON   = `{"key":"param-json-member"}`
	notJSON     = "not { json at all"
	binaryValue = "binary-secret-bytes"
)

var allValues = []string{sinkToken, dbPassword, apiKey, envToken, jsonSecret, paramJSON, notJSON, binaryValue, "param-json-member", "svc-journeygate"}

type fixture struct {
	sm      *awslocal.SecretsManager
	ps      *awslocal.SSM
	tokenID string // the sink token secret's ARN
	env     map[string]string
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{sm: awslocal.StartSecretsManager(t), ps: awslocal.StartSSM(t)}
	f.tokenID = f.sm.PutSecret("journeygate/sink-token", sinkToken)
	f.sm.PutSecret("journeygate/db", jsonSecret)
	f.sm.PutSecret("journeygate/not-json", notJSON)
	f.sm.PutSecret("journeygate/empty", "")
	f.sm.PutSecretBinary("journeygate/binary", []byte(binaryValue))
	f.ps.PutParameter("/journeygate/staging/api-key", awslocal.Parameter{Value: apiKey})
	f.ps.PutParameter("/journeygate/staging/json", awslocal.Parameter{Value: paramJSON, Type: awslocal.ParameterString})
	f.env = map[string]string{"JG_TOKEN": envToken}
	return f
}

func (f *fixture) resolver(opts ...secrets.Option) *secrets.Resolver {
	base := []secrets.Option{
		secrets.WithSecretsManager(awssecrets.SecretsManager(f.sm.Client())),
		secrets.WithParameterStore(awssecrets.ParameterStore(f.ps.Client())),
		secrets.WithGetenv(func(k string) string { return f.env[k] }),
	}
	return secrets.New(append(base, opts...)...)
}

func TestResolve(t *testing.T) {
	f := newFixture(t)
	r := f.resolver()
	tests := []struct {
		ref      string
		want     string
		wantErr  string // substring of the error
		notFound bool   // errors.Is(err, secrets.ErrNotFound)
	}{
		{ref: "secretsmanager:journeygate/sink-token", want: sinkToken},
		{ref: "secretsmanager:" + f.tokenID, want: sinkToken},
		{ref: "secretsmanager:journeygate/db#password", want: dbPassword},
		{ref: "secretsmanager:journeygate/db#username", want: "svc-journeygate"},
		{ref: "secretsmanager:journeygate/db#port", want: "5432"},
		{ref: "secretsmanager:journeygate/db#tls", want: "true"},
		{ref: "ssm:/journeygate/staging/api-key", want: apiKey}, // SecureString: decrypted
		{ref: "ssm:arn:aws:ssm:us-east-1:123456789012:parameter/journeygate/staging/api-key", want: apiKey},
		{ref: "ssm:/journeygate/staging/json#key", want: "param-json-member"},
		{ref: "env:JG_TOKEN", want: envToken},
		{ref: "a-literal-token", want: "a-literal-token"},
		{ref: "https://example.invalid:8443/x", want: "https://example.invalid:8443/x"},

		{ref: "secretsmanager:journeygate/missing", wantErr: `secret "secretsmanager:journeygate/missing": not found`, notFound: true},
		{ref: "secretsmanager:journeygate/db#missing", wantErr: `secret "secretsmanager:journeygate/db#missing": no key "missing"`, notFound: true},
		{ref: "secretsmanager:journeygate/db#nested", wantErr: `key "nested" is not a string`},
		{ref: "secretsmanager:journeygate/db#nothing", wantErr: `key "nothing" is not a string`},
		{ref: "secretsmanager:journeygate/not-json#key", wantErr: `secret "secretsmanager:journeygate/not-json#key": the value is not a JSON object`},
		{ref: "secretsmanager:journeygate/empty", wantErr: `secret "secretsmanager:journeygate/empty": the value is empty`},
		{ref: "secretsmanager:journeygate/binary", wantErr: "binary secrets are not supported"},
		{ref: "ssm:/journeygate/missing", wantErr: `secret "ssm:/journeygate/missing": not found`, notFound: true},
		{ref: "ssm:/journeygate/staging/api-key:9", wantErr: `secret "ssm:/journeygate/staging/api-key:9": not found`, notFound: true},
		{ref: "env:JG_UNSET", wantErr: `secret "env:JG_UNSET": environment variable JG_UNSET is unset or empty`, notFound: true},
		{ref: "", wantErr: "empty secret reference"},
		{ref: "secretsmanager:", wantErr: `secret reference "secretsmanager:": no secret name or ARN`},
		{ref: "secretsmanager:x#", wantErr: `empty key after '#'`},
		{ref: "ssm:", wantErr: `secret reference "ssm:": no parameter name`},
		{ref: "env:", wantErr: `secret reference "env:": no environment variable name`},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := r.Resolve(ctx(t), tt.ref)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Resolve = %q, %v, want %q", got, err, tt.want)
				}
				if red := r.Redactor().String("x " + got + " y"); red != "x [REDACTED] y" {
					t.Errorf("the resolved value is not redacted: %q", red)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Resolve = %q, %v, want an error containing %q", got, err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("value %q returned with an error", got)
			}
			if errors.Is(err, secrets.ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", err, !tt.notFound, tt.notFound)
			}
			for _, v := range allValues {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error %q contains a secret value", err)
				}
			}
			var serr *secrets.Error
			if _, perr := secrets.Parse(tt.ref); perr == nil && (!errors.As(err, &serr) || serr.Ref != tt.ref) {
				t.Errorf("error %v is not a *secrets.Error naming %q", err, tt.ref)
			}
		})
	}
}

func TestResolveWithoutClients(t *testing.T) {
	r := secrets.New()
	for ref, want := range map[string]string{
		"secretsmanager:s": "no Secrets Manager client",
		"ssm:/p":           "no Parameter Store client",
		"env:V":            "no WithGetenv",
	} {
		if _, err := r.Resolve(ctx(t), ref); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), ref) {
			t.Errorf("Resolve(%q) = %v, want an error naming it and containing %q", ref, err, want)
		}
	}
	if v, err := r.Resolve(ctx(t), "literal-value"); err != nil || v != "literal-value" {
		t.Errorf("a literal needs no client: %q, %v", v, err)
	}
}

func TestLiteralNeverInErrors(t *testing.T) {
	// The only failure of a literal is an empty one; its "reference" is
	// printed as (literal).
	p, err := secrets.Parse("hunter2-literal")
	if err != nil || p.Scheme != secrets.Literal || p.String() != "(literal)" {
		t.Fatalf("Parse = %+v (%s), %v", p, p, err)
	}
}

func requests(s interface{ Requests() []awslocal.Request }) int { return len(s.Requests()) }

func TestCacheHit(t *testing.T) {
	f := newFixture(t)
	r := f.resolver()
	for _, ref := range []string{
		"secretsmanager:journeygate/db#password", "secretsmanager:journeygate/db#username", "secretsmanager:journeygate/db#password",
		"secretsmanager:journeygate/sink-token", "secretsmanager:journeygate/sink-token",
		"ssm:/journeygate/staging/api-key", "ssm:/journeygate/staging/api-key",
	} {
		if _, err := r.Resolve(ctx(t), ref); err != nil {
			t.Fatal(err)
		}
	}
	// journeygate/db once for both keys, the token once, the parameter once.
	if n := requests(f.sm); n != 2 {
		t.Errorf("%d Secrets Manager calls, want 2", n)
	}
	if n := requests(f.ps); n != 1 {
		t.Errorf("%d SSM calls, want 1", n)
	}
}

func TestFailuresAreNotCached(t *testing.T) {
	f := newFixture(t)
	r := f.resolver()
	if _, err := r.Resolve(ctx(t), "secretsmanager:later"); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
	f.sm.PutSecret("later", "created-later")
	if v, err := r.Resolve(ctx(t), "secretsmanager:later"); err != nil || v != "created-later" {
		t.Fatalf("after creating it: %q, %v", v, err)
	}
}

func TestTTL(t *testing.T) {
	tests := []struct {
		name  string
		opts  []secrets.Option
		fresh time.Duration // still cached this long after the fetch
	}{
		{name: "default", fresh: secrets.DefaultTTL},
		{name: "one minute", opts: []secrets.Option{secrets.WithTTL(time.Minute)}, fresh: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			clk := newClock()
			r := f.resolver(append(tt.opts, secrets.WithClock(clk.Now))...)
			resolve := func(want string, wantCalls int) {
				t.Helper()
				if v, err := r.Resolve(ctx(t), "secretsmanager:journeygate/sink-token"); err != nil || v != want {
					t.Fatalf("Resolve = %q, %v, want %q", v, err, want)
				}
				if n := requests(f.sm); n != wantCalls {
					t.Fatalf("%d calls, want %d", n, wantCalls)
				}
			}
			resolve(sinkToken, 1)
			f.sm.PutSecret("journeygate/sink-token", "rotated-token-value")
			clk.Advance(tt.fresh - time.Nanosecond)
			resolve(sinkToken, 1) // cached: the rotation is not seen yet
			clk.Advance(time.Nanosecond)
			resolve("rotated-token-value", 2)
			resolve("rotated-token-value", 2)
			// Both the old and the new value stay redacted.
			if got := r.Redactor().String(sinkToken + " rotated-token-value"); got != "[REDACTED] [REDACTED]" {
				t.Errorf("redacted = %q", got)
			}
		})
	}
}

func TestNoCaching(t *testing.T) {
	f := newFixture(t)
	r := f.resolver(secrets.WithTTL(0))
	for range 3 {
		if _, err := r.Resolve(ctx(t), "ssm:/journeygate/staging/api-key"); err != nil {
			t.Fatal(err)
		}
	}
	if n := requests(f.ps); n != 3 {
		t.Errorf("%d calls with caching off, want 3", n)
	}
}

// gated lets the first GetSecretValue through only when released.
type gated struct {
	awssecrets.SecretsManagerAPI
	release chan struct{}
	once    sync.Once
}

func (g *gated) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	first := false
	g.once.Do(func() { first = true })
	if first {
		select {
		case <-g.release:
		case <-ctx.Done():
			return nil, fmt.Errorf("gated: %w", ctx.Err())
		}
	}
	return g.SecretsManagerAPI.GetSecretValue(ctx, in, optFns...)
}

func TestConcurrentResolutionsShareOneCall(t *testing.T) {
	f := newFixture(t)
	g := &gated{SecretsManagerAPI: f.sm.Client(), release: make(chan struct{})}
	r := f.resolver(secrets.WithSecretsManager(awssecrets.SecretsManager(g)))
	refs := []string{"secretsmanager:journeygate/db#password", "secretsmanager:journeygate/db#username", "secretsmanager:" + f.tokenID, "ssm:/journeygate/staging/api-key", "env:JG_TOKEN"}
	want := map[string]string{refs[0]: dbPassword, refs[1]: "svc-journeygate", refs[2]: sinkToken, refs[3]: apiKey, refs[4]: envToken}
	const perRef = 20
	var wg sync.WaitGroup
	errs := make(chan error, perRef*len(refs))
	for i := range perRef * len(refs) {
		ref := refs[i%len(refs)]
		wg.Go(func() {
			v, err := r.Resolve(ctx(t), ref)
			if err == nil && v != want[ref] {
				err = fmt.Errorf("%s resolved to the wrong value", ref)
			}
			if err != nil {
				errs <- err
			}
			_ = r.Redactor().String("concurrent use of the redactor " + v)
		})
	}
	time.Sleep(20 * time.Millisecond) // let the goroutines pile up on the gated call
	close(g.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// One call per secret (the first one gated): journeygate/db and the token.
	if n := requests(f.sm); n != 2 {
		t.Errorf("%d Secrets Manager calls, want 2", n)
	}
	if n := requests(f.ps); n != 1 {
		t.Errorf("%d SSM calls, want 1", n)
	}
}

func TestWaiterOutlivesACancelledFetch(t *testing.T) {
	f := newFixture(t)
	g := &gated{SecretsManagerAPI: f.sm.Client(), release: make(chan struct{})}
	r := f.resolver(secrets.WithSecretsManager(awssecrets.SecretsManager(g)))
	leaderCtx, cancel := context.WithCancel(ctx(t))
	leaderErr := make(chan error, 1)
	go func() {
		_, err := r.Resolve(leaderCtx, "secretsmanager:journeygate/sink-token")
		leaderErr <- err
	}()
	time.Sleep(10 * time.Millisecond) // the leader is in the gated call
	waiter := make(chan string, 1)
	go func() {
		v, err := r.Resolve(ctx(t), "secretsmanager:journeygate/sink-token")
		if err != nil {
			v = err.Error()
		}
		waiter <- v
	}()
	time.Sleep(10 * time.Millisecond) // the waiter waits on the leader's call
	cancel()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: %v, want context.Canceled", err)
	}
	if v := <-waiter; v != sinkToken {
		t.Errorf("waiter got %q, want the token", v)
	}
}

func TestWaiterGivesUpWithItsContext(t *testing.T) {
	f := newFixture(t)
	g := &gated{SecretsManagerAPI: f.sm.Client(), release: make(chan struct{})}
	defer close(g.release)
	r := f.resolver(secrets.WithSecretsManager(awssecrets.SecretsManager(g)))
	go func() { _, _ = r.Resolve(ctx(t), "secretsmanager:journeygate/sink-token") }()
	time.Sleep(10 * time.Millisecond)
	short, cancel := context.WithTimeout(ctx(t), 20*time.Millisecond)
	defer cancel()
	if _, err := r.Resolve(short, "secretsmanager:journeygate/sink-token"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want its own deadline", err)
	}
}

func TestSharedRedactor(t *testing.T) {
	f := newFixture(t)
	red := secrets.NewRedactor("registered-explicitly")
	a := f.resolver(secrets.WithRedactor(red))
	b := secrets.New(secrets.WithGetenv(func(k string) string { return f.env[k] }), secrets.WithRedactor(red))
	if _, err := a.Resolve(ctx(t), "secretsmanager:journeygate/sink-token"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Resolve(ctx(t), "env:JG_TOKEN"); err != nil {
		t.Fatal(err)
	}
	got := red.String(fmt.Sprintf("token=%s env=%s other=registered-explicitly", sinkToken, envToken))
	if want := "token=[REDACTED] env=[REDACTED] other=[REDACTED]"; got != want {
		t.Errorf("redacted = %q, want %q", got, want)
	}
	if a.Redactor() != red || b.Redactor() != red {
		t.Error("Redactor() is not the shared one")
	}
}
