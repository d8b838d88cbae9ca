package journey_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

func okStep(name string) journey.Step {
	return step(name, time.Second, func(ctx context.Context, t *journey.T) error { return nil })
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(j *journey.Journey) []journey.Journey // returns the set to validate
		want   []string                                   // substrings of the error, each naming journey and field
	}{
		{
			name:   "valid",
			mutate: func(j *journey.Journey) []journey.Journey { return []journey.Journey{*j} },
		},
		{
			name:   "empty name",
			mutate: func(j *journey.Journey) []journey.Journey { j.Name = " "; return []journey.Journey{*j} },
			want:   []string{`journey "(unnamed)": name (journey #1): is required`},
		},
		{
			name:   "bad name",
			mutate: func(j *journey.Journey) []journey.Journey { j.Name = "Alert_To"; return []journey.Journey{*j} },
			want:   []string{`journey "Alert_To": name: must be lowercase letters, digits and dashes`},
		},
		{
			name: "name too long",
			mutate: func(j *journey.Journey) []journey.Journey {
				j.Name = strings.Repeat("a", 65)
				return []journey.Journey{*j}
			},
			want: []string{`name: is 65 characters long, at most 64 allowed`},
		},
		{
			name: "duplicate name",
			mutate: func(j *journey.Journey) []journey.Journey {
				return []journey.Journey{*j, *j}
			},
			want: []string{`journey "checkout": name: duplicate`},
		},
		{
			name:   "no steps",
			mutate: func(j *journey.Journey) []journey.Journey { j.Steps = nil; return []journey.Journey{*j} },
			want:   []string{`journey "checkout": steps: no steps`},
		},
		{
			name: "missing SLA",
			mutate: func(j *journey.Journey) []journey.Journey {
				j.Steps[1].SLA = 0
				return []journey.Journey{*j}
			},
			want: []string{`journey "checkout": step 2/2 (pay) sla: is missing`},
		},
		{
			name: "negative SLA",
			mutate: func(j *journey.Journey) []journey.Journey {
				j.Steps[0].SLA = -time.Second
				return []journey.Journey{*j}
			},
			want: []string{`journey "checkout": step 1/2 (add to cart) sla: must be positive, got -1s`},
		},
		{
			name:   "missing tier",
			mutate: func(j *journey.Journey) []journey.Journey { j.Tier = ""; return []journey.Journey{*j} },
			want:   []string{`journey "checkout": tier: is required`},
		},
		{
			name:   "unknown tier",
			mutate: func(j *journey.Journey) []journey.Journey { j.Tier = "tier1"; return []journey.Journey{*j} },
			want:   []string{`journey "checkout": tier: unknown tier "tier1"`},
		},
		{
			name:   "missing mode",
			mutate: func(j *journey.Journey) []journey.Journey { j.Mode = ""; return []journey.Journey{*j} },
			want:   []string{`journey "checkout": mode: is required`},
		},
		{
			name:   "unknown mode",
			mutate: func(j *journey.Journey) []journey.Journey { j.Mode = "block"; return []journey.Journey{*j} },
			want:   []string{`journey "checkout": mode: unknown mode "block"`},
		},
		{
			name:   "missing owner",
			mutate: func(j *journey.Journey) []journey.Journey { j.Owner = "  "; return []journey.Journey{*j} },
			want:   []string{`journey "checkout": owner: is required`},
		},
		{
			name: "domain without covers",
			mutate: func(j *journey.Journey) []journey.Journey {
				j.Tier, j.Covers = journey.TierDomain, nil
				return []journey.Journey{*j}
			},
			want: []string{`journey "checkout": covers: a domain journey must cover at least one service`},
		},
		{
			name: "nil Do",
			mutate: func(j *journey.Journey) []journey.Journey {
				j.Steps[1].Do = nil
				return []journey.Journey{*j}
			},
			want: []string{`journey "checkout": step 2/2 (pay) do: is missing`},
		},
		{
			name: "empty step name",
			mutate: func(j *journey.Journey) []journey.Journey {
				j.Steps[0].Name = ""
				return []journey.Journey{*j}
			},
			want: []string{`journey "checkout": step 1/2 name: is required`},
		},
		{
			name: "duplicate step",
			mutate: func(j *journey.Journey) []journey.Journey {
				j.Steps[1].Name = j.Steps[0].Name
				return []journey.Journey{*j}
			},
			want: []string{`journey "checkout": step 2/2 (add to cart): duplicate step name`},
		},
		{
			name: "every problem is reported",
			mutate: func(j *journey.Journey) []journey.Journey {
				j.Owner, j.Mode = "", "x"
				j.Steps[0].SLA = 0
				return []journey.Journey{*j}
			},
			want: []string{`"checkout": owner:`, `"checkout": mode:`, `"checkout": step 1/2 (add to cart) sla:`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := valid("checkout", okStep("add to cart"), okStep("pay"))
			set := tc.mutate(&j)
			err := journey.Validate(set)
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate = nil, want an error")
			}
			wantContains(t, "error", err.Error(), tc.want...)
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tc.want) {
				t.Errorf("error has %d problems, want %d:\n%v", n, len(tc.want), err)
			}
			var ve *journey.ValidationError
			if !errors.As(err, &ve) || ve.Field == "" || ve.Problem == "" {
				t.Errorf("error does not carry a *ValidationError with a field: %#v", err)
			}
			if _, err := journey.NewRegistry(set...); err == nil {
				t.Error("NewRegistry accepted an invalid journey")
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	domain := func(name string, covers ...string) journey.Journey {
		j := valid(name, okStep("s"))
		j.Tier, j.Covers = journey.TierDomain, covers
		return j
	}
	reg, err := journey.NewRegistry(
		valid("b-global", okStep("s")),
		domain("a-payments", "payments"),
		domain("c-search", "search", "catalog"),
		valid("d-global", okStep("s")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reg.Names(), []string{"a-payments", "b-global", "c-search", "d-global"}; !slices.Equal(got, want) {
		t.Errorf("Names = %q, want %q", got, want)
	}
	if j, ok := reg.Get("c-search"); !ok || j.Name != "c-search" {
		t.Errorf("Get(c-search) = %q, %t", j.Name, ok)
	}
	if _, ok := reg.Get("nope"); ok {
		t.Error("Get(nope) found a journey")
	}
	all := reg.All()
	all[0].Name = "mutated"
	if reg.All()[0].Name != "b-global" {
		t.Error("All returns the registry's own slice")
	}

	tests := []struct {
		name    string
		sel     journey.Selector
		want    []string
		wantErr string
	}{
		{"everything", journey.Selector{}, []string{"b-global", "a-payments", "c-search", "d-global"}, ""},
		{"by names", journey.Selector{Names: []string{"d-global", "a-payments"}}, []string{"a-payments", "d-global"}, ""},
		{"by tier", journey.Selector{Tier: journey.TierDomain}, []string{"a-payments", "c-search"}, ""},
		{"by services", journey.Selector{Services: []string{"catalog"}}, []string{"b-global", "c-search", "d-global"}, ""},
		{"by services, none covered", journey.Selector{Services: []string{"billing"}}, []string{"b-global", "d-global"}, ""},
		{"tier and services", journey.Selector{Tier: journey.TierDomain, Services: []string{"payments"}}, []string{"a-payments"}, ""},
		{"unknown name", journey.Selector{Names: []string{"a-payments", "nope"}}, nil, `unknown journey "nope" (known: a-payments, b-global, c-search, d-global)`},
		{"mistyped name", journey.Selector{Names: []string{"c-serch"}}, nil, `unknown journey "c-serch" (known: a-payments, b-global, c-search, d-global); did you mean "c-search"?`},
		{"unknown tier", journey.Selector{Tier: "tier1"}, nil, `unknown tier "tier1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := reg.Select(tc.sel)
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("Select = %d journeys, want error %q", len(got), tc.wantErr)
				}
				wantContains(t, "error", err.Error(), tc.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, j := range got {
				names = append(names, j.Name)
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("Select = %q, want %q", names, tc.want)
			}
		})
	}
}

func TestJourneyHelpers(t *testing.T) {
	j := valid("x", okStep("a"), step("b", 2*time.Second, nil))
	if got := j.TotalSLA(); got != 3*time.Second {
		t.Errorf("TotalSLA = %s, want 3s", got)
	}
	j.Covers = []string{"api", "db"}
	for _, tc := range []struct {
		services []string
		want     bool
	}{{[]string{"db"}, true}, {[]string{"web", "api"}, true}, {[]string{"web"}, false}, {nil, false}} {
		if got := j.CoversAny(tc.services); got != tc.want {
			t.Errorf("CoversAny(%q) = %t, want %t", tc.services, got, tc.want)
		}
	}
}

// TestValidateNamesWhereAStepIsWritten: a step's problem leads with the
// file and line of its Do, relative to the working directory, so a team
// finds the step without searching; a journey's own fields, and a step
// without Do, have no position to give.
func TestValidateNamesWhereAStepIsWritten(t *testing.T) {
	_, _, line, _ := runtime.Caller(0)
	inline := journey.Step{Name: "pay", Do: func(ctx context.Context, t *journey.T) error { return nil }}
	j := valid("checkout", okStep("add to cart"), inline, journey.Step{Name: "ship", SLA: time.Second}, journey.Step{Name: "label", Do: labelParcel})
	j.Owner = ""
	err := journey.Validate([]journey.Journey{j})
	if err == nil {
		t.Fatal("Validate = nil, want an error")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		`journey "checkout": owner: is required (the team that answers for it)`,
		fmt.Sprintf(`validate_test.go:%d: journey "checkout": step 2/4 (pay) sla: is missing`, line+1),
		`journey "checkout": step 3/4 (ship) do: is missing (the step has nothing to run)`,
		fmt.Sprintf(`validate_test.go:%d (Do: labelParcel): journey "checkout": step 4/4 (label) sla: is missing`, lineOfText(t, "validate_test.go", "func labelParcel(")),
	}
	for _, w := range want {
		if !slices.Contains(lines, w) {
			t.Errorf("no line is %q in:\n%v", w, err)
		}
	}
}

// labelParcel is a step function declared apart from its step: a problem
// of the step names it, since its line is not the step's.
func labelParcel(context.Context, *journey.T) error { return nil }

// lineOfText returns the 1-based line of file that starts with prefix.
func lineOfText(t *testing.T, file, prefix string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line starting %q", file, prefix)
	return 0
}
