package envconfig

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/journeygate/journeygate/internal/yamlerr"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// Environment is one place journeys run against.
type Environment struct {
	// Name is the environment's key in the file, e.g. "local" or "staging".
	Name string
	// Targets maps a target name to its base URL: the version taking
	// production traffic. Runs at live traffic (trigger.Live) use them.
	Targets map[string]string
	// TestTargets maps a target name to the base URL of the version about
	// to get traffic (an ECS test listener, say). Runs at test traffic
	// (trigger.Test: pre-traffic stages such as BeforeAllowTraffic) use
	// them and never Targets in their place; see TargetsFor.
	TestTargets map[string]string
	// Settings are free-form values journeys read with T.Setting.
	Settings map[string]string
	// Sink configures the in-process sink `journeygate run` starts.
	Sink Sink
	// Inbox configures the SMTP listener `journeygate run` starts for
	// journeys that read mail (journey.Journey.Inbox).
	Inbox Inbox
	// Gate configures the gate's policies (gate.go): the freeze.
	Gate Gate
	// Pools are the environment's pools of isolated test resources by
	// name (pools.go).
	Pools map[string]Pool
}

// Sink configures where the system under test delivers notifications.
type Sink struct {
	// Listen is the loopback address the local sink binds, e.g. 127.0.0.1:9097.
	Listen string
	// Token, when set, must accompany every delivery.
	Token string
	// Correlate lists JSON Pointers that find the run ID in a delivery body.
	Correlate []string
}

// Inbox configures the local SMTP listener of inbox journeys.
type Inbox struct {
	// Listen is the loopback address it binds, e.g. 127.0.0.1:2525; ""
	// takes a free port.
	Listen string
	// Domain is the inbox addresses' domain; "" means the sink's default
	// (inbox.journeygate.test).
	Domain string
}

// Config is a parsed environments file.
type Config struct {
	// File is where the configuration came from, for error messages.
	File         string
	Environments map[string]Environment
	// data is the file's text, for the lines Check names (none for a
	// Config built in code).
	data []byte
}

type fileFormat struct {
	Environments map[string]struct {
		Targets     map[string]string `yaml:"targets"`
		TestTargets map[string]string `yaml:"test_targets"`
		Settings    map[string]string `yaml:"settings"`
		Sink        struct {
			Listen    string   `yaml:"listen"`
			Token     string   `yaml:"token"`
			Correlate []string `yaml:"correlate"`
		} `yaml:"sink"`
		Inbox struct {
			Listen string `yaml:"listen"`
			Domain string `yaml:"domain"`
		} `yaml:"inbox"`
		Gate  gateFormat            `yaml:"gate"`
		Pools map[string]poolFormat `yaml:"pools"`
	} `yaml:"environments"`
}

// Load reads and parses the file at path, expanding ${VAR} and
// ${VAR:-default} in values from the process environment.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("environments file: %w", err)
	}
	return Parse(path, data, os.Getenv)
}

