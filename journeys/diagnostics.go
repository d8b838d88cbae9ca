package journeys

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/journeygate/journeygate/shared/journey"
)

// diagnostics is what every example captures when a step fails:
// Alertmanager's routes and receivers, which explain most undelivered
// notifications (a route to a receiver that sends nowhere, a group_wait
// beyond the SLA, send_resolved off).
var diagnostics = []journey.Diagnostic{{Name: "alertmanager routes and receivers", Capture: captureRouting}}

// deliverySLA is the SLA of every step that awaits a notification: a
// group_wait longer than it can only breach.
const deliverySLA = 10 * time.Second

// amStatus is the part of GET /api/v2/status a diagnostic reads.
type amStatus struct {
	Cluster struct {
		Status string `json:"status"`
	} `json:"cluster"`
	Config struct {
		// Original is the running configuration as YAML, with Alertmanager's
		// own secrets (URLs, credentials) shown as <secret>.
		Original string `json:"original"`
	} `json:"config"`
	Uptime      string `json:"uptime"`
	VersionInfo struct {
		Version string `json:"version"`
	} `json:"versionInfo"`
}

// amRoute is a route of Alertmanager's configuration.
type amRoute struct {
	Receiver       string            `yaml:"receiver"`
	GroupBy        []string          `yaml:"group_by"`
	GroupWait      string            `yaml:"group_wait"`
	GroupInterval  string            `yaml:"group_interval"`
	RepeatInterval string            `yaml:"repeat_interval"`
	Matchers       []string          `yaml:"matchers"`
	Match          map[string]string `yaml:"match"`
	MatchRE        map[string]string `yaml:"match_re"`
	Continue       bool              `yaml:"continue"`
	Routes         []amRoute         `yaml:"routes"`
}

// amConfig is the part of Alertmanager's configuration a diagnostic shows.
type amConfig struct {
	Route     amRoute          `yaml:"route"`
	Receivers []map[string]any `yaml:"receivers"`
}

// inboxListenerSetting is the setting that holds the host:port the run's
// SMTP listener binds when the environment fixes it (inbox.listen): the
// smarthost an email receiver must mail. Unset (a free port, or the cloud,
// where the smarthost is Amazon SES's), the diagnostic compares nothing.
const inboxListenerSetting = "inbox_listener"

// captureRouting reads Alertmanager's status and renders its routing tree
// and receivers, one line each, after what it can tell of the cause: an
// email receiver mailing another smarthost than the run's SMTP listener,
// a route to a receiver with no integrations or with a group_wait beyond
// the delivery steps' SLA, and integrations whose notification requests
// fail (from /metrics):
//
//	cause: the route to receiver blackhole sends nowhere: the receiver has no integrations
//	cause: Alertmanager mails smarthost 127.0.0.1:35275 (receiver journeygate-inbox), not this run's SMTP listener 127.0.0.1:33843 (setting inbox_listener)
//	route: receiver blackhole, group_by [alertname jg_run jg_key], group_wait 500ms, ...
//	receiver blackhole: no integrations: what it receives goes nowhere
func captureRouting(ctx context.Context, t *journey.T) (string, error) {
	resp, err := t.HTTP(target).Get(ctx, "/api/v2/status")
	if err != nil {
		return "", err
	}
	if err := resp.Expect(200); err != nil {
		return "", err
	}
	var st amStatus
	if err := resp.JSON(&st); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("alertmanager")
	if v := st.VersionInfo.Version; v != "" {
		b.WriteString(" " + v)
	}
	fmt.Fprintf(&b, ", cluster %s, up since %s\n", orNone(st.Cluster.Status), orNone(st.Uptime))
	var cfg amConfig
	if err := yaml.Unmarshal([]byte(st.Config.Original), &cfg); err != nil {
		// Show what there is rather than nothing.
		fmt.Fprintf(&b, "configuration (not parsed: %v):\n%s", err, st.Config.Original)
		return b.String(), nil
	}
	writeRoute(&b, cfg.Route, "")
	for _, r := range cfg.Receivers {
		b.WriteString(describeReceiver(r) + "\n")
	}
	causes := routeCauses(cfg.Route, receiversWithout(cfg), deliverySLA)
	causes = append(causes, smarthostCauses(cfg, t.Setting(inboxListenerSetting))...)
	metrics, err := readMetrics(ctx, t)
	if err != nil {
		fmt.Fprintf(&b, "notification metrics: not read (%v)\n", err)
	} else {
		causes = append(causes, failingIntegrations(cfg, metrics)...)
	}
	if len(causes) > 0 {
		return strings.Join(causes, "\n") + "\n" + strings.TrimRight(b.String(), "\n"), nil
	}
	return strings.TrimRight(b.String(), "\n"), nil
}

