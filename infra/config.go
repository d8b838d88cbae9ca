package infra

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/yamlerr"
	"github.com/journeygate/journeygate/shared/journey"
)

// ConfigPath is the app's deployment configuration, relative to the
// repository root (where cdk.json is).
const ConfigPath = "infra/deploy.yaml"

// Deployment is one environment's stack as infra/deploy.yaml describes it.
type Deployment struct {
	// Account and Region pin the stack; empty leaves it
	// environment-agnostic (the CLI's profile decides at deploy time).
	Account, Region string
	// Props are the construct's props (DistDir and Catalogue are filled
	// in by the app).
	Props Props
}

// StackName is the deployment's CloudFormation stack name, PREFIX-ENV
// (journeygate-ENV unless name_prefix says otherwise).
func (d Deployment) StackName() string {
	prefix := d.Props.NamePrefix
	if prefix == "" {
		prefix = DefaultNamePrefix
	}
	return prefix + "-" + d.Props.Environment
}

// DefaultEnvironmentsFile is the environments file of a deployment whose
// environments_file is not set, relative to the repository root.
const DefaultEnvironmentsFile = "journeys/environments.yaml"

type deployFile struct {
	Environments map[string]struct {
		Account          string   `yaml:"account"`
		Region           string   `yaml:"region"`
		Production       bool     `yaml:"production"`
		Services         []string `yaml:"services"`
		DeploymentGroups []string `yaml:"deployment_groups"`
		// DeploymentServices maps a deployment group to the services it
		// deploys (Props.DeploymentServices).
		DeploymentServices map[string][]string `yaml:"deployment_services"`
		// LambdaDeploymentFunctions maps a Lambda deployment group to the
		// functions it deploys (Props.LambdaDeploymentFunctions).
		LambdaDeploymentFunctions map[string][]string `yaml:"lambda_deployment_functions"`
		CodePipeline              bool                `yaml:"codepipeline"`
		Schedules                 map[string]string   `yaml:"schedules"`
		PagerDutyURL              string              `yaml:"pagerduty_url"`
		RunnerEnvironment         map[string]string   `yaml:"runner_environment"`
		LogRetention              string              `yaml:"log_retention"`
		AlarmPeriods              int                 `yaml:"alarm_periods"`
		MaxConcurrency            int                 `yaml:"max_concurrency"`
		ReportRetention           int                 `yaml:"report_retention_days"`
		SinkConcurrency           int                 `yaml:"sink_reserved_concurrency"`
		NamePrefix                string              `yaml:"name_prefix"`
		EnvironmentsFile          string              `yaml:"environments_file"`
		// InboxDomain and InboxRuleSet are Props.InboxDomain and
		// Props.InboxRuleSet.
		InboxDomain  string `yaml:"inbox_domain"`
		InboxRuleSet string `yaml:"inbox_rule_set"`
	} `yaml:"environments"`
}

