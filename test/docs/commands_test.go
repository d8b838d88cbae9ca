package docs

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/journeygate/journeygate/test/repo"
)

// coverage says which tests run a documented command, or do what it does.
type coverage struct {
	// by names the tests, each as "DIR.TestName" (DIR relative to the
	// repository root); each must exist.
	by []string
	// needsAWS marks a command that needs an AWS account: the tests in by
	// synthesize, or stand in for AWS, instead.
	needsAWS bool
	// how says what the tests do with it.
	how string
}

// covered maps every shell command of README.md's and docs/*.md's ```sh
// blocks (as Commands gives it) to the tests that run it. A command
// missing here fails TestEveryDocumentedCommandIsTested: run it in a
// test, then list it with that test.
var covered = map[string]coverage{
	// README.md
	"make run": {by: []string{"test/addjourney.TestAddingAJourneyKeepsTheDemoAndTestsGreen", "test/integration.TestMakeRunDemo"},
		how: "test/addjourney runs make run itself (in a copy of the repository with a journey added); TestMakeRunDemo runs its demo healthy"},
	"make test": {by: []string{"test/docs.TestEveryDocumentedCommandIsTested"},
		how: "make test is the run of every test, this one among them; TestEveryDocumentedCommandIsTested checks its target exists"},
	"make run FAULT=drop-notifications": {by: []string{"test/integration.TestMakeRunDemo"}, how: "runs the demo with -fault drop-notifications: exit 1, Failed naming the journey and step"},
	"make run FAULT=slow-group-wait":    {by: []string{"test/integration.TestMakeRunDemo"}, how: "runs the demo with -fault slow-group-wait"},
	"make run FAULT=no-resolved":        {by: []string{"test/integration.TestMakeRunDemo"}, how: "runs the demo with -fault no-resolved"},
	"make run FAULT=ui-not-routed":      {by: []string{"test/integration.TestMakeRunDemo", "test/integration.TestFaultsFailTheGateNamingTheStep"}, how: "runs the demo with -fault ui-not-routed: exit 1, Failed naming silence-through-ui and step web UI opened; in-process, the step keeps a screenshot"},
	"make run FAULT=wrong-smarthost":    {by: []string{"test/integration.TestMakeRunDemo", "test/soak.TestCoverageNamesEveryFault"}, how: "runs the demo with -fault wrong-smarthost: exit 1, Failed naming alert-to-email, step mail delivered and 0 mails for this inbox"},
	"make run FAULT=group-by-instance":  {by: []string{"test/integration.TestMakeRunDemo", "test/soak.TestCoverageNamesEveryFault"}, how: "runs the demo with -fault group-by-instance: exit 1, Failed naming alert-grouping and step one notification with all three"},
	"make run FAULT=wrong-webhook-url":  {by: []string{"test/integration.TestMakeRunDemo", "test/soak.TestCoverageNamesEveryFault"}, how: "runs the demo with -fault wrong-webhook-url: exit 1, Failed naming alert-to-notification, step notification delivered and 0 deliveries for this run"},

	// README.md, docs/adopt.md
	"go build -o bin/journeygate ./cmd/journeygate": {by: []string{"test/starter.TestInitStarterBuildsRunsAndSynthesizes"},
		how: "builds this checkout's CLI with go build -o DIR/bin/journeygate ./cmd/journeygate, as make cli does into bin/"},
	"bin/journeygate init ../shop-journeys --module github.com/acme/shop-journeys --replace .": {by: []string{"test/starter.TestInitStarterBuildsRunsAndSynthesizes", "internal/cli.TestInit"},
		how: "runs that CLI's init DIR --module example.com/acme/shop-journeys --replace (this checkout), then go mod tidy, make build, make run, make test and make synth in the new repository, then make build and make synth again with a UI journey added; TestInit: without --replace or --version a development build refuses"},

	// docs/journeys.md
	"curl -u jg:$JOURNEYGATE_SINK_TOKEN --data-urlencode To=+15557654321 --data-urlencode From=+15550001111 --data-urlencode 'Body=Your login code is 123456' http://127.0.0.1:9097/sms/twilio": {
		by:  []string{"internal/sink.TestSMSAttributionByLeasedNumber", "internal/sink.TestSMSRouteRejects"},
		how: "the same request in Go: a Twilio-shaped form (To, From, Body) with the sink token as a Basic password, posted to the sink's /sms route while a journey awaits the leased number's text, answered 204; and what the route refuses"},

	// docs/cli.md: the synopsis
	"journeygate list [--tier global|domain] [--json]": {by: []string{"internal/cli.TestListShowsEveryJourneyWithSLAs", "internal/cli.TestListJSONSaysWhichJourneysDriveABrowser", "internal/cli.TestUsageAndConfigErrorsExit2"},
		how: "list, list --json (browser among its fields), and its flags' errors"},
	"journeygate run [--env local] [--journey NAME]... [--tier global|domain] [--concurrency 4] [--junit FILE] [--json] [--deployment ID] [--report FILE.html] [--browser-concurrency 2] [--chromium PATH] [--artifacts DIR] [--sink-listen ADDR] [--smtp-listen ADDR] [--stage STAGE] [--target-version VERSION] [-v]": {
		by: []string{"internal/cli.TestRunJSONIsMachineReadable", "internal/cli.TestRunSelectsTheEnvironmentsJourneys", "internal/cli.TestRunWithDeploymentAppliesPolicies",
			"internal/cli.TestRunWritesHTMLReport", "internal/cli.TestTwoRunsAtOnceGetTheirOwnSink", "test/integration.TestTwoConcurrentRunsShareOneAlertmanager",
			"internal/cli.TestRunStageDecidesTarget", "internal/cli.TestUsageAndConfigErrorsExit2", "internal/cli.TestRunSMTPListen", "internal/cli.TestRunKeepsSecretsOutOfEveryOutput"},
		how: "run with --json --tier, --env and --journey, --deployment, --report, --junit and --sink-listen against real Alertmanagers; --smtp-listen with an inbox journey mailing it; --stage and --target-version against a test target, and their errors; -v; --browser-concurrency's error; --chromium and --artifacts only as run -h lists them (this test's flag check)"},
	"journeygate history [--journey NAME] [--env NAME] [--window 7d] [--runs 20] [--min-runs 20] [--max-flake-rate 5%]": {
		by: []string{"internal/cli.TestHistoryReadiness", "internal/cli.TestHistoryFlagErrors"}, how: "history with each flag, and each flag's errors"},
	"journeygate show RUN_ID [--json]":                       {by: []string{"internal/cli.TestShowPrintsTheWholeRun"}, how: "show, plain and --json"},
	"journeygate show RUN_ID --html FILE.html":               {by: []string{"internal/cli.TestShowWritesHTMLReport"}, how: "show --html"},
	"journeygate leases [--env NAME] [--pool NAME] [--json]": {by: []string{"internal/cli.TestLeasesListsPools"}, how: "leases"},
	`journeygate override --deployment ID --reason "..." [--by NAME] [--ttl 1h]`: {by: []string{"internal/cli.TestOverrideUsage", "internal/cli.TestOverrideRecordsWhoFromUser"},
		how: "override with and without each flag"},
	"journeygate decide --run ID [--by NAME] [--json] [--endpoint codedeploy=URL]... [-v]": {by: []string{"internal/cli.TestDecideReportsToAWaitingHookOnce", "internal/cli.TestDocsSynopsisListsEveryFlag"},
		how: "decide --run --endpoint codedeploy=URL against a local CodeDeploy, without -v quiet; --by and --json only as decide -h lists them (this test's flag check, and TestDocsSynopsisListsEveryFlag)"},
	"journeygate invoke runner|gate|hook|sink --event FILE [--env NAME] [--endpoint SERVICE=URL]... [--state-machine ARN] [--sink-token TOKEN] [--sink-secret KEY] [--timeout 15m] [-v]": {
		by:  []string{"internal/cli.TestInvokeHelp", "internal/cli.TestInvokeUsageErrors", "internal/cli.TestInvokeSink", "internal/cli.TestInvokeHookAgainstStandIns"},
		how: "invoke's usage, errors and each function; --sink-token with the sink, --state-machine with the hook against local stand-ins; --sink-secret, --timeout and -v only as invoke -h lists them (this test's flag check)"},
	"journeygate init DIR --module PATH [--version VERSION | --replace DIR]": {by: []string{"internal/cli.TestInit", "test/starter.TestInitStarterBuildsRunsAndSynthesizes"},
		how: "init's usage and errors, init --version, and init --module --replace into a temporary folder, whose repository then builds, runs and synthesizes"},
	// docs/cli.md: invoke examples
	"journeygate invoke hook --event events/codedeploy-hook.json": {by: []string{"internal/cli.TestInvokeHookDryRun"}, how: "invoke hook with each sample hook event, a dry run"},
	"journeygate invoke runner --event events/runner-plan.json --env local": {by: []string{"internal/cli.TestInvokeRunnerThenGate"},
		how: "invoke runner with events/runner-plan.json (env local, the default)"},
	"journeygate invoke gate --event events/gate-decide.json --endpoint codedeploy=http://127.0.0.1:PORT": {
		by: []string{"internal/cli.TestInvokeRunnerThenGate", "internal/cli.TestInvokeHookAgainstStandIns"}, how: "invoke gate after the runner, and --endpoint codedeploy=URL against a local CodeDeploy"},

	// docs/gate-policies.md
	`journeygate override --deployment d-7GW8E5HQ2 --reason "INC-42: hotfix; resolve-lifecycle broken upstream" [--by NAME] [--ttl 1h] [--store SPEC]`: {
		by: []string{"internal/cli.TestOverrideRecordsWhoFromUser", "internal/cli.TestRunWithDeploymentAppliesPolicies"}, how: "override, then a gated run it lets through"},
	"journeygate decide --run RUN_ID [--store SPEC] [--config FILE] [--by NAME] [--endpoint codedeploy=URL]... [--json]": {
		by: []string{"internal/cli.TestDecideReportsToAWaitingHookOnce", "internal/cli.TestDecideUndecidedRunIsAUsageError"}, how: "decide after an override, and of a run not decided yet"},
	"journeygate show RUN_ID [--store SPEC] [--json]": {by: []string{"internal/cli.TestShowPrintsTheWholeRun"}, how: "show, plain and --json"},

	// docs/deploy.md
	"make infra/_cli/node_modules/.bin/cdk": {by: []string{"test/docs.TestEveryDocumentedCommandIsTested"},
		how: "installs the pinned CDK CLI from the npm registry, which only make diff and make deploy (AWS) use; the test checks the rule exists and that infra/_cli/package.json pins the version the docs name"},
	"infra/_cli/node_modules/.bin/cdk bootstrap aws://ACCOUNT/REGION": {needsAWS: true, by: []string{"infra.TestFunctions", "test/cfnvalidate.TestTemplatesPassAWSValidators"},
		how: "needs AWS: bootstraps an account; the stacks are synthesized instead, offline, and checked by AWS's own validators"},
	"make synth": {by: []string{"infra.TestFunctions", "functions.TestMakefileBuildsTheSameWay", "test/cfnvalidate.TestTemplatesPassAWSValidators"},
		how: "synthesizes every stack of infra/deploy.yaml as infra/app does (infratest.Synthesize: LoadConfig, the catalogue, NewStack), and checks make build's flags"},
	"make diff ENV=staging": {needsAWS: true, by: []string{"infra.TestFunctions", "infra.TestLeastPrivilege"},
		how: "needs AWS: compares with the deployed stack; the staging stack is synthesized instead"},
	"make deploy ENV=staging": {needsAWS: true, by: []string{"infra.TestFunctions", "infra.TestNoUnsuppressedNagErrors", "test/cfnvalidate.TestTemplatesPassAWSValidators", "test/contract.TestCodeDeployHealthyTargetSucceeds"},
		how: "needs AWS: synthesized instead (cdk-nag, AWS's validators), and the contract test runs the synthesized staging state machine"},
	// docs/inbox.md
	"aws sesv2 create-email-identity --email-identity inbox.example.com": {needsAWS: true, by: []string{"infra.TestInbox"},
		how: "needs AWS: verifies the inbox domain with SES (DNS records it prints); the stack with an inbox domain is synthesized instead, its receipt rule for the domain checked"},
	"aws ses set-active-receipt-rule-set --rule-set-name journeygate-staging-inbox": {needsAWS: true, by: []string{"infra.TestInbox", "test/cfnvalidate.TestTemplatesPassAWSValidators"},
		how: "needs AWS: activates the rule set; the stack with an inbox domain is synthesized instead: TestInbox checks the set journeygate-staging-inbox holds the inbox rule, and AWS's validators check the journeygate-staging+inbox variant"},
	`aws deploy update-deployment-group --application-name alertmanager --current-deployment-group-name alertmanager-staging --alarm-configuration "enabled=true,alarms=[{name=journeygate-staging-global-journeys},{name=journeygate-staging-alert-to-notification}]" --auto-rollback-configuration "enabled=true,events=DEPLOYMENT_FAILURE,DEPLOYMENT_STOP_ON_ALARM"`: {
		needsAWS: true, by: []string{"infra.TestAlarmsAndOutputs"},
		how: "needs AWS: configures a deployment group; the synthesized staging stack's alarms carry the names it lists"},
}

