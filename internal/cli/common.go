package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/backend"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/internal/store/embedded"
	"github.com/journeygate/journeygate/shared/journey"
)

// common holds the flags every command accepts.
type common struct {
	config    string
	storePath string
}

func (c *common) register(fs *flag.FlagSet, e env) {
	fs.StringVar(&c.config, "config", "", "environments file (default: "+e.defaultEnvironments()+")")
	fs.StringVar(&c.storePath, "store", embedded.DefaultPath, backend.SpecHelp)
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
	case strings.HasPrefix(spec, dynamo.Scheme):
		var ds dynamo.Spec
		if ds, err = dynamo.ParseSpec(spec); err == nil {
			ds.Create = false
			st, err = backend.OpenDynamo(ctx, ds)
		}
	case strings.Contains(spec, "://"):
		st, err = backend.Open(ctx, spec) // an unsupported scheme: Open says so
	default:
		path := spec
		if path == "" {
			path = embedded.DefaultPath
		}
		if _, serr := os.Stat(path); errors.Is(serr, fs.ErrNotExist) {
			return nil, usagef("no store at %s: nothing was recorded there (journeygate run creates it; --store names another)", path)
		}
		st, err = embedded.Open(path)
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
func (e env) registry() (*journey.Registry, error) {
	if e.cfg.Catalogue == nil {
		return nil, usagef("no journey catalogue: this journeygate was built without one (cli.Options.Catalogue)")
	}
	reg, err := e.cfg.Catalogue()
	if err != nil {
		return nil, usagef("invalid journey definitions:\n%v", err)
	}
	if reg == nil {
		return nil, usagef("no journey catalogue: cli.Options.Catalogue returned none")
	}
	return reg, nil
}

// defaultEnvironmentsPath is the environments file of a CLI whose
// Config.Environments is empty.
const defaultEnvironmentsPath = "journeys/environments.yaml"

// environmentsPath is the environments file read without --config, as
// Config names it.
func (e env) environmentsPath() string {
	if e.cfg.Environments == "" {
		return defaultEnvironmentsPath
	}
	return e.cfg.Environments
}

// defaultEnvironments says, for --config's help, what is read without it.
func (e env) defaultEnvironments() string {
	path := e.environmentsPath()
	switch {
	case e.cfg.Embedded != nil:
		return "the copy of " + path + " embedded in this binary"
	case filepath.IsAbs(path):
		return path
	}
	return path + " in the working directory or the nearest directory above it"
}

// environmentsOrigin finds the environments file read without --config:
// an absolute path as it is, a relative one in the working directory or,
// failing that, in the nearest directory above it that has it (as go.mod
// is found), so the CLI works from anywhere in the repository. It returns
// the path found, or a usage error naming where it looked.
func (e env) environmentsOrigin() (string, error) {
	path := e.environmentsPath()
	if filepath.IsAbs(path) {
		return path, nil
	}
	getwd := e.getwd
	if getwd == nil {
		getwd = os.Getwd
	}
	wd, err := getwd()
	if err != nil {
		return "", usagef("environments file %s: no working directory to find it from (%v); --config FILE names it", path, err)
	}
	for dir := wd; ; {
		candidate := filepath.Join(dir, path)
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", usagef("no environments file: %s is neither in %s nor in a directory above it (run journeygate from your repository, or --config FILE names one)", path, wd)
		}
		dir = parent
	}
}

// loadConfig reads the environments file: the one --config names, else
// the embedded copy when the CLI was built with one, else the file on
// disk (environmentsOrigin). Errors name the origin actually read.
func (c *common) loadConfig(e env) (*envconfig.Config, error) {
	var (
		name string
		data []byte
		err  error
	)
	switch {
	case c.config != "":
		name = c.config
		if data, err = os.ReadFile(name); err != nil {
			return nil, usagef("environments file: %v", err)
		}
	case e.cfg.Embedded != nil:
		name, data = "embedded "+e.environmentsPath(), e.cfg.Embedded
	default:
		if name, err = e.environmentsOrigin(); err != nil {
			return nil, err
		}
		if data, err = os.ReadFile(name); err != nil {
			return nil, usagef("environments file: %v", err)
		}
	}
	cfg, err := envconfig.Parse(name, data, e.getenv)
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
