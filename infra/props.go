package infra

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"

	"github.com/journeygate/journeygate/internal/chromiumlayer"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/journey"
)

// Props configures one journeygate deployment (one environment).
type Props struct {
	// Environment names the environment the journeys run against; it must
	// be one of EnvironmentsFile's.
	Environment string
	// NamePrefix starts every fixed name of the deployment, so several
	// gates share an account and region: the hook is
	// CodeDeployHook_PREFIX-ENV, the alarms PREFIX-ENV-..., the dashboard
	// PREFIX-ENV. Default DefaultNamePrefix ("journeygate").
	NamePrefix string
	// Production turns on the table's deletion protection and retains the
	// table and the sink secret when the stack is deleted.
	Production bool
	// DistDir holds the built functions, DIST/NAME/bootstrap (`make build`).
	// Default "dist".
	DistDir string
	// Catalogue is the registry of journeys the runner binary registers
	// (journeys.Registry() here): the same value, not a copy. Its journeys
	// that run in Environment (journey.Journey.RunsIn) size the runner's
	// timeout and get dashboard rows, and each global one an alarm; its
	// fingerprint (journey.Fingerprint) is set on the runner, which
	// refuses to start with another catalogue compiled in.
	Catalogue *journey.Registry
	// EnvironmentsFile is the path of the environments file the runner
	// and the gate read (the targets, settings, pools and sink of each
	// environment, and the gate's freeze policy). It is bundled with both
	// functions and checked at synth: Environment is defined there, with
	// every target and pool the journeys that run in it use.
	EnvironmentsFile string
	// Services are the services a deployment touches when the CodeDeploy
	// event does not say (the hook's JOURNEYGATE_SERVICES).
	Services []string
	// DeploymentServices maps a deployment group ("APPLICATION/GROUP", one
	// of DeploymentGroups) to exactly the services it deploys: a deployment
	// of that group runs the global journeys and the domain journeys
	// covering those services. A group not in the map falls back to its
	// application and group names, the Lambda functions its AppSpec names,
	// and Services. Each service must be covered by a journey that runs in
	// the environment (a typo would silently run the global journeys only).
	DeploymentServices map[string][]string
	// DeploymentGroups the hook and the gate may report to, as
	// "APPLICATION/GROUP". Without any, CodeDeploy reporting is not granted.
	DeploymentGroups []string
	// LambdaDeploymentFunctions maps a deployment group ("APPLICATION/GROUP",
	// one of DeploymentGroups) of a Lambda deployment to the names of the
	// functions it deploys. The runner may invoke those functions' versions
	// (lambda:InvokeFunction on arn:...:function:NAME:*), so a journey
	// exercises a deployment's target version directly, before the alias
	// moves. Without any, the runner may invoke no function.
	LambdaDeploymentFunctions map[string][]string
	// CodePipeline grants reporting job results to CodePipeline. Those APIs
	// have no resource-level permissions, so it is off unless asked for.
	CodePipeline bool
	// Schedules says how often each tier runs on its own (EventBridge
	// Scheduler); a tier absent from the map gets DefaultSchedules' value,
	// a zero duration turns that tier's schedule (and its alarms) off.
	Schedules map[journey.Tier]time.Duration
	// PagerDutyURL, when set, subscribes a PagerDuty Events API v2
	// integration URL (https) to the alarm topic.
	PagerDutyURL string
	// RunnerEnvironment is extra environment for the runner, typically the
	// variables the environments file expands (target URLs). The gate,
	// which reads the file too, gets those of them the file expands.
	RunnerEnvironment map[string]string
	// LogRetention is how long the functions' and state machine's logs are
	// kept. Default 30 days.
	LogRetention time.Duration
	// TimeoutMargin is added to each journey's SLAs for its runner Task
	// timeout. Default flow.DefaultTimeoutMargin.
	TimeoutMargin time.Duration
	// MaxConcurrency bounds how many journeys of a run execute at once
	// (default flow.DefaultMaxConcurrency).
	MaxConcurrency int
	// AlarmPeriods is how many consecutive scheduled periods must fail (or
	// report nothing) before an alarm fires. Default 2.
	AlarmPeriods int
	// ReportRetentionDays is how long the gate's HTML run reports are kept
	// in the reports bucket before they expire. Default
	// DefaultReportRetentionDays.
	ReportRetentionDays int
	// SinkReservedConcurrency is the sink's reserved concurrency: at most
	// this many sink invocations run at once, and they never take the
	// account's concurrency from the runner and the gate (the sink's URL is
	// public; a flood of requests is throttled with 429 instead). Default
	// DefaultSinkReservedConcurrency.
	SinkReservedConcurrency int
	// Vpc, when set, attaches the runner to this VPC, so journeys reach
	// targets on private networks. The runner then reaches AWS through the
	// VPC: DynamoDB, EventBridge and, for pools, Secrets Manager and SSM
	// need endpoints or a NAT gateway (docs/deploy.md). The other
	// functions stay outside.
	Vpc awsec2.IVpc
	// VpcSubnets selects the runner's subnets in Vpc (default: the VPC's
	// private subnets). A subnet type must be PRIVATE_WITH_EGRESS (or its
	// older name PRIVATE_WITH_NAT) or PRIVATE_ISOLATED: a function gets no
	// public IP, so from a PUBLIC subnet it reaches nothing.
	VpcSubnets *awsec2.SubnetSelection
	// SecurityGroups are the runner's security groups in Vpc (default: one
	// of its own, all outbound traffic allowed, nothing inbound).
	SecurityGroups []awsec2.ISecurityGroup
	// Table, when set, is an existing table the functions use instead of
	// one the construct creates; it must have the store's keys, indexes
	// and time to live (dynamo.TableInput).
	Table awsdynamodb.ITable
	// EventBus, when set, is the bus the runner and the gate publish to
	// and the construct's rules listen on (default: the account's default
	// bus).
	EventBus awsevents.IEventBus
	// InboxDomain, when set, is a domain (or subdomain) the team owns whose
	// mail SES receives for the journeys' inboxes (T.Inbox): its MX record
	// points at SES's inbound endpoint of the stack's region, and an SES
	// receipt rule for it stores each message in the reports bucket and
	// hands it to the sink (docs/inbox.md). Without it, no SES resources
	// are made and inbox waits fail at once.
	InboxDomain string
	// InboxRuleSet names an existing SES receipt rule set (typically the
	// region's active one) the inbox rule is added to. Empty: the
	// construct creates the set PREFIX-ENV-inbox, which must be made
	// active (aws ses set-active-receipt-rule-set); SES has one active set
	// per region and CloudFormation cannot activate one.
	InboxRuleSet string
}