// Parse parses data read from file, expanding variables with getenv.
func Parse(file string, data []byte, getenv func(string) string) (*Config, error) {
	var raw fileFormat
	if err := yamlerr.Decode(file, data, &raw); err != nil {
		return nil, err
	}
	p := yamlerr.New(file, data)

	cfg := &Config{File: file, Environments: map[string]Environment{}, data: data}
	if len(raw.Environments) == 0 {
		p.Add([]string{"environments"}, "no environments defined")
	}
	for name, e := range raw.Environments {
		path := []string{"environments", name}
		if !validName(name) {
			p.Add(path, "environment name %q must be lowercase letters, digits and dashes", name)
		}
		env := Environment{Name: name, Settings: map[string]string{}}
		env.Targets = parseTargets(e.Targets, append(path, "targets"), getenv, p)
		env.TestTargets = parseTargets(e.TestTargets, append(path, "test_targets"), getenv, p)
		for t := range env.TestTargets {
			if _, ok := e.Targets[t]; !ok {
				p.Add(append(path, "test_targets", t), "test target %q has no target of that name: test_targets give the test URL of a target in targets (defined: %s)", t, keys(e.Targets))
			}
		}
		for k, v := range e.Settings {
			v, err := Expand(v, getenv)
			if err != nil {
				p.Add(append(path, "settings", k), "%v", err)
			}
			env.Settings[k] = v
		}
		listen, err := Expand(e.Sink.Listen, getenv)
		if err != nil {
			p.Add(append(path, "sink", "listen"), "%v", err)
		}
		token, err := Expand(e.Sink.Token, getenv)
		if err != nil {
			p.Add(append(path, "sink", "token"), "%v", err)
		}
		env.Sink = Sink{Listen: listen, Token: token, Correlate: e.Sink.Correlate}
		for i, ptr := range e.Sink.Correlate {
			if !strings.HasPrefix(ptr, "/") {
				p.Add(append(path, "sink", "correlate"), "entry %d %q is not a JSON Pointer (must start with /)", i+1, ptr)
			}
		}
		inboxListen, err := Expand(e.Inbox.Listen, getenv)
		if err != nil {
			p.Add(append(path, "inbox", "listen"), "%v", err)
		}
		inboxDomain, err := Expand(e.Inbox.Domain, getenv)
		if err != nil {
			p.Add(append(path, "inbox", "domain"), "%v", err)
		}
		if strings.ContainsAny(inboxDomain, "@ /") {
			p.Add(append(path, "inbox", "domain"), "%q is not a domain: inbox addresses are jg<token>@domain, so give the domain alone (e.g. inbox.example.com)", inboxDomain)
		}
		env.Inbox = Inbox{Listen: inboxListen, Domain: strings.ToLower(inboxDomain)}
		env.Gate = parseGate(e.Gate, path, p)
		env.Pools = parsePools(e.Pools, path, getenv, p)
		cfg.Environments[name] = env
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// parseTargets expands and checks the base URLs of targets or
// test_targets (at path), trimming a trailing slash.
func parseTargets(raw map[string]string, path []string, getenv func(string) string, p *yamlerr.Problems) map[string]string {
	out := make(map[string]string, len(raw))
	for t, v := range raw {
		at := append(slices.Clip(path), t)
		v, err := Expand(v, getenv)
		if err != nil {
			p.Add(at, "%v", err)
			continue
		}
		if err := checkURL(v); err != nil {
			p.Add(at, "%v", err)
		}
		out[t] = strings.TrimRight(v, "/")
	}
	return out
}

// TargetsFor returns the targets a run at traffic uses: TestTargets for
// trigger.Test, Targets otherwise. A test run never falls back to Targets,
// which would check the version already taking traffic instead of the one
// about to; CheckFor reports a missing test target before the run.
func (e Environment) TargetsFor(traffic trigger.Traffic) map[string]string {
	if traffic == trigger.Test {
		return e.TestTargets
	}
	return e.Targets
}

// Names returns the environment names, sorted.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Environments))
	for n := range c.Environments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the named environment.
func (c *Config) Get(name string) (Environment, error) {
	e, ok := c.Environments[name]
	if !ok {
		return Environment{}, fmt.Errorf("%s: no environment %q (defined: %s)%s", c.File, name, strings.Join(c.Names(), ", "), journey.DidYouMean(name, c.Names()))
	}
	return e, nil
}

// Only returns the configuration of the named environment alone (as Get
// finds it), for checking just the environment a run targets; problems
// keep naming the file's lines.
func (c *Config) Only(name string) (*Config, error) {
	e, err := c.Get(name)
	if err != nil {
		return nil, err
	}
	return &Config{File: c.File, Environments: map[string]Environment{name: e}, data: c.data}, nil
}

// Check verifies, before any request of a run is sent, that every
// environment defines every target the journeys call and every pool they
// need, and that it sets every setting they declare (journey.Setting) to
// a value of its kind that fits the steps waiting for it (a quiet_window
// of 6s cannot fit a 5 s step). A journey scoped to environments
// (journey.Journey.Environments) needs them only there. Every problem
// names the file, its line, the field and the journey.
//
// Check is for a run at live traffic (targets); CheckFor checks a run
// that a deployment trigger started, whose stage may need test_targets.
func (c *Config) Check(journeys []journey.Journey) error {
	return c.CheckFor(trigger.Trigger{}, journeys)
}

// CheckFor is Check for a run tr started: the targets the journeys call
// must be among those the run's traffic uses (tr.Traffic, TargetsFor), so
// at a pre-traffic stage such as BeforeAllowTraffic among test_targets. A
// missing one names the environment, the target, the journey and the
// stage.
func (c *Config) CheckFor(tr trigger.Trigger, journeys []journey.Journey) error {
	p := yamlerr.New(c.File, c.data)
	for _, name := range c.Names() {
		env := c.Environments[name]
		path := []string{"environments", name}
		needs := map[string][]string{}
		for _, j := range journeys {
			if !j.RunsIn(name) {
				continue
			}
			for _, pool := range j.Needs {
				needs[pool] = append(needs[pool], j.Name)
			}
		}
		checkPools(p, env, needs)
		env.Name = name
		checkSMSPools(p, env, journeys)
		for _, j := range journeys {
			if !j.RunsIn(name) {
				continue
			}
			env.Name = name
			env.targetProblems(tr, j, func(field, msg string) { p.Add(append(path, field), "%s", msg) })
			for _, s := range j.Settings {
				v, ok := env.Settings[s.Name]
				switch {
				case !ok && s.Required:
					hint := ""
					if set := journey.Closest(s.Name, slices.Sorted(maps.Keys(env.Settings))); set != "" {
						hint = fmt.Sprintf(" (%q is set: a typo?)", set)
					}
					p.Add(append(path, "settings"), "missing setting %q required by journey %q%s", s.Name, j.Name, hint)
				case ok:
					if err := s.Check(j, v); err != nil {
						p.Add(append(path, "settings", s.Name), "journey %q: %v", j.Name, err)
					}
				}
			}
		}
	}
	return p.Err()
}

// CheckTargets checks that e defines every target the journeys call among
// the targets a run tr started uses (TargetsFor of tr.Traffic): CheckFor's
// check of targets alone, for a runner given an environment's values
// rather than its file. Problems name the field, the environment, the
// target, the journey and, at test traffic, the stage.
func (e Environment) CheckTargets(tr trigger.Trigger, journeys []journey.Journey) error {
	var problems []string
	for _, j := range journeys {
		if !j.RunsIn(e.Name) {
			continue
		}
		e.targetProblems(tr, j, func(field, msg string) {
			problems = append(problems, yamlerr.Path([]string{"environments", e.Name, field})+": "+msg)
		})
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "\n"))
}

// targetProblems reports to add each target journey j calls that e lacks
// for a run tr started, with the field (targets or test_targets) the
// target belongs in.
func (e Environment) targetProblems(tr trigger.Trigger, j journey.Journey, add func(field, msg string)) {
	traffic := tr.Traffic()
	targets := e.TargetsFor(traffic)
	for _, t := range j.Targets {
		if _, ok := targets[t]; ok {
			continue
		}
		if traffic == trigger.Test {
			add("test_targets", fmt.Sprintf("no test_targets.%s, which journey %q needs %s (live targets never stand in for the version about to get traffic; defined: %s)", t, j.Name, at(tr), keys(targets)))
			continue
		}
		add("targets", fmt.Sprintf("missing target %q used by journey %q (defined: %s)", t, j.Name, keys(targets)))
	}
}

// at says when a run at test traffic runs: "at stage BeforeAllowTraffic
// (test traffic)".
func at(tr trigger.Trigger) string {
	if tr.Stage == "" {
		return "at test traffic"
	}
	return fmt.Sprintf("at stage %s (%s traffic)", tr.Stage, tr.Traffic())
}

// keys lists a map's keys, sorted and comma-separated, or "none".
func keys(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// varPattern is ${VAR} or ${VAR:-default}, compiled on first use: a
// package-level regexp is compiled at every cold start of every function
// that links this package, whether or not it expands anything (issue 19).
var varPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)
})

// Expand replaces ${VAR} and ${VAR:-default}. An unset variable without a
// default is an error rather than an empty string that fails later.
func Expand(s string, getenv func(string) string) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	re := varPattern()
	var missing []string
	out := re.ReplaceAllStringFunc(s, func(m string) string {
		sub := re.FindStringSubmatch(m)
		if v := getenv(sub[1]); v != "" {
			return v
		}
		if sub[2] != "" {
			return sub[3]
		}
		missing = append(missing, sub[1])
		return ""
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("variable %s is not set and has no default (write ${%s:-default})", missing[0], missing[0])
	}
	return out, nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q is not a URL: %v", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	return nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