// TestEveryDocumentedCommandIsTested: every command of the docs' ```sh
// blocks is listed in covered with tests that exist; nothing is listed
// that the docs no longer say; every make command names a target of the
// Makefile; every journeygate command uses only flags its command accepts.
func TestEveryDocumentedCommandIsTested(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	md, err := Markdown(root)
	if err != nil {
		t.Fatal(err)
	}
	cmds, err := Commands(root, md)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) == 0 {
		t.Fatal("no commands found in the docs' ```sh blocks")
	}
	seen := map[string]bool{}
	for _, c := range cmds {
		seen[c.Text] = true
		cov, ok := covered[c.Text]
		if !ok {
			t.Errorf("%s:%d: %q is run by no test listed in test/docs (covered): run it in a test, then list it there with that test (a command that needs AWS: the test that synthesizes instead)", c.File, c.Line, c.Text)
			continue
		}
		if len(cov.by) == 0 || cov.how == "" {
			t.Errorf("%s:%d: %q: covered names no test or does not say how", c.File, c.Line, c.Text)
		}
		if cov.needsAWS && !strings.HasPrefix(cov.how, "needs AWS") {
			t.Errorf("%q needs AWS: its how must say so and what is synthesized instead", c.Text)
		}
	}
	var stale []string
	for text := range covered {
		if !seen[text] {
			stale = append(stale, text)
		}
	}
	sort.Strings(stale)
	for _, text := range stale {
		t.Errorf("covered lists %q, which no ```sh block of README.md or docs/*.md says any more: drop it", text)
	}

	t.Run("tests exist", func(t *testing.T) {
		for text, cov := range covered {
			for _, by := range cov.by {
				if err := testExists(root, by); err != nil {
					t.Errorf("%q: %v", text, err)
				}
			}
		}
	})
	t.Run("make targets exist", func(t *testing.T) {
		for _, c := range cmds {
			args := strings.Fields(c.Text)
			if args[0] != "make" {
				continue
			}
			cmd := exec.Command("make", append([]string{"-n", "-s"}, args[1:]...)...)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s:%d: %q: make -n: %v\n%s", c.File, c.Line, c.Text, err, out)
			}
		}
	})
	t.Run("the CDK CLI version", func(t *testing.T) {
		var pkg struct {
			DevDependencies map[string]string `json:"devDependencies"`
		}
		b, err := os.ReadFile(filepath.Join(root, "infra/_cli/package.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &pkg); err != nil {
			t.Fatal(err)
		}
		want := "aws-cdk " + pkg.DevDependencies["aws-cdk"]
		deploy, err := os.ReadFile(filepath.Join(root, "docs/deploy.md"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(deploy), "("+want+")") {
			t.Errorf("docs/deploy.md does not name the pinned CDK CLI (%s) beside make infra/_cli/node_modules/.bin/cdk", want)
		}
	})
	t.Run("journeygate flags", func(t *testing.T) {
		cli := buildCLI(t, root)
		for _, c := range cmds {
			args := strings.Fields(c.Text)
			if args[0] != "journeygate" || len(args) < 2 {
				continue
			}
			accepted := flagsOf(t, cli, args[1])
			for _, m := range flagRE.FindAllStringSubmatch(c.Text, -1) {
				if !accepted[m[1]] {
					t.Errorf("%s:%d: journeygate %s has no flag --%s (its flags: %s)", c.File, c.Line, args[1], m[1], keys(accepted))
				}
			}
		}
	})
}

var flagRE = regexp.MustCompile(`(?:^|[\s\[])--([a-z][a-z0-9-]*)`)

// testExists finds "func TestName(" in DIR's _test.go files, for
// by = "DIR.TestName".
func testExists(root, by string) error {
	i := strings.LastIndex(by, ".")
	if i < 0 {
		return fmt.Errorf("%q is not DIR.TestName", by)
	}
	dir, name := by[:i], by[i+1:]
	files, err := filepath.Glob(filepath.Join(root, dir, "*_test.go"))
	if err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), "\nfunc "+name+"(") {
			return nil
		}
	}
	return fmt.Errorf("no test %s in %s", name, dir)
}

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// buildCLI builds this repository's journeygate once per test process.
func buildCLI(t *testing.T, root string) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "journeygate-docs-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "journeygate")
		cmd := exec.Command("go", "build", "-o", cliPath, "./cmd/journeygate")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build ./cmd/journeygate: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