// DefaultSchedules are the scheduled run intervals per tier. The global
// tier runs every minute, the Scheduler's finest rate, so a production
// breakage pages within about 90 seconds (issue 19; docs/performance.md
// prices a month of it beside a 1-minute Synthetics canary).
var DefaultSchedules = map[journey.Tier]time.Duration{
	journey.TierGlobal: time.Minute,
	journey.TierDomain: 15 * time.Minute,
}

// Function names within the construct.
const (
	FunctionHook   = "hook"
	FunctionRunner = "runner"
	FunctionGate   = "gate"
	FunctionSink   = "sink"
	// FunctionBrowserRunner runs the journeys that drive a browser: the
	// runner's main built for x86_64, with Chromium in a layer. A stack
	// has it only when a journey that runs in its environment drives a
	// browser (journey.Journey.Browser).
	FunctionBrowserRunner = "browser-runner"
)

// Functions are the four functions every stack has, in build order.
var Functions = []string{FunctionHook, FunctionRunner, FunctionGate, FunctionSink}

// The browser runner's sizing: Chromium takes hundreds of MB and more CPU
// (Lambda's CPU grows with memory), its unpacked files about 210 MB of
// /tmp beside the profile and screenshots of one journey at a time.
const (
	// BrowserRunnerMemoryMB is the browser runner's memory.
	BrowserRunnerMemoryMB = 2048
	// BrowserRunnerEphemeralMB is the browser runner's /tmp.
	BrowserRunnerEphemeralMB = 2048
	// RunnerMemoryMB is the runner's memory. Its journeys wait on the
	// system under test: contract.BenchmarkCostModel measures at most
	// about 90 ms of CPU in a journey's 1.7 s (runner-cpu-ms-per-journey,
	// an upper bound), so at 256 MB (a seventh of a vCPU) the CPU
	// stretches a journey by at most about half a second and its compute
	// costs about 40 % less than at 512 MB; at 128 MB the stretch, up to
	// 1.2 s, would eat into step SLAs for a few millionths of a dollar.
	RunnerMemoryMB = 256
)

