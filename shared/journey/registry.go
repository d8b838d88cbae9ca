package journey

import (
	"fmt"
	"sort"
	"strings"
)

// Registry holds a validated set of journeys.
type Registry struct {
	journeys []Journey
	byName   map[string]int
}

// NewRegistry validates journeys and returns a registry of them.
func NewRegistry(journeys ...Journey) (*Registry, error) {
	if err := Validate(journeys); err != nil {
		return nil, err
	}
	r := &Registry{journeys: append([]Journey(nil), journeys...), byName: map[string]int{}}
	for i, j := range r.journeys {
		r.byName[j.Name] = i
	}
	return r, nil
}

// All returns every journey in registration order.
func (r *Registry) All() []Journey { return append([]Journey(nil), r.journeys...) }

// Get returns the journey with the given name.
func (r *Registry) Get(name string) (Journey, bool) {
	i, ok := r.byName[name]
	if !ok {
		return Journey{}, false
	}
	return r.journeys[i], true
}

// Names returns every journey name, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.journeys))
	for _, j := range r.journeys {
		names = append(names, j.Name)
	}
	sort.Strings(names)
	return names
}

// Selector chooses journeys. Empty fields select everything.
type Selector struct {
	// Names selects these journeys only.
	Names []string
	// Tier selects one tier.
	Tier Tier
	// Services, when set, selects global journeys plus domain journeys that
	// cover one of these services (the deployment-gate rule).
	Services []string
	// Environment, when set, selects only the journeys that run there
	// (Journey.RunsIn); naming a journey that does not is an error.
	Environment string
}

// Select returns the journeys chosen by s, in registration order. Unknown
// names or tiers are errors, never silently empty selections.
func (r *Registry) Select(s Selector) ([]Journey, error) {
	want := map[string]bool{}
	for _, n := range s.Names {
		if _, ok := r.byName[n]; !ok {
			return nil, fmt.Errorf("unknown journey %q (known: %s)%s", n, strings.Join(r.Names(), ", "), DidYouMean(n, r.Names()))
		}
		if j := r.journeys[r.byName[n]]; s.Environment != "" && !j.RunsIn(s.Environment) {
			return nil, fmt.Errorf("journey %q runs only in %s, not in %q", n, strings.Join(j.Environments, ", "), s.Environment)
		}
		want[n] = true
	}
	switch s.Tier {
	case "", TierGlobal, TierDomain:
	default:
		return nil, fmt.Errorf("unknown tier %q (want global or domain)", s.Tier)
	}
	var out []Journey
	for _, j := range r.journeys {
		if len(want) > 0 && !want[j.Name] {
			continue
		}
		if s.Tier != "" && j.Tier != s.Tier {
			continue
		}
		if len(s.Services) > 0 && j.Tier == TierDomain && !j.CoversAny(s.Services) {
			continue
		}
		if s.Environment != "" && !j.RunsIn(s.Environment) {
			continue
		}
		out = append(out, j)
	}
	return out, nil
}
