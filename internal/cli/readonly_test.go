package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/embedded"
)

// Commands that only read the store never create one: on a path where
// nothing was recorded they exit 2 naming the path, and leave neither a
// file nor its directory behind.
func TestReadOnlyCommandsNeverCreateAStore(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"history", []string{"history"}},
		{"history of one journey", []string{"history", "--journey", "alert-grouping"}},
		{"show", []string{"show", "20261121T005506Z-b4eb46"}},
		{"show --json", []string{"show", "2026", "--json"}},
		{"leases", []string{"leases"}},
		{"decide", []string{"decide", "--run", "20261121T005506Z-b4eb46"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "nothing-here")
			path := filepath.Join(dir, "journeygate.db")
			code, stdout, stderr := invokeCLI(t, map[string]string{"USER": "alice"}, append(tc.args, "--store", path)...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitUsage, stdout, stderr)
			}
			if want := "no store at " + path; !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("%s created %s (stat: %v)", tc.name, dir, err)
			}
		})
	}
	// The default store path, relative to the working directory.
	t.Run("default path", func(t *testing.T) {
		t.Chdir(t.TempDir())
		code, _, stderr := runCLI(t, "history")
		if code != exitUsage || !strings.Contains(stderr, "no store at "+embedded.DefaultPath) {
			t.Errorf("exit %d, stderr %q; want exit 2 naming %s", code, stderr, embedded.DefaultPath)
		}
		if _, err := os.Stat(filepath.Dir(embedded.DefaultPath)); !os.IsNotExist(err) {
			t.Errorf("history created %s (stat: %v)", filepath.Dir(embedded.DefaultPath), err)
		}
	})
}

// leases lists every resource of the environment's pools: free, held by
// whom until when, or expired.
func TestLeasesListsPools(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "envs.yaml")
	if err := os.WriteFile(config, []byte(`environments:
  local:
    targets:
      api: http://127.0.0.1:1
    pools:
      tenants:
        resources:
          - {id: tenant-a, values: {k: v}}
          - {id: tenant-b, values: {k: v}}
          - {id: tenant-c, values: {k: v}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.db")
	st, err := embedded.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	for _, l := range []store.Lease{
		{Environment: "local", Pool: "tenants", Resource: "tenant-a", Holder: "run-1/checkout/1", AcquiredAt: now.Add(-time.Minute), ExpiresAt: now.Add(9 * time.Minute)},
		{Environment: "local", Pool: "tenants", Resource: "tenant-b", Holder: "run-0/checkout/1", AcquiredAt: now.Add(-time.Hour), ExpiresAt: now.Add(-50 * time.Minute)},
	} {
		if err := st.AcquireLease(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := runCLI(t, "leases", "--config", config, "--store", path)
	if code != exitSucceeded {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, row := range [][]string{
		{"local", "tenants", "tenant-a", "held", "run-1/checkout/1"},
		{"local", "tenants", "tenant-b", "expired", "run-0/checkout/1"},
		{"local", "tenants", "tenant-c", "free", "-"},
	} {
		if !hasRow(out, row...) {
			t.Errorf("leases has no row %q:\n%s", row, out)
		}
	}
	code, out, stderr = runCLI(t, "leases", "--config", config, "--store", path, "--json")
	var rows []shownLease
	if code != exitSucceeded || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 3 {
		t.Fatalf("leases --json: exit %d, %d rows:\n%s\n%s", code, len(rows), out, stderr)
	}
	code, _, stderr = runCLI(t, "leases", "--config", config, "--store", path, "--pool", "accounts")
	if code != exitUsage || !strings.Contains(stderr, `no pool "accounts"`) {
		t.Errorf("an unknown pool: exit %d, stderr %q", code, stderr)
	}
}
