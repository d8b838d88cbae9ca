package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/report"
	"github.com/journeygate/journeygate/internal/runner"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store/backend"
	"github.com/journeygate/journeygate/shared/browser"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// findChromium checks, when a selected journey drives a browser, that
// Chromium is there (chromium names it, else the usual places; see
// browser.Executable), so the run says how to get it before any journey
// starts rather than failing each browser journey with it.
func findChromium(selected []journey.Journey, chromium string) error {
	if !slices.ContainsFunc(selected, func(j journey.Journey) bool { return j.Browser }) {
		return nil
	}
	if chromium != "" {
		if err := os.Setenv(browser.EnvChromium, chromium); err != nil {
			return err
		}
	}
	if _, err := browser.Executable(); err != nil {
		return usagef("a selected journey drives a browser: %v (or pass --chromium PATH)", err)
	}
	return nil
}

func cmdRun(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("run", e.stderr)
	var c common
	c.register(fs, e)
	envName := fs.String("env", "local", "environment to run against")
	var names stringList
	fs.Var(&names, "journey", "run only this journey (repeatable, or comma-separated)")
	tier := fs.String("tier", "", "run only this tier: global or domain")
	concurrency := fs.Int("concurrency", 4, "journeys run at once")
	browserConcurrency := fs.Int("browser-concurrency", runner.DefaultBrowserConcurrency, "browser journeys run at once, within --concurrency (each Chromium costs hundreds of MB)")
	chromium := fs.String("chromium", "", "the Chromium executable browser journeys drive (default: $"+browser.EnvChromium+", else chromium, chromium-browser or google-chrome on PATH)")
	artifactsDir := fs.String("artifacts", "", "directory for binary evidence such as browser screenshots, kept as `DIR`/RUN/JOURNEY-ATTEMPT-STEP.png (default: artifacts beside the embedded store, .journeygate/artifacts)")
	junitPath := fs.String("junit", "", "write a JUnit XML report to `FILE`")
	reportPath := fs.String("report", "", "write a self-contained HTML report to `FILE` (verdict, step waterfalls, evidence, each journey's history from the store)")
	asJSON := fs.Bool("json", false, "print the result as JSON on stdout (progress goes to stderr)")
	deployment := fs.String("deployment", "", "the deployment or job `ID` this run gates: overrides recorded for it apply, and so does the environment's freeze")
	stage := fs.String("stage", "", "the deployment lifecycle `STAGE` the run stands for (a CodeDeploy lifecycle event such as BeforeAllowTraffic, or an ECS stage such as POST_TEST_TRAFFIC_SHIFT): a pre-traffic stage runs against the environment's test_targets")
	targetVersion := fs.String("target-version", "", "the `VERSION` under test, which journeys read as TargetVersion (for a Lambda deployment, the version they invoke)")
	sinkListen := fs.String("sink-listen", "", "address the notification sink binds when a selected journey awaits it (overrides the environment's sink.listen; unset, a free loopback port)")
	smtpListen := fs.String("smtp-listen", "", "address the inbox SMTP listener binds when a selected journey reads mail (overrides the environment's inbox.listen; unset, a free loopback port)")
	verbose := fs.Bool("v", false, "log debug lines to stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *concurrency < 1 {
		return usagef("--concurrency must be at least 1, got %d", *concurrency)
	}
	if *browserConcurrency < 1 {
		return usagef("--browser-concurrency must be at least 1, got %d", *browserConcurrency)
	}
	reg, err := e.registry()
	if err != nil {
		return err
	}
	selected, err := selectJourneys(reg, names, *tier, *envName)
	if err != nil {
		return err
	}
	if err := findChromium(selected, *chromium); err != nil {
		return err
	}
	cfg, err := c.loadConfig(e)
	if err != nil {
		return err
	}
	environment, err := cfg.Get(*envName)
	if err != nil {
		return usagef("--env: %v", err)
	}
	by := trigger.Trigger{Type: trigger.CLI, DeploymentID: *deployment, Stage: trigger.Stage(*stage), TargetVersion: *targetVersion}
	if err := by.Validate(); err != nil {
		return usagef("--stage: %v", err)
	}
	// Only the environment this run targets must serve its journeys, at
	// the traffic its stage calls for.
	only, err := cfg.Only(*envName)
	if err != nil {
		return usagef("--env: %v", err)
	}
	if err := only.CheckFor(by, selected); err != nil {
		return usagef("%v", err)
	}

	// The sink listens only when a selected journey awaits it (Journey.Sink),
	// on an ephemeral loopback port unless configured, so runs on one host
	// never clash over it.
	var sinkReader journey.SinkReader
	var inboxDomain string
	sinkText := "no sink: no selected journey awaits notifications"
	var sk *sink.Sink
	if needsSink(selected) || needsInbox(selected) {
		sk = sink.New(sink.Config{Token: environment.Sink.Token, Correlate: environment.Sink.Correlate})
		defer sk.Close()
		sinkReader = sk
	}
	if needsSink(selected) {
		listen := environment.Sink.Listen
		if *sinkListen != "" {
			listen = *sinkListen
		}
		if listen == "" {
			listen = "127.0.0.1:0"
		}
		sinkURL, err := sk.Listen(listen)
		if err != nil {
			return usagef("notification sink cannot listen on %s: %v (set sink.listen in %s or --sink-listen; unset, it takes a free port)", listen, err, cfg.File)
		}
		sinkText = "sink " + sinkURL
	}
	// The SMTP listener likewise, only for journeys that read mail.
	if needsInbox(selected) {
		listen := environment.Inbox.Listen
		if *smtpListen != "" {
			listen = *smtpListen
		}
		if listen == "" {
			listen = "127.0.0.1:0"
		}
		addr, err := sk.ListenSMTP(listen, sink.SMTPConfig{Domain: environment.Inbox.Domain})
		if err != nil {
			return usagef("inbox SMTP listener cannot listen on %s: %v (set inbox.listen in %s or --smtp-listen; unset, it takes a free port)", listen, err, cfg.File)
		}
		inboxDomain = sk.InboxDomain()
		if needsSink(selected) {
			sinkText += ", "
		} else {
			sinkText = ""
		}
		sinkText += "inbox smtp://" + addr + " @" + inboxDomain
	}

	st, err := backend.Open(ctx, c.storePath)
	if err != nil {
		return usagef("open store %s: %v", c.storePath, err)
	}
	defer st.Close()
	if *artifactsDir == "" {
		*artifactsDir = defaultArtifactsDir(c.storePath)
	}
	artifacts := dirArtifacts{dir: *artifactsDir}

	progressOut := e.stdout
	if *asJSON {
		progressOut = e.stderr
	}
	var popts []report.ProgressOption
	if e.width > 0 {
		popts = append(popts, report.WithWidth(e.width))
	}
	progress := report.NewProgress(progressOut, e.isTTY && !*asJSON, popts...)
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	leases, err := newLeases(ctx, st, cfg, e.getenv, logger)
	if err != nil {
		return usagef("%v", err)
	}
	logger = secrets.NewLogger(logger, leases.Redactor())

	runID := runner.NewRunID(time.Now())
	if !*asJSON {
		fmt.Fprintf(progressOut, "journeygate run %s: %d %s against %s (%s)\n", runID, len(selected), pluralize(len(selected), "journey", "journeys"), *envName, sinkText)
	}
	start := time.Now()
	out := runner.Run(ctx, runner.Plan{
		RunID: runID, Environment: *envName,
		Targets: environment.Targets, TestTargets: environment.TestTargets, Settings: environment.Settings,
		Journeys: selected, Concurrency: *concurrency, BrowserConcurrency: *browserConcurrency, Trigger: by,
		FreezeWindow: environment.Gate.Freeze.EffectiveWindow(),
	}, runner.Deps{Store: st, Sink: sinkReader, InboxDomain: inboxDomain, Observe: progress.Observe, Logger: logger, Leases: leases, Artifacts: artifacts})
	progress.Stop()

	rep := report.Run{RunID: runID, Environment: *envName, StartedAt: out.Run.StartedAt, Elapsed: time.Since(start), Results: out.Results, Verdict: out.Verdict}
	if *junitPath != "" {
		if err := writeFileWith(*junitPath, func(f *os.File) error { return report.WriteJUnit(f, rep) }); err != nil {
			fmt.Fprintf(e.stderr, "journeygate run: writing JUnit report: %v\n", err)
			return errFailed // a gate whose report is lost fails closed
		}
	}
	reportLost := false
	if *reportPath != "" {
		// An interrupted run still gets its report, history included.
		if err := writeHTMLReport(context.WithoutCancel(ctx), *reportPath, st, rep, report.HTMLOptions{
			Redactor: leases.Redactor(), Trigger: string(trigger.CLI), Deployment: *deployment,
		}, e); err != nil {
			fmt.Fprintf(e.stderr, "journeygate run: writing the HTML report: %v\n", err)
			reportLost = true // the verdict is still printed, then the run fails closed
		}
	}
	if *asJSON {
		if err := report.WriteJSON(e.stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(e.stdout)
		report.WriteSummary(e.stdout, rep)
	}
	if out.Verdict.Status != gate.Succeeded || reportLost {
		return errFailed
	}
	return nil
}

// needsInbox reports whether a journey of js reads mail.
func needsInbox(js []journey.Journey) bool {
	for _, j := range js {
		if j.Inbox {
			return true
		}
	}
	return false
}

// needsSink reports whether a journey of js awaits the sink: webhooks
// (Journey.Sink) or texts (Journey.SMS).
func needsSink(js []journey.Journey) bool {
	for _, j := range js {
		if j.Sink || j.SMS != "" { // texts arrive as webhooks too (/sms)
			return true
		}
	}
	return false
}

// writeHTMLReport writes the HTML report of rep to path with each
// journey's history read from st. History that cannot be read is left
// out, saying why on stderr and in the page; only a file that cannot be
// written is an error.
func writeHTMLReport(ctx context.Context, path string, st report.HistoryReader, rep report.Run, o report.HTMLOptions, e env) error {
	h, err := report.LoadHistory(ctx, st, rep, report.DefaultHistoryWindow, report.DefaultHistoryRuns)
	if err != nil {
		fmt.Fprintf(e.stderr, "journeygate: the HTML report has no history: %v\n", err)
	}
	o.History, o.Generated = h, time.Now()
	return writeFileWith(path, func(f *os.File) error { return report.WriteHTML(f, rep, o) })
}

func writeFileWith(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
