package main

import (
	"strings"
	"testing"

	"github.com/journeygate/journeygate/test/alertmanager"
)

// The demo adds the examples' --journey flags only when the flags passed
// through after -- do not choose the journeys themselves.
func TestSelectsJourneys(t *testing.T) {
	cases := []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--store", "x.db", "-v"}, false},
		{[]string{"--journey", "alert-grouping"}, true},
		{[]string{"-journey=alert-grouping"}, true},
		{[]string{"--tier", "global"}, true},
		{[]string{"--tier=domain"}, true},
		{[]string{"--junit", "journey"}, false},
		{[]string{"--", "--journey"}, false},
	}
	for _, c := range cases {
		if got := selectsJourneys(c.args); got != c.want {
			t.Errorf("selectsJourneys(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}

// The banner names the addresses Alertmanager was given, so under
// wrong-smarthost and wrong-webhook-url it shows where Alertmanager really
// delivers, beside the run's sink and SMTP listener it misses.
func TestBannerNamesWhereAlertmanagerDelivers(t *testing.T) {
	const sink, smtp = "127.0.0.1:1111", "127.0.0.1:2222"
	cases := []struct {
		webhook, smarthost string
		want, not          []string
	}{
		{"http://" + sink + "/", smtp,
			[]string{"delivering to http://127.0.0.1:1111/ (the run's sink)", "mailing smarthost 127.0.0.1:2222 (the run's SMTP listener)"},
			[]string{"not the run's"}},
		{"http://" + sink + "/", "127.0.0.1:3333",
			[]string{"mailing smarthost 127.0.0.1:3333 (not the run's SMTP listener 127.0.0.1:2222)"},
			[]string{"mailing smarthost 127.0.0.1:2222"}},
		{"http://127.0.0.1:4444/", smtp,
			[]string{"delivering to http://127.0.0.1:4444/ (not the run's sink 127.0.0.1:1111)"},
			[]string{"delivering to http://127.0.0.1:1111/"}},
	}
	for _, c := range cases {
		am := &alertmanager.Instance{URL: "http://127.0.0.1:9093", Webhooks: []string{c.webhook}, Smarthost: c.smarthost}
		got := banner(am, "setup", sink, smtp)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("banner %q lacks %q", got, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(got, n) {
				t.Errorf("banner %q has %q", got, n)
			}
		}
	}
}