// BrowserRunnerChromiumArgs are the flags Chromium for Lambda needs beyond
// no sandbox (JOURNEYGATE_CHROMIUM_ARGS): one process, no zygote, as
// @sparticuz/chromium runs it (Lambda forbids what the zygote does).
const BrowserRunnerChromiumArgs = "--single-process --no-zygote"

// ChromiumLayerDir is where in DistDir `make build` stages the browser
// runner's layer: DIST/chromium-layer/chromium/ holds @sparticuz/chromium's
// brotli files (chromiumlayer.Files), which Lambda mounts as
// chromiumlayer.LayerDir.
const ChromiumLayerDir = "chromium-layer"

// Defaults.
const (
	// DefaultNamePrefix starts the deployment's fixed names when
	// Props.NamePrefix is empty.
	DefaultNamePrefix = "journeygate"
	// maxNameLen bounds len(NamePrefix) + len(Environment): the hook's
	// name, CodeDeployHook_PREFIX-ENV, has at most 64 characters.
	maxNameLen          = 64 - len("CodeDeployHook_") - 1
	DefaultLogRetention = 30 * 24 * time.Hour
	DefaultAlarmPeriods = 2
	// DefaultReportRetentionDays is how long HTML run reports are kept.
	DefaultReportRetentionDays = 30
	// maxReportRetentionDays bounds ReportRetentionDays (ten years).
	maxReportRetentionDays = 3650
	// DefaultSinkReservedConcurrency is the sink's default reserved
	// concurrency: its invocations take milliseconds, so 10 at once
	// receive hundreds of notifications a second.
	DefaultSinkReservedConcurrency = 10
	// maxSinkReservedConcurrency bounds SinkReservedConcurrency: a
	// default account's whole Lambda concurrency.
	maxSinkReservedConcurrency = 1000
	// maxLambdaTimeout is Lambda's hard limit on a function's timeout.
	maxLambdaTimeout = 15 * time.Minute
	// runnerSlack keeps the function's timeout above the Task's, so the
	// Task's own timeout (States.Timeout, caught per journey) fires first.
	runnerSlack = 10 * time.Second
)

var (
	envNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)
	prefixPattern  = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	groupPattern   = regexp.MustCompile(`^[A-Za-z0-9_.+-]{1,100}/[A-Za-z0-9_.+-]{1,100}$`)
	// functionNamePattern is a Lambda function's name (not an ARN, not
	// qualified).
	functionNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	runnerSubnetTypes   = []awsec2.SubnetType{awsec2.SubnetType_PRIVATE_WITH_EGRESS, awsec2.SubnetType_PRIVATE_WITH_NAT, awsec2.SubnetType_PRIVATE_ISOLATED}
)

// resolved is Props with defaults applied and what the construct derives
// from the catalogue and the environments file.
type resolved struct {
	Props
	// journeys are the catalogue's journeys that run in Environment.
	journeys []journey.Journey
	// fingerprint is the whole catalogue's (journey.Fingerprint).
	fingerprint string
	// envs is the environments file as read, env its Environment.
	envs envsFile
	env  envconfig.Environment
	// gateEnv are the RunnerEnvironment variables the file expands.
	gateEnv map[string]string
}

// browser reports whether a journey that runs in the environment drives
// a browser: then the stack has the browser runner.
func (r *resolved) browser() bool {
	return slices.ContainsFunc(r.journeys, func(j journey.Journey) bool { return j.Browser })
}

