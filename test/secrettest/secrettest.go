package secrettest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/shared/journey"
)

// EnvVar is the environment variable the pool's API key is read from
// (the reference "env:" + EnvVar).
const EnvVar = "JG_TEST_TENANT_API_KEY"

// HeaderKey is the header journeys send the API key in.
const HeaderKey = "X-Api-Key"

// NewSecret returns a fresh secret value, unlike any other text.
func NewSecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "sk-live-" + hex.EncodeToString(b[:])
}

// Server is a system under test that echoes the API key it is sent:
// GET /whoami answers 200 with it in a JSON body; POST /orders answers 403
// naming it in an error message; anything else 404.
type Server struct {
	*httptest.Server
	mu   sync.Mutex
	keys []string
}

// Target starts a Server, closed when the test ends.
func Target(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(HeaderKey)
		s.mu.Lock()
		s.keys = append(s.keys, key)
		s.mu.Unlock()
		_, _ = io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/whoami":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"tenant":"tenant-a","api_key":%q}`, key)
		case "/orders":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `{"error":"api key %s may not create orders"}`, key)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// Keys returns the API keys the server was sent, in order.
func (s *Server) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.keys...)
}

// AssertUsed fails the test unless every request carried secret, and
// there was at least one: the secret really went through the journey.
func (s *Server) AssertUsed(t testing.TB, secret string) {
	t.Helper()
	keys := s.Keys()
	if len(keys) == 0 {
		t.Fatal("the target was never called")
	}
	for _, k := range keys {
		if k != secret {
			t.Fatalf("the target was sent key %q, not the leased secret", k)
		}
	}
}

// Environments returns an environments file with environment env whose
// target "api" is url, a pool "tenants" of one resource (tenant-a, its
// api_key read from EnvVar) waiting wait, and a sink token.
func Environments(env, url string, wait time.Duration) string {
	return fmt.Sprintf(`environments:
  %s:
    targets:
      api: %s
    sink:
      listen: 127.0.0.1:0
      token: sink-token-for-the-secret-test
    pools:
      tenants:
        lease: 1m
        wait: %s
        resources:
          - id: tenant-a
            values: {api_key: "env:%s", tenant_id: tenant-a-internal-id}
`, env, url, wait, EnvVar)
}

// Journey needs the pool "tenants" and uses its api_key against target
// "api": step 1 passes, and the key comes back in its evidence; step 2
// fails, the target's error message naming the key. It also logs the key
// and registers a cleanup whose error names it.
func Journey(name string) journey.Journey {
	return journey.Journey{
		Name: name, Description: "creates an order as a test tenant", Tier: journey.TierGlobal,
		Owner: "team-orders", Mode: journey.ModeEnforce, Targets: []string{"api"}, Needs: []string{"tenants"},
		Retry: journey.Retry{MaxAttempts: 1},
		Steps: []journey.Step{
			{Name: "tenant known", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				key := t.Resource("tenants").Value("api_key")
				t.Logf("calling as tenant with key %s", key)
				t.Cleanup("revoke session", func(context.Context) error {
					return fmt.Errorf("revoking the session of key %s: 409", key)
				})
				resp, err := t.HTTP("api").WithHeader(HeaderKey, key).Get(ctx, "/whoami")
				if err != nil {
					return err
				}
				return resp.Expect(200)
			}},
			{Name: "order created", SLA: 5 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				key := t.Resource("tenants").Value("api_key")
				resp, err := t.HTTP("api").WithHeader(HeaderKey, key).Post(ctx, "/orders", map[string]string{"item": "book", "api_key": key})
				if err != nil {
					return err
				}
				if err := resp.Expect(201); err != nil {
					return fmt.Errorf("creating an order with key %s: %w", key, err)
				}
				return nil
			}},
		},
	}
}

// AssertClean fails the test if output contains the secret, or its first
// or last 12 characters (a secret cut in half by an excerpt), and, when
// wantRedacted, if it lacks secrets.Redacted.
func AssertClean(t testing.TB, what string, output []byte, secret string, wantRedacted bool) {
	t.Helper()
	s := string(output)
	for _, leak := range []string{secret, secret[:12], secret[len(secret)-12:]} {
		if i := strings.Index(s, leak); i >= 0 {
			lo, hi := max(0, i-200), min(len(s), i+len(leak)+200)
			t.Errorf("%s contains the secret (%q): …%s…", what, leak, s[lo:hi])
			return
		}
	}
	if wantRedacted && !strings.Contains(s, secrets.Redacted) {
		t.Errorf("%s lacks %s, so the test did not exercise redaction:\n%s", what, secrets.Redacted, s)
	}
}