var helpFlagRE = regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)

// flagsOf returns the flags `journeygate command -h` lists.
func flagsOf(t *testing.T, cli, command string) map[string]bool {
	t.Helper()
	out, _ := exec.Command(cli, command, "-h").CombinedOutput() // -h exits 0 or 2 by command
	flags := map[string]bool{}
	for _, m := range helpFlagRE.FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	if len(flags) == 0 {
		t.Fatalf("journeygate %s -h lists no flags:\n%s", command, out)
	}
	return flags
}

func keys(m map[string]bool) string {
	var ks []string
	for k := range m {
		ks = append(ks, "--"+k)
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

// The command extraction the test relies on: comments, continuations,
// indented synopses, prompts and other fences.
func TestCommandsParsesShBlocks(t *testing.T) {
	dir := t.TempDir()
	text := "# T\n\n```sh\nmake run    # a comment\nmake run FAULT=x\n\njourneygate run [--env local]\n                [--json]   # more\naws deploy x \\\n  --y \"a # b\"\n```\n\n```\n$ journeygate history\n```\n\n* item\n\n  ```sh\n  $ journeygate show RUN_ID\n  ```\n"
	if err := os.WriteFile(filepath.Join(dir, "x.md"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Commands(dir, []string{"x.md"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Command{
		{File: "x.md", Line: 4, Text: "make run"},
		{File: "x.md", Line: 5, Text: "make run FAULT=x"},
		{File: "x.md", Line: 7, Text: "journeygate run [--env local] [--json]"},
		{File: "x.md", Line: 9, Text: `aws deploy x --y "a # b"`},
		{File: "x.md", Line: 20, Text: "journeygate show RUN_ID"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d commands %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i].File != want[i].File || got[i].Line != want[i].Line || got[i].Text != want[i].Text {
			t.Errorf("command %d: got %s:%d %q, want %s:%d %q", i, got[i].File, got[i].Line, got[i].Text, want[i].File, want[i].Line, want[i].Text)
		}
	}
}