// runnerJourneys are the journeys the runner runs (api: false) or the
// browser runner runs (browser: true).
func (r *resolved) runnerJourneys(browser bool) []journey.Journey {
	var out []journey.Journey
	for _, j := range r.journeys {
		if j.Browser == browser {
			out = append(out, j)
		}
	}
	return out
}

// checkBrowserDist checks what the browser runner deploys is built:
// DIST/browser-runner/bootstrap and the layer's files.
func checkBrowserDist(dist string) []error {
	var errs []error
	if _, err := os.Stat(filepath.Join(dist, FunctionBrowserRunner, "bootstrap")); err != nil {
		errs = append(errs, fmt.Errorf("function %s (a journey drives a browser): %s is missing: run `make build` first", FunctionBrowserRunner, filepath.Join(dist, FunctionBrowserRunner, "bootstrap")))
	}
	layer := filepath.Join(dist, ChromiumLayerDir, "chromium")
	var missing []string
	for _, f := range chromiumlayer.Files {
		if fi, err := os.Stat(filepath.Join(layer, f)); err != nil || fi.Size() == 0 {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("the browser runner's Chromium layer %s lacks %s: run `make build` first (when a journey drives a browser it stages the bin/*.br files of the npm package %s %s)", layer, strings.Join(missing, ", "), chromiumlayer.Package, chromiumlayer.Version))
	}
	return errs
}

