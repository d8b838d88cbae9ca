package journeys

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/journeygate/journeygate/shared/journey"
)

// diagnostics is what every example captures when a step fails:
// Alertmanager's routes and receivers, which explain most undelivered
// notifications (a route to a receiver that sends nowhere, a group_wait
// beyond the SLA, send_resolved off).
var diagnostics = []journey.Diagnostic{{Name: "alertmanager routes and receivers", Capture: captureRouting}}

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

// captureRouting reads Alertmanager's status and renders its routing tree
// and receivers, one line each:
//
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
	return strings.TrimRight(b.String(), "\n"), nil
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
