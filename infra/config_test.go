package infra

import (
	"io/fs"
	"maps"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/internal/fuzzcheck"
)

// TestParseConfigNamesEveryProblemWithItsLine checks deploy.yaml problems
// the construct would find later are reported when the file is read, each
// with its file, line and key path.
func TestParseConfigNamesEveryProblemWithItsLine(t *testing.T) {
	envs := fuzzcheck.Sample(t, "journeys/environments.yaml")
	parse := func(data string) error {
		_, err := ParseConfig(ConfigPath, []byte(data), func(string) string { return "" }, shippedEnvironments(envs))
		return err
	}
	if err := parse(string(fuzzcheck.Sample(t, ConfigPath))); err != nil {
		t.Fatalf("the shipped %s: %v", ConfigPath, err)
	}
	tests := []struct{ name, data, want string }{
		{"empty", "", ConfigPath + ": no YAML document"},
		{"unknown key", "environments:\n  staging:\n    acount: x\n", ConfigPath + `:3: environments.staging.acount: unknown key "acount" (known: account,`},
		{"wrong kind", "environments:\n  staging:\n    alarm_periods: two\n", ConfigPath + `:3: environments.staging.alarm_periods: is a string "two", want an integer`},
		{"environment name", "environments:\n  Staging_1: {}\n", ConfigPath + `:2: environments.Staging_1: environment name "Staging_1"`},
		{"deployment group", "environments:\n  staging:\n    deployment_groups: [ok/group, app]\n", ConfigPath + `:3: environments.staging.deployment_groups.1: "app" is not APPLICATION/GROUP`},
		{"services of an unlisted group", "environments:\n  staging:\n    deployment_groups: [ok/group]\n    deployment_services:\n      ok/group: [alertmanager]\n      other/group: [alertmanager]\n", ConfigPath + `:6: environments.staging.deployment_services.other/group: "other/group" is not one of deployment_groups [ok/group]`},
		{"functions of an unlisted group", "environments:\n  staging:\n    deployment_groups: [ok/group]\n    lambda_deployment_functions:\n      other/group: [checkout]\n", ConfigPath + `:5: environments.staging.lambda_deployment_functions.other/group: "other/group" is not one of deployment_groups [ok/group]`},
		{"functions of no group", "environments:\n  staging:\n    lambda_deployment_functions:\n      checkout: [checkout]\n", ConfigPath + `:4: environments.staging.lambda_deployment_functions.checkout: "checkout" is not APPLICATION/GROUP`},
		{"a group without functions", "environments:\n  staging:\n    deployment_groups: [ok/group]\n    lambda_deployment_functions:\n      ok/group: []\n", ConfigPath + `:5: environments.staging.lambda_deployment_functions.ok/group: "ok/group" lists no function`},
		{"a function by its ARN", "environments:\n  staging:\n    deployment_groups: [ok/group]\n    lambda_deployment_functions:\n      ok/group: [checkout, \"arn:aws:lambda:us-east-1:123456789012:function:pay\"]\n", ConfigPath + `:5: environments.staging.lambda_deployment_functions.ok/group.1: function "arn:aws:lambda:us-east-1:123456789012:function:pay" is not a function name: an ARN`},
		{"a qualified function", "environments:\n  staging:\n    deployment_groups: [ok/group]\n    lambda_deployment_functions:\n      ok/group: [\"checkout:live\"]\n", ConfigPath + `:5: environments.staging.lambda_deployment_functions.ok/group.0: function "checkout:live" is not a function name: a qualified name`},
		{"schedule tier", "environments:\n  staging:\n    schedules:\n      nightly: 5m\n", ConfigPath + `:4: environments.staging.schedules.nightly: unknown tier "nightly"`},
		{"schedule not in minutes", "environments:\n  staging:\n    schedules:\n      global: 90s\n", ConfigPath + `:4: environments.staging.schedules.global: "90s": want a whole number of minutes`},
		{"unknown key's suggestion", "environments:\n  staging:\n    pagerduty: https://events.example.com\n", `); did you mean "pagerduty_url"?`},
		{"unknown key mistyped", "environments:\n  staging:\n    alarm_period: 3\n", `; did you mean "alarm_periods"?`},
		// CloudWatch rejects an alarm whose Period × EvaluationPeriods
		// (schedule × alarm_periods) is over one day for a period under an
		// hour, over seven days otherwise.
		{"schedule too long for its alarms", "environments:\n  staging:\n    schedules:\n      domain: 96h\n", ConfigPath + `:4: environments.staging.schedules.domain: "96h" with alarm_periods 2 (the default): CloudWatch rejects its alarms, 2 periods of 345600 s being over the 604800 s (7 days) it allows an alarm with a period of an hour or more; use alarm_periods of at most 1, or a schedule that fits 2 periods (at most 84h)`},
		{"schedule longer than any alarm", "environments:\n  staging:\n    schedules:\n      global: 100000h\n", ConfigPath + `:4: environments.staging.schedules.global: "100000h" with alarm_periods 2 (the default): CloudWatch rejects its alarms, 2 periods of 360000000 s being over the 604800 s (7 days) it allows an alarm with a period of an hour or more; no alarm_periods fits a period over 7 days: use a schedule of at most 168h (with alarm_periods 2: at most 84h)`},
		{"schedule under an hour, over a day of periods", "environments:\n  staging:\n    alarm_periods: 100\n    schedules:\n      domain: 59m\n", ConfigPath + `:5: environments.staging.schedules.domain: "59m" with alarm_periods 100: CloudWatch rejects its alarms, 100 periods of 3540 s being over the 86400 s (1 day) it allows an alarm with a period under an hour; use alarm_periods of at most 24, or a schedule that fits 100 periods (at most 14m, or 1h to 100m)`},
		{"alarm periods too many for the default schedule", "environments:\n  staging:\n    alarm_periods: 2000\n", ConfigPath + `:3: environments.staging.alarm_periods: 2000 with the global schedule of 1m (the default): CloudWatch rejects its alarms, 2000 periods of 60 s being over the 86400 s (1 day) it allows an alarm with a period under an hour; want at most 1440`},
		{"alarm periods too many for the default domain schedule", "environments:\n  staging:\n    alarm_periods: 97\n", ConfigPath + `:3: environments.staging.alarm_periods: 97 with the domain schedule of 15m (the default): CloudWatch rejects its alarms, 97 periods of 900 s being over the 86400 s (1 day) it allows an alarm with a period under an hour; want at most 96, or set schedules.domain to a schedule that fits 97 periods (at most 14m, or 1h to 103m)`},
		{"alarm periods too many for any schedule", "environments:\n  staging:\n    alarm_periods: 2000\n    schedules:\n      global: 1m\n", ConfigPath + `:5: environments.staging.schedules.global: "1m" with alarm_periods 2000: CloudWatch rejects its alarms, 2000 periods of 60 s being over the 86400 s (1 day) it allows an alarm with a period under an hour; use alarm_periods of at most 1440 (no schedule fits 2000 periods)`},
		{"negative alarm periods", "environments:\n  staging:\n    alarm_periods: -1\n", ConfigPath + ":3: environments.staging.alarm_periods: -1 is negative"},
		{"report retention too long", "environments:\n  staging:\n    report_retention_days: 4000\n", ConfigPath + ":3: environments.staging.report_retention_days: 4000: want 1 to 3650 days"},
		{"concurrency over the inline Map's", "environments:\n  staging:\n    max_concurrency: 41\n", ConfigPath + ":3: environments.staging.max_concurrency: 41: want 1 to 40, the most an inline Map runs at once"},
		{"sink concurrency", "environments:\n  staging:\n    sink_reserved_concurrency: -3\n", ConfigPath + ":3: environments.staging.sink_reserved_concurrency: -3: want 1 to 1000 (0 or absent: 10)"},
		{"pagerduty over http", "environments:\n  staging:\n    pagerduty_url: http://events.example.com\n", ConfigPath + ":3: environments.staging.pagerduty_url:"},
		{"reserved runner variable", "environments:\n  staging:\n    runner_environment:\n      JOURNEYGATE_TABLE: t\n", ConfigPath + ":4: environments.staging.runner_environment.JOURNEYGATE_TABLE:"},
		{"environments file as a runner variable", "environments:\n  staging:\n    runner_environment:\n      JOURNEYGATE_ENVIRONMENTS_FILE: /opt/envs.yaml\n", ConfigPath + `:4: environments.staging.runner_environment.JOURNEYGATE_ENVIRONMENTS_FILE: "JOURNEYGATE_ENVIRONMENTS_FILE" is set by the construct: name the file in environments_file`},
		{"unset variable", "environments:\n  staging:\n    runner_environment:\n      X: ${NOPE}\n", ConfigPath + ":4: environments.staging.runner_environment.X: variable NOPE is not set"},
		{"environment the runner lacks", "environments:\n  qa: {}\n", ConfigPath + `:2: environments.qa: no environment "qa" in journeys/environments.yaml (defined: local, production, staging): add it there`},
		{"environment mistyped", "environments:\n  stagng: {}\n", ConfigPath + `:2: environments.stagng: no environment "stagng" in journeys/environments.yaml (defined: local, production, staging): add it there; did you mean "staging"?`},
		{"environments file missing", "environments:\n  staging:\n    environments_file: teams/envs.yaml\n", ConfigPath + ":3: environments.staging.environments_file: open teams/envs.yaml: file does not exist"},
		{"name prefix", "environments:\n  staging:\n    name_prefix: Team_B\n", ConfigPath + `:3: environments.staging.name_prefix: "Team_B": want a-z, 0-9 and -`},
		{"name prefix too long", "environments:\n  staging:\n    name_prefix: a-very-long-prefix-of-a-team-that-likes-words\n", ConfigPath + `:3: environments.staging.name_prefix: "a-very-long-prefix-of-a-team-that-likes-words" with environment "staging": 52 characters, at most 48 together`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := parse(tt.data)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseConfigReportRetentionAndSinkConcurrency(t *testing.T) {
	envs := fuzzcheck.Sample(t, "journeys/environments.yaml")
	ds, err := ParseConfig(ConfigPath, []byte("environments:\n  staging:\n    report_retention_days: 7\n    sink_reserved_concurrency: 3\n  production: {}\n"),
		func(string) string { return "" }, shippedEnvironments(envs))
	if err != nil {
		t.Fatal(err)
	}
	got, sink := map[string]int{}, map[string]int{}
	for _, d := range ds {
		got[d.Props.Environment] = d.Props.ReportRetentionDays
		sink[d.Props.Environment] = d.Props.SinkReservedConcurrency
	}
	// 0 leaves the construct's default (DefaultReportRetentionDays).
	if got["staging"] != 7 || got["production"] != 0 {
		t.Errorf("report retention days per environment = %v, want staging 7 and production 0 (the default)", got)
	}
	// 0 leaves the construct's default (DefaultSinkReservedConcurrency).
	if sink["staging"] != 3 || sink["production"] != 0 {
		t.Errorf("sink reserved concurrency per environment = %v, want staging 3 and production 0 (the default)", sink)
	}
}

// shippedEnvironments reads data as DefaultEnvironmentsFile, and nothing
// else.
func shippedEnvironments(data []byte) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		if path == DefaultEnvironmentsFile {
			return data, nil
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
}

// TestParseConfigNamePrefixAndEnvironmentsFile: name_prefix names the
// stack; environments_file is read for the deployment and becomes
// Props.EnvironmentsFile (the default when absent).
func TestParseConfigNamePrefixAndEnvironmentsFile(t *testing.T) {
	envs := fuzzcheck.Sample(t, "journeys/environments.yaml")
	read := func(path string) ([]byte, error) {
		if path == "teams/b.yaml" {
			return envs, nil
		}
		return shippedEnvironments(envs)(path)
	}
	ds, err := ParseConfig(ConfigPath, []byte("environments:\n  staging:\n    name_prefix: team-b\n    environments_file: teams/b.yaml\n  production: {}\n"), func(string) string { return "" }, read)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range ds {
		got[d.StackName()] = d.Props.EnvironmentsFile
	}
	if want := map[string]string{"team-b-staging": "teams/b.yaml", "journeygate-production": DefaultEnvironmentsFile}; !maps.Equal(got, want) {
		t.Errorf("stacks and their environments files = %v, want %v", got, want)
	}
}

// TestParseConfigLambdaDeploymentFunctions: lambda_deployment_functions
// becomes Props.LambdaDeploymentFunctions.
func TestParseConfigLambdaDeploymentFunctions(t *testing.T) {
	envs := fuzzcheck.Sample(t, "journeys/environments.yaml")
	ds, err := ParseConfig(ConfigPath, []byte("environments:\n  staging:\n    deployment_groups: [shop/checkout]\n    lambda_deployment_functions:\n      shop/checkout: [checkout, checkout-worker]\n  production: {}\n"),
		func(string) string { return "" }, shippedEnvironments(envs))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		got := d.Props.LambdaDeploymentFunctions
		switch d.Props.Environment {
		case "staging":
			if want := []string{"checkout", "checkout-worker"}; len(got) != 1 || strings.Join(got["shop/checkout"], ",") != strings.Join(want, ",") {
				t.Errorf("staging: LambdaDeploymentFunctions = %v, want shop/checkout: %v", got, want)
			}
		case "production":
			if len(got) != 0 {
				t.Errorf("production: LambdaDeploymentFunctions = %v, want none", got)
			}
		}
	}
}

// TestParseConfigAlarmRangesAtCloudWatchsBound: the schedules and
// alarm_periods whose alarms are exactly at CloudWatch's bound on Period ×
// EvaluationPeriods are accepted (one day under an hour's period, seven
// days from an hour); one period more is refused at the key that makes it.
func TestParseConfigAlarmRangesAtCloudWatchsBound(t *testing.T) {
	envs := fuzzcheck.Sample(t, "journeys/environments.yaml")
	parse := func(data string) error {
		_, err := ParseConfig(ConfigPath, []byte(data), func(string) string { return "" }, shippedEnvironments(envs))
		return err
	}
	for _, tt := range []struct {
		name, staging, refused string
	}{
		{"7 days of 84h periods", "schedules: {global: 1m, domain: 84h}", ""},
		{"7 days of 168h periods", "alarm_periods: 1\n    schedules: {global: 168h, domain: off}", ""},
		{"over 7 days of 168h periods", "schedules: {global: 168h, domain: off}", "environments.staging.schedules.global"},
		{"7 days of 1h periods", "alarm_periods: 168\n    schedules: {global: 1h, domain: off}", ""},
		{"over 7 days of 1h periods", "alarm_periods: 169\n    schedules: {global: 1h, domain: off}", "environments.staging.schedules.global"},
		{"1 day of 1m periods", "alarm_periods: 1440\n    schedules: {domain: off}", ""},
		{"over 1 day of 1m periods", "alarm_periods: 1441\n    schedules: {domain: off}", "environments.staging.alarm_periods"},
		{"1 day of 15m periods", "alarm_periods: 96", ""},
		{"a tier turned off has no alarms", "alarm_periods: 1000\n    schedules: {global: 1m, domain: off}", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := parse("environments:\n  staging:\n    " + tt.staging + "\n")
			switch {
			case tt.refused == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.refused != "" && (err == nil || !strings.Contains(err.Error(), tt.refused+": ") || !strings.Contains(err.Error(), "CloudWatch rejects its alarms")):
				t.Fatalf("err = %v\nwant CloudWatch's bound named at %s", err, tt.refused)
			}
		})
	}
}