// resolve returns p with defaults applied and what it derives, or every
// problem with p at once.
func (p Props) resolve() (*resolved, error) {
	var errs []error
	if !envNamePattern.MatchString(p.Environment) {
		errs = append(errs, fmt.Errorf("environment %q: want 1-32 of a-z, 0-9 and -, starting with a letter", p.Environment))
	}
	if p.NamePrefix == "" {
		p.NamePrefix = DefaultNamePrefix
	}
	if !prefixPattern.MatchString(p.NamePrefix) {
		errs = append(errs, fmt.Errorf("NamePrefix %q: want a-z, 0-9 and -, starting with a letter", p.NamePrefix))
	} else if n := len(p.NamePrefix) + len(p.Environment); n > maxNameLen {
		errs = append(errs, fmt.Errorf("NamePrefix %q with environment %q: %d characters, at most %d together (the hook's name, %s, is at most 64)", p.NamePrefix, p.Environment, n, maxNameLen, HookFunctionName(p.NamePrefix, p.Environment)))
	}
	if p.DistDir == "" {
		p.DistDir = "dist"
	}
	for _, fn := range Functions {
		path := filepath.Join(p.DistDir, fn, "bootstrap")
		if _, err := os.Stat(path); err != nil {
			errs = append(errs, fmt.Errorf("function %s: %s is missing: run `make build` first", fn, path))
		}
	}
	r := &resolved{}
	if p.Catalogue == nil {
		errs = append(errs, errors.New("no catalogue: set Props.Catalogue to the registry the runner registers (journeys.Registry())"))
	} else {
		r.fingerprint = p.Catalogue.Fingerprint()
		for _, j := range p.Catalogue.All() {
			if j.RunsIn(p.Environment) {
				r.journeys = append(r.journeys, j)
			}
		}
		if len(r.journeys) == 0 {
			errs = append(errs, fmt.Errorf("the catalogue (Props.Catalogue): none of its %d journeys runs in %q (journey.Journey.Environments)", len(p.Catalogue.All()), p.Environment))
		}
		if p.InboxDomain == "" {
			// Its waits would end as error at every run: refuse it here.
			for _, j := range r.journeys {
				if j.Inbox {
					errs = append(errs, fmt.Errorf("journey %q reads mail (Inbox: true) and runs in %q, which has no inbox domain: set Props.InboxDomain (inbox_domain in deploy.yaml; journeygate's docs/inbox.md), or leave %q out of the journey's Environments", j.Name, p.Environment, p.Environment))
				}
			}
		}
	}
	if len(r.journeys) > flow.MaxJourneysPerRun {
		// A scheduled run of everything would fail at Plan every time.
		errs = append(errs, fmt.Errorf("%d journeys: one run plans at most %d (flow.MaxJourneysPerRun), so a run of every journey could never start; split the catalogue across stacks", len(r.journeys), flow.MaxJourneysPerRun))
	}
	for _, g := range p.DeploymentGroups {
		if !groupPattern.MatchString(g) {
			errs = append(errs, fmt.Errorf("deployment group %q is not APPLICATION/GROUP", g))
		}
	}
	schedules := map[journey.Tier]time.Duration{}
	for tier, d := range DefaultSchedules {
		schedules[tier] = d
	}
	for tier, d := range p.Schedules {
		if _, ok := DefaultSchedules[tier]; !ok {
			errs = append(errs, fmt.Errorf("schedule for tier %q: the tier is not global or domain", tier))
			continue
		}
		if d != 0 && (d < time.Minute || d%time.Minute != 0) {
			errs = append(errs, fmt.Errorf("schedule for tier %s: %s is not a whole number of minutes (at least 1m; 0 turns it off)", tier, d))
		}
		schedules[tier] = d
	}
	p.Schedules = schedules
	if p.PagerDutyURL != "" && !strings.HasPrefix(p.PagerDutyURL, "https://") {
		errs = append(errs, fmt.Errorf("PagerDutyURL %q: an Events API v2 integration URL starts with https://", p.PagerDutyURL))
	}
	if p.LogRetention == 0 {
		p.LogRetention = DefaultLogRetention
	}
	if p.TimeoutMargin == 0 {
		p.TimeoutMargin = flow.DefaultTimeoutMargin
	}
	if p.TimeoutMargin < 0 {
		errs = append(errs, fmt.Errorf("TimeoutMargin %s is negative", p.TimeoutMargin))
	}
	if p.MaxConcurrency < 0 || p.MaxConcurrency > flow.MaxInlineMapConcurrency {
		errs = append(errs, fmt.Errorf("MaxConcurrency %d: want 0 (default %d) to %d, the most an inline Map runs at once", p.MaxConcurrency, flow.DefaultMaxConcurrency, flow.MaxInlineMapConcurrency))
	}
	if p.AlarmPeriods == 0 {
		p.AlarmPeriods = DefaultAlarmPeriods
	}
	if p.AlarmPeriods < 0 {
		errs = append(errs, fmt.Errorf("AlarmPeriods %d is negative", p.AlarmPeriods))
	}
	for _, tier := range tiers {
		every := p.Schedules[tier]
		if every < time.Minute || every%time.Minute != 0 || p.AlarmPeriods <= 0 {
			continue // off, or already a problem
		}
		// CloudWatch refuses an alarm whose periods span more than it
		// allows; synth says so rather than the deploy.
		limit, which := alarmRangeLimit(every)
		if maxN := int(limit / every); p.AlarmPeriods > maxN {
			fix := fmt.Sprintf("want AlarmPeriods of at most %d", maxN)
			if fits := alarmSchedulesFitting(p.AlarmPeriods); fits != "" {
				fix += fmt.Sprintf(", or a schedule that fits %d periods (%s)", p.AlarmPeriods, fits)
			}
			errs = append(errs, fmt.Errorf("schedule for tier %s: %s with AlarmPeriods %d: CloudWatch rejects its alarms, %d periods of %d s being over the %d s (%s) it allows an alarm with %s; %s",
				tier, shortDuration(every), p.AlarmPeriods, p.AlarmPeriods, int64(every/time.Second), int64(limit/time.Second), days(limit), which, fix))
		}
	}
	if p.ReportRetentionDays == 0 {
		p.ReportRetentionDays = DefaultReportRetentionDays
	}
	if p.ReportRetentionDays < 0 || p.ReportRetentionDays > maxReportRetentionDays {
		errs = append(errs, fmt.Errorf("report retention of %d days: want 1 to %d", p.ReportRetentionDays, maxReportRetentionDays))
	}
	if p.SinkReservedConcurrency == 0 {
		p.SinkReservedConcurrency = DefaultSinkReservedConcurrency
	}
	if p.SinkReservedConcurrency < 0 || p.SinkReservedConcurrency > maxSinkReservedConcurrency {
		errs = append(errs, fmt.Errorf("sink reserved concurrency %d: want 1 to %d", p.SinkReservedConcurrency, maxSinkReservedConcurrency))
	}
	if _, err := runnerTimeout(r.journeys, p.TimeoutMargin); err != nil && len(r.journeys) > 0 {
		errs = append(errs, err)
	}
	if err := checkBudget(p, r.journeys); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, p.checkDeploymentServices()...)
	errs = append(errs, p.checkLambdaDeploymentFunctions()...)
	for k := range p.RunnerEnvironment {
		switch {
		case k == envFileVariable:
			errs = append(errs, fmt.Errorf("RunnerEnvironment: %s is set by the construct: set Props.EnvironmentsFile (environments_file in deploy.yaml), which the construct bundles with the runner and the gate", k))
		case strings.HasPrefix(k, "JOURNEYGATE_"):
			errs = append(errs, fmt.Errorf("RunnerEnvironment: %s is set by the construct itself", k))
		}
	}
	errs = append(errs, checkVpc(p)...)
	errs = append(errs, checkInbox(p)...)
	if p.EnvironmentsFile == "" {
		errs = append(errs, errors.New("no environments file: set Props.EnvironmentsFile to the file the runner and the gate read (environments_file in deploy.yaml)"))
	} else if err := r.readEnvironments(p); err != nil {
		errs = append(errs, err)
	}
	r.Props = p
	// Only a browser journey needs the browser runner and its layer.
	if r.browser() {
		errs = append(errs, checkBrowserDist(p.DistDir)...)
	}
	if err := errors.Join(errs...); err != nil {
		return r, fmt.Errorf("journeygate props: %w", err)
	}
	return r, nil
}

