package cfnvalidate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/repo"
)

// Stack is one synthesized CloudFormation template.
type Stack struct {
	// Name says which stack: journeygate-ENV for the app's stacks, with a
	// suffix for a variant only the tests build.
	Name string
	// JSON is the template as synthesized.
	JSON []byte
	// Synthesis are the findings the CDK's own template validation
	// reported while synthesizing it (CDKReport).
	Synthesis []Finding
}

// Variant is a deployment the app does not ship but a team may configure,
// synthesized so its extra resources are validated too.
type Variant struct {
	Name   string
	Env    string
	Adjust func(*infra.Deployment)
	// Options set the props that need the stack (a VPC by its IDs).
	Options []infra.StackOption
}

// Variants are the configurations beyond infra/deploy.yaml whose resources
// differ: a PagerDuty subscription, a tier without a schedule, a report
// retention of its own and pool secrets granted to the runner; a Lambda
// deployment group's function versions granted to the runner; an inbox
// domain's SES receipt rule; a runner attached to a team's VPC, with a
// security group of its own.
var Variants = []Variant{{
	Name: "journeygate-staging+pagerduty+pools",
	Env:  "staging",
	Adjust: func(d *infra.Deployment) {
		d.Props.PagerDutyURL = "https://events.pagerduty.com/integration/abc123/enqueue"
		d.Props.Schedules = map[journey.Tier]time.Duration{journey.TierDomain: 0}
		d.Props.ReportRetentionDays = 7
		if err := infratest.WithPoolSecrets(d, filepath.Dir(d.Props.DistDir), "staging"); err != nil {
			panic(err) // writing a file to the synthesis' own temporary directory
		}
	},
}, {
	// A Lambda deployment group whose functions' versions the runner may
	// invoke (lambda:InvokeFunction on arn:...:function:NAME:*).
	Name: "journeygate-staging+lambda",
	Env:  "staging",
	Adjust: func(d *infra.Deployment) {
		d.Props.DeploymentGroups = append(d.Props.DeploymentGroups, "checkout/checkout-staging")
		d.Props.LambdaDeploymentFunctions = map[string][]string{"checkout/checkout-staging": {"checkout-api"}}
	},
}, {
	// An inbox domain: the SES receipt rule set and rule, the bucket
	// policy letting SES put raw mail, SES's permission to invoke the
	// sink.
	Name: "journeygate-staging+inbox",
	Env:  "staging",
	Adjust: func(d *infra.Deployment) {
		d.Props.InboxDomain = "inbox.example.com"
	},
}, {
	Name: "journeygate-staging+vpc",
	Env:  "staging",
	Options: []infra.StackOption{func(stack awscdk.Stack, p *infra.Props) {
		p.Vpc = awsec2.Vpc_FromVpcAttributes(stack, jsii.String("TeamVpc"), &awsec2.VpcAttributes{
			VpcId:             jsii.String("vpc-0123456789abcdef0"),
			AvailabilityZones: jsii.Strings("us-east-1a", "us-east-1b"),
			PrivateSubnetIds:  jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"),
		})
	}},
}}

// Synthesize builds every stack the app synthesizes (one per environment
// of infra/deploy.yaml, in the app's order) and then the Variants.
func Synthesize() ([]Stack, error) {
	var out []Stack
	err := synthesizeEach(func(s Stack) { out = append(out, s) })
	return out, err
}

// synthesizeEach synthesizes the stacks one after another, handing each
// to each as soon as it is built.
func synthesizeEach(each func(Stack)) error {
	root, err := repo.Root()
	if err != nil {
		return err
	}
	deployments, err := infra.LoadConfig(root)
	if err != nil {
		return err
	}
	var all []Variant
	for _, d := range deployments {
		all = append(all, Variant{Name: d.StackName(), Env: d.Props.Environment})
	}
	all = append(all, Variants...)
	for _, v := range all {
		s, err := synth(v)
		if err != nil {
			return fmt.Errorf("synthesize %s: %w", v.Name, err)
		}
		each(s)
	}
	return nil
}

func synth(v Variant) (Stack, error) {
	dir, err := os.MkdirTemp("", "journeygate-cfnvalidate-")
	if err != nil {
		return Stack{}, err
	}
	defer os.RemoveAll(dir)
	s, err := infratest.Synthesize(dir, v.Env, v.Adjust, v.Options...)
	if err != nil {
		return Stack{}, err
	}
	// Keep the template as CloudFormation receives it, indented so a
	// finding's location is easy to look up in a written copy.
	var doc any
	if err := json.Unmarshal(s.JSON, &doc); err != nil {
		return Stack{}, err
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return Stack{}, err
	}
	report, err := os.ReadFile(filepath.Join(dir, "cdk.out", "validation-report.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return Stack{}, err
	}
	var found []Finding
	if err == nil {
		if found, err = CDKReport(v.Name, report); err != nil {
			return Stack{}, err
		}
	}
	return Stack{Name: v.Name, JSON: data, Synthesis: found}, nil
}

// CDKReport reads the validation report the CDK writes into the cloud
// assembly when a policy-validation plugin reports something: aws-cdk-lib
// runs AWS's CloudFormation Validate (registry schemas and cfn-lint's
// rules, such as F3004 for a circular dependency) on every synthesis and
// only warns. Each violation is a finding on each resource it names.
func CDKReport(stack string, report []byte) ([]Finding, error) {
	var r struct {
		PluginReports []struct {
			PluginName string `json:"pluginName"`
			Violations []struct {
				RuleName            string `json:"ruleName"`
				Description         string `json:"description"`
				Severity            string `json:"severity"`
				ViolatingConstructs []struct {
					ConstructPath string `json:"constructPath"`
					Resource      struct {
						LogicalID     string   `json:"logicalId"`
						PropertyPaths []string `json:"propertyPaths"`
					} `json:"cloudFormationResource"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}
	if err := json.Unmarshal(report, &r); err != nil {
		return nil, fmt.Errorf("%s validation report: %w", stack, err)
	}
	var out []Finding
	for _, p := range r.PluginReports {
		for _, v := range p.Violations {
			for _, c := range v.ViolatingConstructs {
				id := c.Resource.LogicalID
				if id == "" {
					id = c.ConstructPath
				}
				msg := v.Description
				if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "Resources/") {
					msg = rest
				}
				path := ""
				if len(c.Resource.PropertyPaths) > 0 {
					path = strings.TrimPrefix(strings.TrimPrefix(c.Resource.PropertyPaths[0], "Resources/"+id), "/")
				}
				out = append(out, Finding{Validator: ValidatorCDK, Rule: v.RuleName, Stack: stack, Resource: id,
					Path: path, Message: fmt.Sprintf("%s (%s %s)", msg, p.PluginName, v.Severity)})
			}
		}
	}
	return out, nil
}
