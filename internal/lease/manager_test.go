package lease_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

const managerEnvs = `environments:
  staging:
    targets: {api: "http://127.0.0.1:1"}
    sink: {token: sink-token-for-staging}
    pools:
      tenants:
        wait: 0s
        resources:
          - id: tenant-a
            values: {api_key: "env:TENANT_A_KEY", tenant_id: t-12345}
      accounts:
        wait: 0s
        resources:
          - id: acct-1
            values: {password: "env:ACCT_PASSWORD"}
`

func newManager(t *testing.T, vars map[string]string) (*lease.Manager, store.LeaseStore) {
	t.Helper()
	cfg, err := envconfig.Parse("envs.yaml", []byte(managerEnvs), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	st := stores(t)["embedded"](t)
	res := secrets.New(secrets.WithGetenv(func(k string) string { return vars[k] }))
	m, err := lease.NewManager(st, cfg, res, fast)
	if err != nil {
		t.Fatal(err)
	}
	return m, st
}

func TestManagerLeasesResolvesAndReleases(t *testing.T) {
	m, _ := newManager(t, map[string]string{"TENANT_A_KEY": "tenant-a-secret-key", "ACCT_PASSWORD": "acct-password-1"})
	red := m.Redactor()
	if got := red.String("token sink-token-for-staging"); got != "token [REDACTED]" {
		t.Errorf("sink token not registered: %q", got)
	}
	res, release, err := m.Lease(t.Context(), "staging", "run-1.j.1", []string{"tenants", "accounts"})
	if err != nil {
		t.Fatal(err)
	}
	byPool := map[string]*journey.Resource{}
	for _, r := range res {
		byPool[r.Pool()] = r
	}
	if r := byPool["tenants"]; r == nil || r.ID() != "tenant-a" || r.Value("api_key") != "tenant-a-secret-key" || r.Value("tenant_id") != "t-12345" {
		t.Errorf("tenants resource = %v", r)
	}
	if r := byPool["accounts"]; r == nil || r.Value("password") != "acct-password-1" {
		t.Errorf("accounts resource = %v", r)
	}
	if got := red.String("tenant-a-secret-key acct-password-1 t-12345"); got != "[REDACTED] [REDACTED] [REDACTED]" {
		t.Errorf("resolved values not registered: %q", got)
	}
	// Held: a second lease of the same pools fails at once (wait 0s).
	if _, _, err := m.Lease(t.Context(), "staging", "run-2.j.1", []string{"tenants"}); err == nil || err.Error() != "pool tenants: no resource free within 0s (1 leased)" {
		t.Errorf("second lease = %v", err)
	}
	if err := release(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, release, err := m.Lease(t.Context(), "staging", "run-3.j.1", []string{"tenants", "accounts"}); err != nil {
		t.Errorf("lease after release: %v", err)
	} else {
		release(t.Context())
	}
}

func TestManagerFailureLeavesNothingLeased(t *testing.T) {
	tests := []struct {
		name  string
		vars  map[string]string
		pools []string
		want  string
	}{
		// accounts comes first (sorted) and is released when tenants fails.
		{"unresolvable value", map[string]string{"ACCT_PASSWORD": "pw-123456"}, []string{"tenants", "accounts"}, `pool tenants: resource tenant-a: value api_key: secret "env:TENANT_A_KEY": environment variable TENANT_A_KEY is unset or empty`},
		{"undefined pool", map[string]string{"ACCT_PASSWORD": "pw-123456"}, []string{"accounts", "zebras"}, `pool zebras: not defined in environment "staging" of envs.yaml`},
		{"undefined environment", nil, []string{"tenants"}, `no environment "production"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, st := newManager(t, tt.vars)
			env := "staging"
			if tt.name == "undefined environment" {
				env = "production"
			}
			_, _, err := m.Lease(t.Context(), env, "run-1.j.1", tt.pools)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Lease = %v, want %q", err, tt.want)
			}
			for _, p := range []string{"tenants", "accounts"} {
				if left, err := st.Leases(t.Context(), "staging", p); err != nil || len(left) != 0 {
					t.Errorf("pool %s still leased after the failure: %+v, %v", p, left, err)
				}
			}
		})
	}
}

func TestApply(t *testing.T) {
	var nilManager *lease.Manager
	opts := journey.Options{RunID: "r"}
	if got := nilManager.Apply(opts); got.Leaser != nil || got.Redactor != nil {
		t.Error("a nil Manager changed the options")
	}
	m, _ := newManager(t, map[string]string{"TENANT_A_KEY": "tenant-a-secret-key"})
	var buf bytes.Buffer
	opts.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	got := m.Apply(opts)
	if got.Leaser != m || got.Redactor == nil {
		t.Errorf("Apply = %+v", got)
	}
	got.Logger.Info("token sink-token-for-staging")
	if strings.Contains(buf.String(), "sink-token-for-staging") {
		t.Errorf("Apply's logger does not redact: %s", buf.String())
	}
	// The journey gets its resource through the Manager.
	j := journey.Journey{Name: "uses-tenant", Tier: journey.TierGlobal, Owner: "o", Mode: journey.ModeEnforce, Needs: []string{"tenants"},
		Steps: []journey.Step{{Name: "s", SLA: time.Second, Do: func(ctx context.Context, t *journey.T) error {
			return journey.Failf("tenant %s rejected key %s", t.Resource("tenants").ID(), t.Resource("tenants").Value("api_key"))
		}}}}
	got.Environment = "staging"
	res := journey.Execute(t.Context(), j, got)
	if res.Outcome != journey.Failed || res.Message != "step 1/1 (s): tenant tenant-a rejected key [REDACTED]" {
		t.Errorf("result %s: %q", res.Outcome, res.Message)
	}
}
