package cfnvalidate

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// acceptedFile is accepted.yaml: the findings the team accepts, each with
// its reason.
//
//go:embed accepted.yaml
var acceptedFile []byte

// Accepted is one entry of accepted.yaml.
type Accepted struct {
	// Validator and Rule say which finding: cfn-guard CT.LAMBDA.PR.3.
	Validator string `yaml:"validator"`
	Rule      string `yaml:"rule"`
	// Resources are the logical IDs it is accepted on (the same in every
	// stack).
	Resources []string `yaml:"resources"`
	// Subject, if set, narrows it to one action or property.
	Subject string `yaml:"subject"`
	// Reason says why the finding is right for journeygate.
	Reason string `yaml:"reason"`
}

// LoadAccepted reads accepted.yaml and checks each entry names a validator,
// a rule, resources and a reason of its own.
func LoadAccepted() ([]Accepted, error) {
	var list []Accepted
	if err := yaml.Unmarshal(acceptedFile, &list); err != nil {
		return nil, fmt.Errorf("accepted.yaml: %w", err)
	}
	var problems []string
	seen := map[string]bool{}
	for i, a := range list {
		at := fmt.Sprintf("accepted.yaml entry %d (%s %s)", i+1, a.Validator, a.Rule)
		switch {
		case !slices.Contains([]string{ValidatorGuard, ValidatorSchema, ValidatorIAM, ValidatorCDK}, a.Validator):
			problems = append(problems, at+": validator must be cfn-guard, registry-schema, iam-catalogue or cdk-validate")
		case a.Rule == "":
			problems = append(problems, at+": no rule")
		case len(a.Resources) == 0:
			problems = append(problems, at+": no resources (list the logical IDs it applies to)")
		case len(strings.TrimSpace(a.Reason)) < 60:
			problems = append(problems, at+": the reason is missing or too short to say why this is right for journeygate")
		}
		for _, r := range a.Resources {
			key := a.Validator + " " + a.Rule + " " + a.Subject + " " + r
			if seen[key] {
				problems = append(problems, at+": "+r+" is listed twice")
			}
			seen[key] = true
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return list, nil
}

func (a Accepted) matches(f Finding, resource string) bool {
	return f.Validator == a.Validator && f.Rule == a.Rule && f.Resource == resource &&
		(a.Subject == "" || f.Subject == a.Subject)
}

// Triage splits findings into those no entry accepts and the accepted ones,
// and lists the entries' resources that no finding matches any more (the
// entry, or that resource of it, is to be deleted).
func Triage(findings []Finding, accepted []Accepted) (unlisted, ok []Finding, stale []string) {
	used := map[[2]int]bool{}
	for _, f := range findings {
		hit := false
		for i, a := range accepted {
			for j, r := range a.Resources {
				if a.matches(f, r) {
					hit, used[[2]int{i, j}] = true, true
				}
			}
		}
		if hit {
			ok = append(ok, f)
		} else {
			unlisted = append(unlisted, f)
		}
	}
	for i, a := range accepted {
		for j, r := range a.Resources {
			if !used[[2]int{i, j}] {
				stale = append(stale, fmt.Sprintf("accepted.yaml: %s %s on %s matches no finding any more: delete it", a.Validator, a.Rule, r))
			}
		}
	}
	return unlisted, ok, stale
}
