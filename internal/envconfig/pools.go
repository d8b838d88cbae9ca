package envconfig

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/yamlerr"
	"github.com/journeygate/journeygate/shared/journey"
)

// Pool defaults and bounds.
const (
	// DefaultLease is how long a leased resource stays leased when the
	// pool sets no lease; a holder renews it while it runs.
	DefaultLease = 10 * time.Minute
	// DefaultWait is how long a journey waits for a free resource when the
	// pool sets no wait.
	DefaultWait = 30 * time.Second
	minLease    = 10 * time.Second
	maxLease    = 24 * time.Hour // store.MaxLeaseDuration
	maxWait     = 15 * time.Minute
	maxIDLen    = 200
)

// Pool is a set of pre-provisioned test resources (test accounts, API
// keys, tenants) of one environment. A journey that needs the pool
// (journey.Journey.Needs) leases one resource exclusively for each
// attempt (package lease).
type Pool struct {
	// Name is the pool's key in the file, e.g. "tenants".
	Name string
	// Lease is how long a lease lasts unless its holder renews it: a
	// holder that died frees the resource this long after its last renewal.
	Lease time.Duration
	// Wait is how long a journey waits for a free resource before it
	// fails with class error; 0 tries each resource once.
	Wait time.Duration
	// Resources are the pool's resources, in file order.
	Resources []PoolResource
}

// PoolResource is one resource of a pool.
type PoolResource struct {
	// ID identifies the resource within its pool; it is not a secret.
	ID string
	// Values maps a name to a secret reference (package secrets:
	// secretsmanager:, ssm:, env: or a literal), resolved when the resource
	// is leased. Every resolved value is treated as a secret.
	Values map[string]string
}

// Resource returns the pool's resource with the given ID.
func (p Pool) Resource(id string) (PoolResource, bool) {
	for _, r := range p.Resources {
		if r.ID == id {
			return r, true
		}
	}
	return PoolResource{}, false
}

// poolFormat is one entry of an environment's pools section:
//
//	pools:
//	  tenants:
//	    lease: 10m
//	    wait: 30s
//	    resources:
//	      - id: tenant-a
//	        values: {api_key: "secretsmanager:ARN#key", tenant_id: t-123}
type poolFormat struct {
	Lease     string `yaml:"lease"`
	Wait      string `yaml:"wait"`
	Resources []struct {
		ID     string            `yaml:"id"`
		Values map[string]string `yaml:"values"`
	} `yaml:"resources"`
}

// parsePools applies defaults to an environment's pools, expands variables
// in values, checks each reference's form (fetching nothing) and records
// problems under path.
func parsePools(in map[string]poolFormat, path []string, getenv func(string) string, p *yamlerr.Problems) map[string]Pool {
	out := make(map[string]Pool, len(in))
	for name, f := range in {
		at := func(parts ...string) []string {
			return append(append(append([]string{}, path...), "pools", name), parts...)
		}
		if !validName(name) {
			p.Add(at(), "pool name %q must be lowercase letters, digits and dashes", name)
		}
		pool := Pool{Name: name, Lease: DefaultLease, Wait: DefaultWait}
		if f.Lease != "" {
			d, err := time.ParseDuration(f.Lease)
			switch {
			case err != nil:
				p.Add(at("lease"), "%q is not a duration (e.g. 10m)", f.Lease)
			case d < minLease || d > maxLease:
				p.Add(at("lease"), "%s must be between %s and %s", d, minLease, maxLease)
			default:
				pool.Lease = d
			}
		}
		if f.Wait != "" {
			d, err := time.ParseDuration(f.Wait)
			switch {
			case err != nil:
				p.Add(at("wait"), "%q is not a duration (e.g. 30s)", f.Wait)
			case d < 0 || d > maxWait:
				p.Add(at("wait"), "%s must be between 0s and %s", d, maxWait)
			default:
				pool.Wait = d
			}
		}
		if len(f.Resources) == 0 {
			p.Add(at("resources"), "no resources: a pool needs at least one")
		}
		ids := map[string]bool{}
		var firstKeys []string
		for i, r := range f.Resources {
			rat := func(parts ...string) []string { return append(at("resources", strconv.Itoa(i)), parts...) }
			switch {
			case strings.TrimSpace(r.ID) == "":
				p.Add(rat("id"), "is required (resource %d of %d)", i+1, len(f.Resources))
			case len(r.ID) > maxIDLen || !utf8.ValidString(r.ID) || strings.ContainsRune(r.ID, 0):
				p.Add(rat("id"), "%q must be valid UTF-8 without NUL, at most %d bytes", r.ID, maxIDLen)
			case ids[r.ID]:
				p.Add(rat("id"), "duplicate resource id %q", r.ID)
			}
			ids[r.ID] = true
			res := PoolResource{ID: r.ID, Values: make(map[string]string, len(r.Values))}
			keys := make([]string, 0, len(r.Values))
			for k, v := range r.Values {
				keys = append(keys, k)
				if strings.TrimSpace(k) == "" {
					p.Add(rat("values"), "a value has an empty name")
					continue
				}
				v, err := Expand(v, getenv)
				if err != nil {
					p.Add(rat("values", k), "%v", err)
					continue
				}
				if _, err := secrets.Parse(v); err != nil {
					p.Add(rat("values", k), "%v", err)
					continue
				}
				res.Values[k] = v
			}
			sort.Strings(keys)
			// Journeys read values by name: every resource of a pool must
			// define the same ones, or a journey works with one and not
			// another.
			if i == 0 {
				firstKeys = keys
			} else if !slices.Equal(keys, firstKeys) {
				p.Add(rat("values"), "resource %q defines %q, but %q defines %q: every resource of a pool defines the same values", r.ID, keys, f.Resources[0].ID, firstKeys)
			}
			pool.Resources = append(pool.Resources, res)
		}
		out[name] = pool
	}
	return out
}