// checkVpc checks the runner's network props: subnets and security groups
// need a VPC, and a subnet type the runner can reach anything from.
func checkVpc(p Props) []error {
	var errs []error
	if p.Vpc == nil {
		if p.VpcSubnets != nil {
			errs = append(errs, errors.New("Props.VpcSubnets is set without Vpc: set Props.Vpc, the VPC the runner is attached to"))
		}
		if len(p.SecurityGroups) > 0 {
			errs = append(errs, errors.New("Props.SecurityGroups are set without Vpc: set Props.Vpc, the VPC the runner is attached to"))
		}
		return errs
	}
	if p.VpcSubnets != nil && p.VpcSubnets.SubnetType != "" && !slices.Contains(runnerSubnetTypes, p.VpcSubnets.SubnetType) {
		why := "unknown subnet type"
		if p.VpcSubnets.SubnetType == awsec2.SubnetType_PUBLIC {
			why = "a function in a VPC gets no public IP, so from a public subnet it reaches nothing"
		}
		errs = append(errs, fmt.Errorf("Props.VpcSubnets.SubnetType %q: %s; want %s (or its older name %s) or %s", p.VpcSubnets.SubnetType, why,
			awsec2.SubnetType_PRIVATE_WITH_EGRESS, awsec2.SubnetType_PRIVATE_WITH_NAT, awsec2.SubnetType_PRIVATE_ISOLATED))
	}
	for i, sg := range p.SecurityGroups {
		if sg == nil {
			errs = append(errs, fmt.Errorf("Props.SecurityGroups[%d] is nil", i))
		}
	}
	return errs
}