// integration is one entry of a receiver's <kind>_configs.
type integration struct {
	receiver string
	config   map[string]any
}

// integrations returns the configuration's integrations (its receivers'
// <kind>_configs entries) by kind: email, webhook, ...
func integrations(cfg amConfig) map[string][]integration {
	out := map[string][]integration{}
	for _, r := range cfg.Receivers {
		name, _ := r["name"].(string)
		for k, v := range r {
			kind, ok := strings.CutSuffix(k, "_configs")
			if !ok {
				continue
			}
			list, _ := v.([]any)
			for _, item := range list {
				c, _ := item.(map[string]any)
				out[kind] = append(out[kind], integration{name, c})
			}
		}
	}
	return out
}

// smarthostCauses names each email receiver that mails another smarthost
// than the run's SMTP listener at listener. It claims a mismatch only when
// it sees one: listener known and the ports differ (the hosts may be two
// names of one machine).
func smarthostCauses(cfg amConfig, listener string) []string {
	if listener == "" {
		return nil
	}
	_, listenPort, err := net.SplitHostPort(listener)
	if err != nil {
		return nil
	}
	var out []string
	emails := integrations(cfg)["email"]
	sort.Slice(emails, func(i, j int) bool { return emails[i].receiver < emails[j].receiver })
	for _, e := range emails {
		host, _ := e.config["smarthost"].(string)
		if _, port, err := net.SplitHostPort(host); err != nil || port == listenPort {
			continue
		}
		out = append(out, fmt.Sprintf("cause: Alertmanager mails smarthost %s (receiver %s), not this run's SMTP listener %s (setting %s)",
			host, orNone(e.receiver), listener, inboxListenerSetting))
	}
	return out
}

// routeCauses names what in the routing tree under r keeps every
// notification through a route from arriving in time: a receiver with no
// integrations (silent, in silent), or a group_wait, as the route sets
// it, longer than sla (a value Go cannot parse, "1d", is left alone
// rather than guessed).
func routeCauses(r amRoute, silent map[string]bool, sla time.Duration) []string {
	var out []string
	if silent[r.Receiver] {
		out = append(out, fmt.Sprintf("cause: the route to receiver %s sends nowhere: the receiver has no integrations", r.Receiver))
	}
	if d, err := time.ParseDuration(r.GroupWait); err == nil && d > sla {
		out = append(out, fmt.Sprintf("cause: the route to receiver %s holds a group's first notification for group_wait %s, longer than the %s a delivery step allows",
			orNone(r.Receiver), r.GroupWait, sla))
	}
	for _, c := range r.Routes {
		out = append(out, routeCauses(c, silent, sla)...)
	}
	return out
}

// receiversWithout returns the names of the receivers that have no
// integration (no <kind>_configs entry).
func receiversWithout(cfg amConfig) map[string]bool {
	out := map[string]bool{}
	for _, r := range cfg.Receivers {
		name, _ := r["name"].(string)
		silent := true
		for k, v := range r {
			if list, _ := v.([]any); strings.HasSuffix(k, "_configs") && len(list) > 0 {
				silent = false
			}
		}
		if silent {
			out[name] = true
		}
	}
	return out
}

// readMetrics returns Alertmanager's /metrics text.
func readMetrics(ctx context.Context, t *journey.T) (string, error) {
	resp, err := t.HTTP(target).Get(ctx, "/metrics")
	if err != nil {
		return "", err
	}
	if err := resp.Expect(200); err != nil {
		return "", err
	}
	return string(resp.Body), nil
}

// integrationLabel is the integration label of an Alertmanager metric.
var integrationLabel = regexp.MustCompile(`(?:^|,)integration="([^"]*)"`)

