package cfnvalidate

import (
	"cmp"
	"fmt"
	"slices"
)

// The validators, as findings and accepted.yaml name them.
const (
	ValidatorGuard   = "cfn-guard"
	ValidatorSchema  = "registry-schema"
	ValidatorIAM     = "iam-catalogue"
	ValidatorResolve = "resolve"
	// ValidatorCDK is the CDK's own template validation at synthesis
	// (CDKReport).
	ValidatorCDK = "cdk-validate"
)

// Finding is one thing a validator reports about one resource.
type Finding struct {
	// Validator is one of the Validator constants.
	Validator string
	// Rule is the check's ID: a Control Tower control (CT.LAMBDA.PR.3), a
	// JSON Schema keyword (schema.additionalProperties) or an IAM check
	// (iam.wildcard-only).
	Rule string
	// Stack names the template; Resource is the logical ID.
	Stack, Resource string
	// Path locates the finding inside the resource: a property path or a
	// policy statement.
	Path string
	// Subject is what the finding is about: an IAM action, a property, or
	// empty when the rule speaks of the whole resource.
	Subject string
	// Message says what is wrong.
	Message string
}

// String leads with what is wrong, then says where.
func (f Finding) String() string {
	where := f.Resource
	if f.Path != "" {
		where += " " + f.Path
	}
	return fmt.Sprintf("%s [%s %s, %s %s]", f.Message, f.Validator, f.Rule, f.Stack, where)
}

func sortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Validator, b.Validator), cmp.Compare(a.Stack, b.Stack),
			cmp.Compare(a.Resource, b.Resource), cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Message, b.Message))
	})
}