// Refs returns the secrets and parameters the environment's pools
// reference (Key cleared; literals and env: references excluded), sorted,
// without duplicates: what the runner fetches and must be allowed to read.
func (e Environment) Refs() []secrets.Ref {
	return refs([]Environment{e})
}

// Refs returns the Refs of every environment, merged.
func (c *Config) Refs() []secrets.Ref {
	envs := make([]Environment, 0, len(c.Environments))
	for _, e := range c.Environments {
		envs = append(envs, e)
	}
	return refs(envs)
}

func refs(envs []Environment) []secrets.Ref {
	seen := map[secrets.Ref]bool{}
	for _, e := range envs {
		for _, pool := range e.Pools {
			for _, r := range pool.Resources {
				for _, v := range r.Values {
					ref, err := secrets.Parse(v)
					if err == nil && (ref.Scheme == secrets.SecretsManager || ref.Scheme == secrets.SSM) {
						seen[secrets.Ref{Scheme: ref.Scheme, Name: ref.Name}] = true
					}
				}
			}
		}
	}
	out := make([]secrets.Ref, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Secrets returns the secret text the file itself holds, for a Redactor:
// every environment's sink token. Pool values, literals included, are
// registered when a resource is leased and its values resolved, so a
// value is redacted only where it can have been used.
func (c *Config) Secrets() []string {
	var out []string
	for _, e := range c.Environments {
		if e.Sink.Token != "" {
			out = append(out, e.Sink.Token)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// checkPools reports the pools journeys need that an environment lacks.
func checkPools(problems *yamlerr.Problems, env Environment, needs map[string][]string) {
	pools := make([]string, 0, len(needs))
	for p := range needs {
		pools = append(pools, p)
	}
	sort.Strings(pools)
	for _, p := range pools {
		if _, ok := env.Pools[p]; !ok {
			problems.Add([]string{"environments", env.Name, "pools"}, "missing pool %q needed by journey %s", p, strings.Join(needs[p], ", "))
		}
	}
}

// checkSMSPools reports, for the pool each journey receives texts on
// (journey.Journey.SMS) that env defines, a resource without the value
// journey.SMSNumberValue, or one whose literal number is not a phone
// number (journey.NormalizeNumber); a reference is resolved only when
// leased. The number is a secret like every value: never in the message.
func checkSMSPools(problems *yamlerr.Problems, env Environment, journeys []journey.Journey) {
	checked := map[string]bool{}
	for _, j := range journeys {
		pool, ok := env.Pools[j.SMS]
		if j.SMS == "" || !ok || checked[j.SMS] || !j.RunsIn(env.Name) {
			continue
		}
		checked[j.SMS] = true
		for i, r := range pool.Resources {
			at := []string{"environments", env.Name, "pools", j.SMS, "resources", strconv.Itoa(i), "values"}
			v, ok := r.Values[journey.SMSNumberValue]
			if !ok {
				problems.Add(at, "resource %q defines no %q, the receiving number journey %s's texts are sent to", r.ID, journey.SMSNumberValue, j.Name)
				continue
			}
			if ref, err := secrets.Parse(v); err == nil && ref.Scheme == secrets.Literal {
				if _, err := journey.NormalizeNumber(v); err != nil {
					problems.Add(append(at, journey.SMSNumberValue), "resource %q: the number is not a phone number: write + and the digits, country code first (E.164)", r.ID)
				}
			}
		}
	}
}