// failingIntegrations names each integration the configuration uses whose
// notification requests Alertmanager counts as failed in metrics (its
// /metrics text): its counters cover every receiver of that integration
// since Alertmanager started, and its log says why they failed. A
// webhook's URL, which its status API hides, is the first thing to check.
func failingIntegrations(cfg amConfig, metrics string) []string {
	type count struct{ failed, total float64 }
	counts := map[string]*count{}
	for _, line := range strings.Split(metrics, "\n") {
		name, rest, ok := strings.Cut(line, "{")
		if !ok || (name != "alertmanager_notification_requests_total" && name != "alertmanager_notification_requests_failed_total") {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		m := integrationLabel.FindStringSubmatch(labels)
		fields := strings.Fields(value)
		if !ok || m == nil || len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		c := counts[m[1]]
		if c == nil {
			c = &count{}
			counts[m[1]] = c
		}
		if name == "alertmanager_notification_requests_failed_total" {
			c.failed += v
		} else {
			c.total += v
		}
	}
	used := integrations(cfg)
	kinds := make([]string, 0, len(used))
	for k := range used {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var out []string
	for _, kind := range kinds {
		c := counts[kind]
		if c == nil || c.failed == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("failing: %.0f of Alertmanager's %.0f %s notification requests since it started failed (alertmanager_notification_requests_failed_total)",
			c.failed, c.total, kind))
		if kind == "webhook" && slices.ContainsFunc(used[kind], func(e integration) bool { return fmt.Sprint(e.config["url"]) == "<secret>" }) {
			out = append(out, "  its status API shows webhook URLs as <secret>: check the receiver's URL against the sink's address")
		}
	}
	return out
}

// writeRoute writes a route and, indented, its child routes.
func writeRoute(b *strings.Builder, r amRoute, indent string) {
	var parts []string
	if m := routeMatchers(r); m != "" {
		parts = append(parts, "matching "+m)
	}
	parts = append(parts, "receiver "+orNone(r.Receiver))
	if len(r.GroupBy) > 0 {
		parts = append(parts, "group_by ["+strings.Join(r.GroupBy, " ")+"]")
	}
	for _, kv := range [][2]string{{"group_wait", r.GroupWait}, {"group_interval", r.GroupInterval}, {"repeat_interval", r.RepeatInterval}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+" "+kv[1])
		}
	}
	if r.Continue {
		parts = append(parts, "continue")
	}
	fmt.Fprintf(b, "%sroute: %s\n", indent, strings.Join(parts, ", "))
	for _, c := range r.Routes {
		writeRoute(b, c, indent+"  ")
	}
}

// routeMatchers renders a route's matchers, old and new style, sorted.
func routeMatchers(r amRoute) string {
	m := append([]string(nil), r.Matchers...)
	for k, v := range r.Match {
		m = append(m, fmt.Sprintf("%s=%q", k, v))
	}
	for k, v := range r.MatchRE {
		m = append(m, fmt.Sprintf("%s=~%q", k, v))
	}
	sort.Strings(m)
	if len(m) == 0 {
		return ""
	}
	return "{" + strings.Join(m, ", ") + "}"
}

// describeReceiver renders a receiver with its integrations: a webhook's
// URL (Alertmanager shows <secret> for it), an email's recipient and
// smarthost, and send_resolved, or that it has none, so what it receives
// goes nowhere.
func describeReceiver(r map[string]any) string {
	name, _ := r["name"].(string)
	var kinds []string
	for k := range r {
		if strings.HasSuffix(k, "_configs") {
			kinds = append(kinds, k)
		}
	}
	sort.Strings(kinds)
	var parts []string
	for _, k := range kinds {
		list, _ := r[k].([]any)
		for _, item := range list {
			c, _ := item.(map[string]any)
			part := strings.TrimSuffix(k, "_configs")
			if u, ok := c["url"]; ok {
				part += fmt.Sprintf(" %v", u)
			}
			if to, ok := c["to"]; ok {
				part += fmt.Sprintf(" to %v", to)
			}
			if host, ok := c["smarthost"]; ok {
				part += fmt.Sprintf(" via %v", host)
			}
			if sr, ok := c["send_resolved"]; ok {
				part += fmt.Sprintf(" (send_resolved %v)", sr)
			}
			parts = append(parts, part)
		}
	}
	if len(parts) == 0 {
		return "receiver " + orNone(name) + ": no integrations: what it receives goes nowhere"
	}
	return "receiver " + orNone(name) + ": " + strings.Join(parts, "; ")
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
