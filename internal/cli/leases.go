package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/secrets/awssecrets"
	"github.com/journeygate/journeygate/internal/store"
)

// newLeases returns the lease manager of a run: pools leased in st, their
// env: references read with getenv, and secretsmanager: and ssm: ones
// (when the file has any) with the default AWS configuration, as a laptop
// with credentials for the environment's account has it. Its Redactor
// holds every secret of the run.
func newLeases(ctx context.Context, st store.Store, cfg *envconfig.Config, getenv func(string) string, log *slog.Logger) (*lease.Manager, error) {
	ls, ok := st.(store.LeaseStore)
	if !ok {
		return nil, fmt.Errorf("the store %T cannot lease test resources", st)
	}
	opts := []secrets.Option{secrets.WithGetenv(getenv)}
	if len(cfg.Refs()) > 0 {
		awsCfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("loading AWS configuration for the pools' secrets: %w", err)
		}
		opts = append(opts, secrets.WithSecretsManager(awssecrets.SecretsManager(secretsmanager.NewFromConfig(awsCfg))), secrets.WithParameterStore(awssecrets.ParameterStore(ssm.NewFromConfig(awsCfg))))
	}
	res := secrets.New(opts...)
	return lease.NewManager(ls, cfg, res, lease.WithLogger(secrets.NewLogger(log, res.Redactor())))
}

const leasesUsage = `Usage: journeygate leases [--env NAME] [--pool NAME] [--config FILE] [--store SPEC] [--json]

Lists the pooled test resources of each environment (--config, or the
shipped environments file) with their lease in the store: free, held (by
whom, since when, until when unless renewed) or expired (its holder died or
stopped renewing; the next journey that needs one reclaims it). It only
reads: a missing store is an error, never created.

Flags:
`

// shownLease is one row of leases, and its JSON.
type shownLease struct {
	Environment string    `json:"environment"`
	Pool        string    `json:"pool"`
	Resource    string    `json:"resource"`
	State       string    `json:"state"` // free, held or expired
	Holder      string    `json:"holder,omitempty"`
	AcquiredAt  time.Time `json:"acquiredAt,omitzero"`
	ExpiresAt   time.Time `json:"expiresAt,omitzero"`
	// Configured is false for a lease on a resource the file no longer lists.
	Configured bool `json:"configured"`
}

func cmdLeases(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("leases", e.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), leasesUsage)
		fs.PrintDefaults()
	}
	var c common
	c.register(fs, e)
	envName := fs.String("env", "", "only this environment (default: every environment with pools)")
	poolName := fs.String("pool", "", "only this pool")
	asJSON := fs.Bool("json", false, "print the leases as JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := c.loadConfig(e)
	if err != nil {
		return err
	}
	envs := cfg.Names()
	if *envName != "" {
		if _, err := cfg.Get(*envName); err != nil {
			return usagef("--env: %v", err)
		}
		envs = []string{*envName}
	}
	type poolRef struct {
		env  string
		pool envconfig.Pool
	}
	var pools []poolRef
	for _, name := range envs {
		environment, _ := cfg.Get(name)
		for _, pn := range sortedKeys(environment.Pools) {
			if *poolName == "" || pn == *poolName {
				pools = append(pools, poolRef{name, environment.Pools[pn]})
			}
		}
	}
	if *poolName != "" && len(pools) == 0 {
		return usagef("--pool: no pool %q in %s", *poolName, strings.Join(envs, ", "))
	}
	st, err := c.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ls, ok := st.(store.LeaseStore)
	if !ok {
		return usagef("--store %s cannot lease test resources", c.storePath)
	}
	now := time.Now()
	rows := []shownLease{}
	for _, p := range pools {
		held, err := ls.Leases(ctx, p.env, p.pool.Name)
		if err != nil {
			return fmt.Errorf("read leases of pool %s in %s: %w", p.pool.Name, p.env, err)
		}
		byID := map[string]store.Lease{}
		for _, l := range held {
			byID[l.Resource] = l
		}
		for _, r := range p.pool.Resources {
			row := shownLease{Environment: p.env, Pool: p.pool.Name, Resource: r.ID, State: "free", Configured: true}
			if l, ok := byID[r.ID]; ok {
				row = leaseRow(l, now, true)
				delete(byID, r.ID)
			}
			rows = append(rows, row)
		}
		for _, l := range held { // leases of resources the file no longer lists
			if _, ok := byID[l.Resource]; ok {
				rows = append(rows, leaseRow(l, now, false))
			}
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		fmt.Fprintf(e.stdout, "No pools of test resources in %s.\n", cfg.File)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENV\tPOOL\tRESOURCE\tSTATE\tHOLDER\tACQUIRED\tEXPIRES")
	for _, r := range rows {
		state := r.State
		if !r.Configured {
			state += " (not in the file)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Environment, r.Pool, r.Resource, state, orDash(r.Holder), stamp(r.AcquiredAt), stamp(r.ExpiresAt))
	}
	return tw.Flush()
}

// leaseRow is the row of a recorded lease at now.
func leaseRow(l store.Lease, now time.Time, configured bool) shownLease {
	state := "held"
	if !l.ExpiresAt.After(now) {
		state = "expired"
	}
	return shownLease{Environment: l.Environment, Pool: l.Pool, Resource: l.Resource, State: state, Holder: l.Holder,
		AcquiredAt: l.AcquiredAt, ExpiresAt: l.ExpiresAt, Configured: configured}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