// ParseConfig reads the deployments in data (read from file), expanding
// ${VAR} and ${VAR:-default} with getenv. Each deployment's environment must
// be in its environments file (environments_file, default
// DefaultEnvironmentsFile, read with readFile), whose variables it
// resolves with the deployment's runner_environment. Every problem is
// reported at once, with its line.
func ParseConfig(file string, data []byte, getenv func(string) string, readFile func(path string) ([]byte, error)) ([]Deployment, error) {
	var raw deployFile
	if err := yamlerr.Decode(file, data, &raw); err != nil {
		return nil, err
	}
	p := yamlerr.New(file, data)
	if len(raw.Environments) == 0 {
		p.Add([]string{"environments"}, "no environments defined")
	}
	names := make([]string, 0, len(raw.Environments))
	for n := range raw.Environments {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Deployment
	for _, name := range names {
		e := raw.Environments[name]
		path := []string{"environments", name}
		at := func(parts ...string) []string { return append(append([]string{}, path...), parts...) }
		expand := func(v string, field ...string) string {
			s, err := envconfig.Expand(v, getenv)
			if err != nil {
				p.Add(at(field...), "%v", err)
			}
			return s
		}
		// The construct checks its props again; here each problem gets
		// its line.
		if !envNamePattern.MatchString(name) {
			p.Add(path, "environment name %q: want 1-32 of a-z, 0-9 and -, starting with a letter", name)
		}
		for i, g := range e.DeploymentGroups {
			if !groupPattern.MatchString(g) {
				p.Add(at("deployment_groups", strconv.Itoa(i)), "%q is not APPLICATION/GROUP", g)
			}
		}
		for g := range e.DeploymentServices {
			if !slices.Contains(e.DeploymentGroups, g) {
				p.Add(at("deployment_services", g), "%q is not one of deployment_groups %v", g, e.DeploymentGroups)
			}
		}
		for g, fns := range e.LambdaDeploymentFunctions {
			switch {
			case !groupPattern.MatchString(g):
				p.Add(at("lambda_deployment_functions", g), "%q is not APPLICATION/GROUP", g)
			case !slices.Contains(e.DeploymentGroups, g):
				p.Add(at("lambda_deployment_functions", g), "%q is not one of deployment_groups %v", g, e.DeploymentGroups)
			}
			if len(fns) == 0 {
				p.Add(at("lambda_deployment_functions", g), "%q lists no function: name the functions the group deploys, or leave the group out", g)
			}
			for i, fn := range fns {
				if err := checkFunctionName(fn); err != nil {
					p.Add(at("lambda_deployment_functions", g, strconv.Itoa(i)), "%v", err)
				}
			}
		}
		if e.AlarmPeriods < 0 {
			p.Add(at("alarm_periods"), "%d is negative: want at least 1 (0 or absent: %d)", e.AlarmPeriods, DefaultAlarmPeriods)
		}
		if e.MaxConcurrency < 0 || e.MaxConcurrency > flow.MaxInlineMapConcurrency {
			p.Add(at("max_concurrency"), "%d: want 1 to %d, the most an inline Map runs at once (0 or absent: the default)", e.MaxConcurrency, flow.MaxInlineMapConcurrency)
		}
		if e.ReportRetention < 0 || e.ReportRetention > maxReportRetentionDays {
			p.Add(at("report_retention_days"), "%d: want 1 to %d days (0 or absent: %d)", e.ReportRetention, maxReportRetentionDays, DefaultReportRetentionDays)
		}
		if e.SinkConcurrency < 0 || e.SinkConcurrency > maxSinkReservedConcurrency {
			p.Add(at("sink_reserved_concurrency"), "%d: want 1 to %d (0 or absent: %d)", e.SinkConcurrency, maxSinkReservedConcurrency, DefaultSinkReservedConcurrency)
		}
		if e.NamePrefix != "" && !prefixPattern.MatchString(e.NamePrefix) {
			p.Add(at("name_prefix"), "%q: want a-z, 0-9 and -, starting with a letter", e.NamePrefix)
		} else if n := len(e.NamePrefix) + len(name); e.NamePrefix != "" && n > maxNameLen {
			p.Add(at("name_prefix"), "%q with environment %q: %d characters, at most %d together (the hook's name, %s, is at most 64)", e.NamePrefix, name, n, maxNameLen, HookFunctionName(e.NamePrefix, name))
		}
		envsFile := e.EnvironmentsFile
		if envsFile == "" {
			envsFile = DefaultEnvironmentsFile
		}
		d := Deployment{
			Account: expand(e.Account, "account"),
			Region:  expand(e.Region, "region"),
			Props: Props{
				Environment:               name,
				NamePrefix:                e.NamePrefix,
				EnvironmentsFile:          envsFile,
				Production:                e.Production,
				Services:                  e.Services,
				DeploymentGroups:          e.DeploymentGroups,
				DeploymentServices:        e.DeploymentServices,
				LambdaDeploymentFunctions: e.LambdaDeploymentFunctions,
				CodePipeline:              e.CodePipeline,
				PagerDutyURL:              expand(e.PagerDutyURL, "pagerduty_url"),
				RunnerEnvironment:         map[string]string{},
				AlarmPeriods:              e.AlarmPeriods,
				MaxConcurrency:            e.MaxConcurrency,
				ReportRetentionDays:       e.ReportRetention,
				SinkReservedConcurrency:   e.SinkConcurrency,
				Schedules:                 map[journey.Tier]time.Duration{},
				InboxDomain:               expand(e.InboxDomain, "inbox_domain"),
				InboxRuleSet:              expand(e.InboxRuleSet, "inbox_rule_set"),
			},
		}
		if why := inboxDomainProblem(d.Props.InboxDomain); why != "" {
			p.Add(at("inbox_domain"), "%q: %s", d.Props.InboxDomain, why)
		}
		if why := inboxRuleSetProblem(d.Props.InboxDomain, d.Props.InboxRuleSet); why != "" {
			p.Add(at("inbox_rule_set"), "%q: %s", d.Props.InboxRuleSet, why)
		}
		if u := d.Props.PagerDutyURL; u != "" && !strings.HasPrefix(u, "https://") {
			p.Add(at("pagerduty_url"), "%q: an Events API v2 integration URL starts with https://", u)
		}
		for k, v := range e.RunnerEnvironment {
			switch {
			case k == envFileVariable:
				p.Add(at("runner_environment", k), "%q is set by the construct: name the file in environments_file, which is bundled with the runner and the gate", k)
			case strings.HasPrefix(k, "JOURNEYGATE_"):
				p.Add(at("runner_environment", k), "%q is set by the construct itself", k)
			}
			d.Props.RunnerEnvironment[k] = expand(v, "runner_environment", k)
		}
		for tier, v := range e.Schedules {
			if _, ok := DefaultSchedules[journey.Tier(tier)]; !ok {
				p.Add(at("schedules", tier), "unknown tier %q: want global or domain", tier)
				continue
			}
			if v == "off" {
				d.Props.Schedules[journey.Tier(tier)] = 0
				continue
			}
			dur, err := time.ParseDuration(v)
			if err != nil || dur < time.Minute || dur%time.Minute != 0 {
				p.Add(at("schedules", tier), "%q: want a whole number of minutes such as 5m (at least 1m), or off", v)
				continue
			}
			d.Props.Schedules[journey.Tier(tier)] = dur
		}
		if e.AlarmPeriods >= 0 {
			checkAlarmRanges(p, at, e.Schedules, d.Props.Schedules, e.AlarmPeriods)
		}
		if e.LogRetention != "" {
			dur, err := time.ParseDuration(e.LogRetention)
			if err != nil || dur <= 0 {
				p.Add(at("log_retention"), "%q: want a positive duration such as 720h", e.LogRetention)
			}
			d.Props.LogRetention = dur
		}
		// The runner resolves the environments file with its own
		// environment: check that now rather than on the first run.
		runnerEnv := func(k string) string { return d.Props.RunnerEnvironment[k] }
		if envsData, err := readFile(envsFile); err != nil {
			p.Add(at("environments_file"), "%v", err)
		} else if envs, err := envconfig.Parse(envsFile, envsData, runnerEnv); err != nil {
			p.Add(path, "the runner's environments file does not resolve with this runner_environment: %v", err)
		} else if _, ok := envs.Environments[name]; !ok {
			p.Add(path, "no environment %q in %s (defined: %s): add it there%s", name, envsFile, strings.Join(envs.Names(), ", "), journey.DidYouMean(name, envs.Names()))
		}
		out = append(out, d)
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// LoadConfig reads ConfigPath under root with the process environment;
// each deployment's EnvironmentsFile is under root too.
func LoadConfig(root string) ([]Deployment, error) {
	path := filepath.Join(root, ConfigPath)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("deployment configuration: %w", err)
	}
	under := func(p string) string {
		if filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(root, p)
	}
	ds, err := ParseConfig(ConfigPath, data, os.Getenv, func(p string) ([]byte, error) { return os.ReadFile(under(p)) })
	for i := range ds {
		ds[i].Props.EnvironmentsFile = under(ds[i].Props.EnvironmentsFile)
	}
	return ds, err
}

// CloudWatch bounds an alarm's evaluation range, Period ×
// EvaluationPeriods (PutMetricAlarm's Period): at most one day for a
// period under an hour, at most seven days otherwise. Each scheduled
// tier's alarms (addAlarms) take the tier's schedule as Period and
// alarm_periods as EvaluationPeriods, so a combination past the bound
// synthesizes, then fails at deploy.
const (
	maxShortAlarmRange = 24 * time.Hour     // a period under an hour
	maxAlarmRange      = 7 * 24 * time.Hour // a period of an hour or more
)

// alarmRangeLimit is the longest evaluation range CloudWatch accepts for
// an alarm of period, and the periods it applies to, for messages.
func alarmRangeLimit(period time.Duration) (time.Duration, string) {
	if period < time.Hour {
		return maxShortAlarmRange, "a period under an hour"
	}
	return maxAlarmRange, "a period of an hour or more"
}

// alarmSchedulesFitting says which schedules (whole minutes) have alarms
// of n periods (n >= 1) that CloudWatch accepts, "" when none does: up to
// a day's worth of periods under an hour, and from an hour up to seven
// days' worth, so with 100 periods 14m and 100m fit while 59m does not.
func alarmSchedulesFitting(n int) string {
	short := min((maxShortAlarmRange / time.Duration(n)).Truncate(time.Minute), time.Hour-time.Minute)
	long := (maxAlarmRange / time.Duration(n)).Truncate(time.Minute)
	switch {
	case long >= time.Hour && short == time.Hour-time.Minute:
		return "at most " + shortDuration(long)
	case long >= time.Hour && short > 0:
		return fmt.Sprintf("at most %s, or %s to %s", shortDuration(short), shortDuration(time.Hour), shortDuration(long))
	case long >= time.Hour:
		return fmt.Sprintf("%s to %s", shortDuration(time.Hour), shortDuration(long))
	case short > 0:
		return "at most " + shortDuration(short)
	}
	return ""
}

// checkAlarmRanges adds a problem for each scheduled tier whose alarms
// CloudWatch would reject: at the tier's schedule when the file sets it
// (set, parsed into schedules), else at alarm_periods (the default
// schedules fit the default alarm_periods).
func checkAlarmRanges(p *yamlerr.Problems, at func(...string) []string, set map[string]string, schedules map[journey.Tier]time.Duration, alarmPeriods int) {
	n, nWhy := alarmPeriods, ""
	if n == 0 {
		n, nWhy = DefaultAlarmPeriods, " (the default)"
	}
	for _, tier := range tiers {
		every, parsed := schedules[tier]
		_, inFile := set[string(tier)]
		switch {
		case inFile && !parsed:
			continue // its schedule is already a problem
		case !inFile:
			every = DefaultSchedules[tier]
		}
		if every == 0 {
			continue // off: no alarms
		}
		limit, which := alarmRangeLimit(every)
		maxN := int(limit / every)
		if n <= maxN {
			continue
		}
		over := fmt.Sprintf("CloudWatch rejects its alarms, %d periods of %d s being over the %d s (%s) it allows an alarm with %s",
			n, int64(every/time.Second), int64(limit/time.Second), days(limit), which)
		fits := alarmSchedulesFitting(n)
		if inFile {
			var fix string
			switch {
			case maxN == 0:
				fix = fmt.Sprintf("no alarm_periods fits a period over %s: use a schedule of at most %s", days(maxAlarmRange), shortDuration(maxAlarmRange))
				if fits != "" {
					fix += fmt.Sprintf(" (with alarm_periods %d: %s)", n, fits)
				}
			case fits == "":
				fix = fmt.Sprintf("use alarm_periods of at most %d (no schedule fits %d periods)", maxN, n)
			default:
				fix = fmt.Sprintf("use alarm_periods of at most %d, or a schedule that fits %d periods (%s)", maxN, n, fits)
			}
			p.Add(at("schedules", string(tier)), "%q with alarm_periods %d%s: %s; %s", set[string(tier)], n, nWhy, over, fix)
			continue
		}
		fix := fmt.Sprintf("want at most %d", maxN)
		if fits != "" {
			fix += fmt.Sprintf(", or set schedules.%s to a schedule that fits %d periods (%s)", tier, n, fits)
		}
		p.Add(at("alarm_periods"), "%d with the %s schedule of %s (the default): %s; %s", n, tier, shortDuration(every), over, fix)
	}
}

// days writes 24h as "1 day", 168h as "7 days".
func days(d time.Duration) string {
	if n := int(d / (24 * time.Hour)); n != 1 {
		return fmt.Sprintf("%d days", n)
	}
	return "1 day"
}

// shortDuration writes a whole number of minutes as a schedule takes it:
// "84h", "100m".
func shortDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", int64(d/time.Hour))
	}
	return fmt.Sprintf("%dm", int64(d/time.Minute))
}
