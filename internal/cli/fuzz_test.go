package cli

import (
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/fuzzcheck"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
)

// usageRejection fails t unless err is a clear usage error (exit code 2) naming
// one of wants, and returns its message.
func usageRejection(t *testing.T, err error, input string, wants ...string) string {
	t.Helper()
	var ue *usageError
	if !errors.As(err, &ue) {
		t.Fatalf("rejection %v is a %T, want a usage error (exit 2)", err, err)
	}
	msg := fuzzcheck.Error(t, err, input)
	fuzzcheck.Mentions(t, msg, wants...)
	return msg
}

// FuzzWindowFlag feeds history's --window (and --since): a Go duration or
// whole days ("30d"). An accepted window is positive and exactly what was
// written, never wrapped around; a rejection says what a window looks like.
func FuzzWindowFlag(f *testing.F) {
	for _, s := range []string{defaultWindow, "24h", "30d", "90m", "1h30m", "0s", "-1h", "0d", "-3d", "xd", "d", "1.5d", "+2d",
		"forever", "", " 7d", "106751d", "106752d", "9223372036854775807d", "9999999999h", "2562047h47m16.854775807s", "%!d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseWindow(s)
		if err != nil {
			usageRejection(t, usagef("--window: %v", err), s, "24h or 30d", "positive", "at most")
			return
		}
		if d <= 0 {
			t.Fatalf("accepted %q as %s", s, d)
		}
		if n, ok := strings.CutSuffix(s, "d"); ok {
			days, err := strconv.Atoi(n)
			if err != nil || d/(24*time.Hour) != time.Duration(days) || d%(24*time.Hour) != 0 {
				t.Fatalf("accepted %q as %s, not %s days", s, d, n)
			}
			return
		}
		if want, err := time.ParseDuration(s); err != nil || d != want {
			t.Fatalf("accepted %q as %s, time.ParseDuration says %s (%v)", s, d, want, err)
		}
	})
}

// FuzzRateFlag feeds history's --max-flake-rate: an accepted rate is a
// number between 0 and 1; a rejection shows the accepted shapes.
func FuzzRateFlag(f *testing.F) {
	for _, s := range []string{"5%", "0.05", "0", "1", "100%", " 2.5% ", "5", "120%", "-1%", "lots", "NaN", "NaN%", "Inf", "-Inf%", "1e-400", "0x1p-2", "%", "", "1_0%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseRate(s)
		if err != nil {
			usageRejection(t, usagef("--max-flake-rate: %v", err), s, "e.g. 5%", "a percentage", "between 0% and 100%")
			return
		}
		if math.IsNaN(r) || r < 0 || r > 1 {
			t.Fatalf("accepted %q as %v", s, r)
		}
	})
}

// FuzzTTLFlag feeds override's --ttl through the command's flag parsing:
// an accepted lifetime is the duration written, more than 0 and at most
// gate.MaxOverrideTTL; a rejection is a usage error naming --ttl.
func FuzzTTLFlag(f *testing.F) {
	for _, s := range []string{"1h", "24h", "24h0m1s", "30m", "0", "0s", "-1h", "1d", "soon", "", " 2h ", "9223372036854775807ns", "99999999999h", "1.5h", "%!s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fs := newFlagSet("override", io.Discard)
		ttl := durationVar(fs, "ttl", gate.DefaultOverrideTTL, "")
		err := parse(fs, []string{"--ttl", s})
		if err == nil {
			err = checkTTL(*ttl)
		}
		if err != nil {
			usageRejection(t, err, s, "-ttl")
			return
		}
		if *ttl <= 0 || *ttl > gate.MaxOverrideTTL {
			t.Fatalf("accepted --ttl %q as %s", s, *ttl)
		}
		if want, err := time.ParseDuration(strings.TrimSpace(s)); err != nil || want != *ttl {
			t.Fatalf("accepted --ttl %q as %s, time.ParseDuration says %s (%v)", s, *ttl, want, err)
		}
	})
}

// FuzzSelectorFlags feeds run's --journey and --tier through the command's
// flag parsing and selection on the real catalogue: a selection is never
// empty and holds exactly the named journeys of the tier; a rejection is a
// usage error naming the flag.
func FuzzSelectorFlags(f *testing.F) {
	reg, err := journeys.Registry()
	if err != nil {
		f.Fatal(err)
	}
	all := reg.Names()
	f.Add(all[0], "")
	f.Add(strings.Join(all, ","), "global")
	f.Add(all[len(all)-1]+", "+all[0], "domain")
	for _, s := range [][2]string{{"checkout", ""}, {"", "gold"}, {"a,,b", ""}, {",", "global"}, {" ", ""}, {all[0], "GLOBAL"}, {all[0] + "\n", ""}, {"%!v", "%!v"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, names, tier string) {
		fs := newFlagSet("run", io.Discard)
		var list stringList
		fs.Var(&list, "journey", "")
		tierFlag := fs.String("tier", "", "")
		args := []string{"--tier", tier}
		if names != "" {
			args = append(args, "--journey", names)
		}
		err := parse(fs, args)
		var selected []journey.Journey
		if err == nil {
			selected, err = selectJourneys(reg, list, *tierFlag, "")
		}
		if err != nil {
			usageRejection(t, err, names+tier, "journey", "tier")
			return
		}
		if len(selected) == 0 {
			t.Fatal("an empty selection accepted")
		}
		for _, n := range list {
			if _, ok := reg.Get(n); !ok {
				t.Fatalf("unknown journey %q accepted", n)
			}
		}
		for _, j := range selected {
			if len(list) > 0 && !slices.Contains(list, j.Name) || tier != "" && string(j.Tier) != tier {
				t.Fatalf("--journey %q --tier %q selected %s (%s)", names, tier, j.Name, j.Tier)
			}
		}
	})
}