// runnerTimeout is the runner function's timeout: above the longest
// journey's budget (flow.JourneyTimeout: the summed SLAs and graces of every
// attempt its retry policy allows, the waits between them, plus margin)
// and Plan's.
func runnerTimeout(js []journey.Journey, margin time.Duration) (time.Duration, error) {
	longest := time.Duration(flow.PlanTimeoutSeconds) * time.Second
	var worst *journey.Journey
	for i, j := range js {
		if d := flow.JourneyTimeout(j, margin); d > longest {
			longest, worst = d, &js[i]
		}
	}
	d := (longest + runnerSlack).Round(time.Second)
	if d < longest+runnerSlack {
		d += time.Second
	}
	if d > maxLambdaTimeout && worst == nil {
		return 0, fmt.Errorf("the plan step needs a runner timeout of %s, above Lambda's %s", d, maxLambdaTimeout)
	}
	if d > maxLambdaTimeout {
		n := worst.Retry.Attempts()
		fix := "shorten its SLAs"
		if n > 1 {
			fix += " or lower its Retry.MaxAttempts"
		}
		return 0, fmt.Errorf("journey %s needs a runner timeout of %s (%d %s of up to %s each, its retry policy allowing), above Lambda's %s: %s",
			worst.Name, d, n, plural(n, "attempt", "attempts"), flow.AttemptTimeout(*worst), maxLambdaTimeout, fix)
	}
	return d, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// globalJourneys returns the names of the global journeys, sorted.
func globalJourneys(js []journey.Journey) []string {
	var out []string
	for _, j := range js {
		if j.Tier == journey.TierGlobal {
			out = append(out, j.Name)
		}
	}
	slices.Sort(out)
	return out
}

// checkDeploymentServices says what is wrong with DeploymentServices: a
// group that is not in DeploymentGroups, or a service no journey running in
// the environment covers.
func (p Props) checkDeploymentServices() []error {
	var errs []error
	covered := map[string]bool{}
	if p.Catalogue != nil {
		for _, j := range p.Catalogue.All() {
			if j.RunsIn(p.Environment) {
				for _, c := range j.Covers {
					covered[c] = true
				}
			}
		}
	}
	groups := make([]string, 0, len(p.DeploymentServices))
	for g := range p.DeploymentServices {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for _, g := range groups {
		if !slices.Contains(p.DeploymentGroups, g) {
			errs = append(errs, fmt.Errorf("DeploymentServices: %q is not one of DeploymentGroups %v", g, p.DeploymentGroups))
		}
		for _, svc := range p.DeploymentServices[g] {
			if p.Catalogue != nil && !covered[svc] {
				errs = append(errs, fmt.Errorf("DeploymentServices[%q]: service %q is covered by no journey that runs in %s (a journey's Covers lists the services it covers)", g, svc, p.Environment))
			}
		}
	}
	return errs
}

// checkLambdaDeploymentFunctions says what is wrong with
// LambdaDeploymentFunctions: a key that is not APPLICATION/GROUP or not one
// of DeploymentGroups, a group without functions, or a function that is
// not named by its plain name.
func (p Props) checkLambdaDeploymentFunctions() []error {
	var errs []error
	groups := make([]string, 0, len(p.LambdaDeploymentFunctions))
	for g := range p.LambdaDeploymentFunctions {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for _, g := range groups {
		switch {
		case !groupPattern.MatchString(g):
			errs = append(errs, fmt.Errorf("LambdaDeploymentFunctions: key %q is not APPLICATION/GROUP", g))
		case !slices.Contains(p.DeploymentGroups, g):
			errs = append(errs, fmt.Errorf("LambdaDeploymentFunctions: %q is not one of DeploymentGroups %v", g, p.DeploymentGroups))
		}
		fns := p.LambdaDeploymentFunctions[g]
		if len(fns) == 0 {
			errs = append(errs, fmt.Errorf("LambdaDeploymentFunctions[%q] lists no function: name the functions the group deploys, or leave the group out", g))
		}
		for _, fn := range fns {
			if err := checkFunctionName(fn); err != nil {
				errs = append(errs, fmt.Errorf("LambdaDeploymentFunctions[%q]: %w", g, err))
			}
		}
	}
	return errs
}

// checkFunctionName says why name is not a Lambda function's plain name.
func checkFunctionName(name string) error {
	if functionNamePattern.MatchString(name) {
		return nil
	}
	why := "want 1-64 of letters, digits, - and _"
	switch {
	case strings.HasPrefix(name, "arn:"):
		why = "an ARN: want the function's name alone (its versions are granted, arn:...:function:NAME:*)"
	case strings.Contains(name, ":"):
		why = "a qualified name: want the name alone (every version of it is granted)"
	}
	return fmt.Errorf("function %q is not a function name: %s", name, why)
}

// lambdaDeploymentFunctions are the function names of
// LambdaDeploymentFunctions, each once, sorted.
func (p Props) lambdaDeploymentFunctions() []string {
	var out []string
	for _, fns := range p.LambdaDeploymentFunctions {
		out = append(out, fns...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
