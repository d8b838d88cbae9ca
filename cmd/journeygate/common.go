package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/envconfig"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/store"
)

// common holds the flags every command accepts.
type common struct {
	config    string
	storePath string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.config, "config", "", "environments file (default: the shipped "+journeys.EnvironmentsPath+")")
	fs.StringVar(&c.storePath, "store", store.DefaultPath, store.SpecHelp)
}

// openExistingStore opens the store --store names for a command that only
// reads it (history, show, leases, decide): a missing store file is a usage
// error naming the path, and nothing is created, neither the file nor its
// directory nor a DynamoDB table (create=true is ignored).
func (c *common) openExistingStore(ctx context.Context) (store.Store, error) {
	spec := c.storePath
	var (
		st  store.Store
		err error
	)
	switch {
	case strings.HasPrefix(spec, store.DynamoScheme):
		var ds store.DynamoSpec
		if ds, err = store.ParseDynamoSpec(spec); err == nil {
			ds.Create = false
			st, err = store.OpenDynamo(ctx, ds)
		}
	case strings.Contains(spec, "://"):
		st, err = store.Open(ctx, spec) // an unsupported scheme: Open says so
	default:
		path := spec
		if path == "" {
			path = store.DefaultPath
		}
		if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
			return nil, usagef("no store at %s: nothing was recorded there (journeygate run creates it; --store names another)", path)
		}
		st, err = store.OpenEmbedded(path)
	}
	if errors.Is(err, store.ErrInvalid) {
		return nil, usagef("--store: %v", err)
	}
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	return st, nil
}

// newFlagSet returns a flag set whose errors are usage errors, not exits.
func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("journeygate "+name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

// parse parses args and turns flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// registry loads the journey catalogue; an invalid definition is a
// configuration error.
func registry() (*journey.Registry, error) {
	reg, err := journeys.Registry()
	if err != nil {
		return nil, usagef("invalid journey definitions:\n%v", err)
	}
	return reg, nil
}

// loadConfig reads the environments file named by --config, or the shipped one.
func (c *common) loadConfig(getenv func(string) string) (*envconfig.Config, error) {
	name, data := journeys.EnvironmentsPath, journeys.EnvironmentsFile
	if c.config != "" {
		var err error
		if data, err = os.ReadFile(c.config); err != nil {
			return nil, usagef("environments file: %v", err)
		}
		name = c.config
	}
	cfg, err := envconfig.Parse(name, data, getenv)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return cfg, nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return fmt.Errorf("empty name in %q", v)
		}
		*s = append(*s, part)
	}
	return nil
}

// selectJourneys applies run's selector flags to reg: the --journey names
// and --tier, and keeps the journeys that run in environment ("": all). An
// unknown name or tier, a journey scoped elsewhere, or a selection of
// nothing, is a usage error naming the flag.
func selectJourneys(reg *journey.Registry, names []string, tier, environment string) ([]journey.Journey, error) {
	if tier != "" && tier != string(journey.TierGlobal) && tier != string(journey.TierDomain) {
		return nil, usagef("--tier: unknown tier %q (want global or domain)", tier)
	}
	selected, err := reg.Select(journey.Selector{Names: names, Tier: journey.Tier(tier), Environment: environment})
	if err != nil {
		return nil, usagef("--journey: %v", err)
	}
	if len(selected) == 0 {
		return nil, usagef("no journeys match --journey %q --tier %q in environment %q", names, tier, environment)
	}
	return selected, nil
}

// durationValue is a duration flag whose error says what a duration looks
// like (the flag package's own says only "parse error").
type durationValue time.Duration

// durationVar defines a duration flag.
func durationVar(fs *flag.FlagSet, name string, value time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	*p = value
	fs.Var((*durationValue)(p), name, usage)
	return p
}

func (d *durationValue) String() string { return time.Duration(*d).String() }

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not a duration: use e.g. 90s, 30m or 2h")
	}
	*d = durationValue(v)
	return nil
}
