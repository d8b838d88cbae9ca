package journeys

import (
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// statusConfig is Alertmanager's running configuration as its status API
// shows it under fault wrong-smarthost: the webhook URL hidden, the
// smarthost not the run's SMTP listener's.
const statusConfig = `
route:
  receiver: journeygate-sink
  routes:
    - receiver: journeygate-inbox
      matchers: ['jg_inbox=~".+"']
receivers:
  - name: blackhole
  - name: journeygate-sink
    webhook_configs:
      - url: <secret>
        send_resolved: true
  - name: journeygate-inbox
    email_configs:
      - to: '{{ .CommonLabels.jg_inbox }}'
        smarthost: 127.0.0.1:35275
`

func parseStatusConfig(t *testing.T) amConfig {
	t.Helper()
	var cfg amConfig
	if err := yaml.Unmarshal([]byte(statusConfig), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Under wrong-smarthost the diagnostic names the smarthost Alertmanager
// mails beside the run's listener; it claims no mismatch it cannot see:
// listener unknown (the cloud, a free port) or the same port.
func TestSmarthostCauses(t *testing.T) {
	cfg := parseStatusConfig(t)
	got := smarthostCauses(cfg, "127.0.0.1:33843")
	want := "cause: Alertmanager mails smarthost 127.0.0.1:35275 (receiver journeygate-inbox), not this run's SMTP listener 127.0.0.1:33843 (setting inbox_listener)"
	if len(got) != 1 || got[0] != want {
		t.Errorf("smarthostCauses = %q, want [%q]", got, want)
	}
	for _, listener := range []string{"", "127.0.0.1:35275", "localhost:35275", "0.0.0.0:35275", "not an address"} {
		if got := smarthostCauses(cfg, listener); len(got) != 0 {
			t.Errorf("listener %q: smarthostCauses = %q, want none", listener, got)
		}
	}
}

// Alertmanager's own counters of failed notification requests name the
// integrations that fail, webhooks included, whose URLs its status API
// hides; integrations without failures, or that the configuration does not
// use, go unnamed.
func TestFailingIntegrations(t *testing.T) {
	cfg := parseStatusConfig(t)
	metrics := `# HELP alertmanager_notification_requests_failed_total The total number of failed notification requests.
# TYPE alertmanager_notification_requests_failed_total counter
alertmanager_notification_requests_failed_total{integration="email"} 0
alertmanager_notification_requests_failed_total{integration="slack"} 7
alertmanager_notification_requests_failed_total{integration="webhook"} 4
# TYPE alertmanager_notification_requests_total counter
alertmanager_notification_requests_total{integration="email"} 2
alertmanager_notification_requests_total{integration="slack"} 7
alertmanager_notification_requests_total{integration="webhook"} 5
`
	got := failingIntegrations(cfg, metrics)
	want := []string{
		"failing: 4 of Alertmanager's 5 webhook notification requests since it started failed (alertmanager_notification_requests_failed_total)",
		"  its status API shows webhook URLs as <secret>: check the receiver's URL against the sink's address",
	}
	if !slices.Equal(got, want) {
		t.Errorf("failingIntegrations = %q, want %q", got, want)
	}
	if got := failingIntegrations(cfg, strings.ReplaceAll(metrics, `"webhook"} 4`, `"webhook"} 0`)); len(got) != 0 {
		t.Errorf("no failures: failingIntegrations = %q, want none", got)
	}
}

// Under drop-notifications and slow-group-wait the diagnostic leads with
// the route that explains the breach: one to a receiver with no
// integrations, one whose group_wait outlasts the delivery steps' SLA; a
// healthy tree, or a group_wait it cannot parse, gives none.
func TestRouteCauses(t *testing.T) {
	parse := func(s string) amConfig {
		var cfg amConfig
		if err := yaml.Unmarshal([]byte(s), &cfg); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	receivers := `
receivers:
  - name: blackhole
  - name: journeygate-sink
    webhook_configs:
      - url: <secret>
`
	tests := []struct {
		name, route string
		want        []string
	}{
		{"healthy", "route: {receiver: journeygate-sink, group_wait: 500ms}", nil},
		{"drop-notifications", "route: {receiver: blackhole, group_wait: 500ms}",
			[]string{"cause: the route to receiver blackhole sends nowhere: the receiver has no integrations"}},
		{"slow-group-wait", "route: {receiver: journeygate-sink, group_wait: 5m}",
			[]string{"cause: the route to receiver journeygate-sink holds a group's first notification for group_wait 5m, longer than the 10s a delivery step allows"}},
		{"a child route", "route: {receiver: journeygate-sink, routes: [{receiver: blackhole, group_wait: 30s}]}", []string{
			"cause: the route to receiver blackhole sends nowhere: the receiver has no integrations",
			"cause: the route to receiver blackhole holds a group's first notification for group_wait 30s, longer than the 10s a delivery step allows",
		}},
		{"a group_wait in days", "route: {receiver: journeygate-sink, group_wait: 1d}", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := parse(tc.route + receivers)
			if got := routeCauses(cfg.Route, receiversWithout(cfg), deliverySLA); !slices.Equal(got, tc.want) {
				t.Errorf("routeCauses = %q, want %q", got, tc.want)
			}
		})
	}
}
