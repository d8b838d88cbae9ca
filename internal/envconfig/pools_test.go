package envconfig

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/shared/journey"
)

func TestParsePools(t *testing.T) {
	data := `environments:
  staging:
    targets: {api: "http://127.0.0.1:1"}
    sink: {token: sink-token-1234}
    pools:
      tenants:
        lease: 5m
        wait: 10s
        resources:
          - id: tenant-a
            values: {api_key: "secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:t-AbC#key", tenant_id: t-123}
          - id: tenant-b
            values: {api_key: "ssm:/jg/tenant-b#key", tenant_id: "${TENANT_B:-t-456}"}
      accounts:
        resources:
          - id: acct-1
            values: {password: env:ACCT_1_PASSWORD}
`
	cfg, err := Parse("envs.yaml", []byte(data), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	st := cfg.Environments["staging"]
	tenants := st.Pools["tenants"]
	if tenants.Name != "tenants" || tenants.Lease != 5*time.Minute || tenants.Wait != 10*time.Second || len(tenants.Resources) != 2 {
		t.Fatalf("tenants = %+v", tenants)
	}
	b, ok := tenants.Resource("tenant-b")
	if !ok || b.Values["tenant_id"] != "t-456" || b.Values["api_key"] != "ssm:/jg/tenant-b#key" {
		t.Errorf("tenant-b = %+v, %v", b, ok)
	}
	if a := st.Pools["accounts"]; a.Lease != DefaultLease || a.Wait != DefaultWait {
		t.Errorf("defaults not applied: %+v", a)
	}
	wantRefs := []secrets.Ref{
		{Scheme: secrets.SecretsManager, Name: "arn:aws:secretsmanager:eu-west-1:1:secret:t-AbC"},
		{Scheme: secrets.SSM, Name: "/jg/tenant-b"},
	}
	if got := cfg.Refs(); !reflect.DeepEqual(got, wantRefs) {
		t.Errorf("Refs = %+v, want %+v", got, wantRefs)
	}
	if got, want := cfg.Secrets(), []string{"sink-token-1234"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Secrets = %q, want %q", got, want)
	}
}

func TestPoolProblemsNameTheLine(t *testing.T) {
	data := `environments:
  staging:
    targets: {api: "http://127.0.0.1:1"}
    pools:
      Bad_Pool:
        resources: [{id: x, values: {k: v}}]
      tenants:
        lease: 1s
        wait: forever
        resources:
          - id: tenant-a
            values: {api_key: "secretsmanager:#key", tenant_id: t-1}
          - id: tenant-a
            values: {api_key: "ssm:/p#", tenant_id: "${UNSET}"}
          - values: {api_key: k}
      empty: {}
`
	_, err := Parse("envs.yaml", []byte(data), env(nil))
	if err == nil {
		t.Fatal("invalid pools accepted")
	}
	for _, want := range []string{
		`envs.yaml:5: environments.staging.pools.Bad_Pool: pool name "Bad_Pool" must be lowercase`,
		"envs.yaml:8: environments.staging.pools.tenants.lease: 1s must be between 10s and 24h0m0s",
		`envs.yaml:9: environments.staging.pools.tenants.wait: "forever" is not a duration`,
		`envs.yaml:12: environments.staging.pools.tenants.resources.0.values.api_key: secret reference "secretsmanager:#key": no secret name or ARN`,
		`envs.yaml:13: environments.staging.pools.tenants.resources.1.id: duplicate resource id "tenant-a"`,
		`envs.yaml:14: environments.staging.pools.tenants.resources.1.values.api_key: secret reference "ssm:/p#": empty key`,
		"envs.yaml:14: environments.staging.pools.tenants.resources.1.values.tenant_id: variable UNSET is not set",
		"envs.yaml:15: environments.staging.pools.tenants.resources.2.id: is required (resource 3 of 3)",
		`environments.staging.pools.tenants.resources.2.values: resource "" defines ["api_key"], but "tenant-a" defines ["api_key" "tenant_id"]`,
		"envs.yaml:16: environments.staging.pools.empty.resources: no resources",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestCheckNeedsPools(t *testing.T) {
	data := `environments:
  local:
    targets: {api: "http://127.0.0.1:1"}
    pools:
      tenants: {resources: [{id: a, values: {k: literal-value}}]}
  staging:
    targets: {api: "http://127.0.0.1:1"}
`
	cfg, err := Parse("envs.yaml", []byte(data), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	js := []journey.Journey{
		{Name: "one", Targets: []string{"api"}, Needs: []string{"tenants"}},
		{Name: "two", Needs: []string{"tenants", "accounts"}},
	}
	err = cfg.Check(js)
	for _, want := range []string{
		`envs.yaml:4: environments.local.pools: missing pool "accounts" needed by journey two`,
		`envs.yaml:6: environments.staging.pools: missing pool "tenants" needed by journey one, two`, // no pools: the environment's line
		`envs.yaml:6: environments.staging.pools: missing pool "accounts" needed by journey two`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v, want %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `local.pools: missing pool "tenants"`) {
		t.Errorf("local defines tenants: %v", err)
	}
}

func TestCheckSMSPools(t *testing.T) {
	data := `environments:
  local:
    targets: {api: "http://127.0.0.1:1"}
    pools:
      numbers:
        resources:
          - {id: line-1, values: {number: "+1 555 000 0001"}}
          - {id: line-2, values: {number: "env:LINE_2"}}
      tenants:
        resources:
          - {id: a, values: {phone: "+15550000003"}}
  staging:
    targets: {api: "http://127.0.0.1:1"}
    pools:
      numbers:
        resources:
          - {id: line-1, values: {number: "+1 555 CALL-NOW"}}
          - {id: line-2, values: {number: "+15550000002"}}
      tenants:
        resources:
          - {id: a, values: {phone: "+15550000003"}}
`
	cfg, err := Parse("envs.yaml", []byte(data), env(map[string]string{"LINE_2": "x"}))
	if err != nil {
		t.Fatal(err)
	}
	js := []journey.Journey{{Name: "texted", Needs: []string{"numbers", "tenants"}, SMS: "numbers"}}
	err = cfg.Check(js)
	if err == nil || !strings.Contains(err.Error(), `environments.staging.pools.numbers.resources.0.values.number: resource "line-1": the number is not a phone number`) {
		t.Errorf("Check = %v, want staging's bad literal number named", err)
	}
	if strings.Contains(err.Error(), "CALL-NOW") || strings.Contains(err.Error(), "local.pools.numbers") {
		t.Errorf("Check = %v: the number is a secret, and local's numbers are valid or references", err)
	}
	js[0].SMS = "tenants"
	if err := cfg.Check(js); err == nil || !strings.Contains(err.Error(), `resource "a" defines no "number"`) {
		t.Errorf("Check = %v, want tenants' resource without a number named", err)
	}
}
