package main

import "testing"

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
