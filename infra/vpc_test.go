package infra_test

//lint:file-ignore SA1019 cxapi.SynthesisMessage is what assertions.Annotations returns in Go; its replacement has no Go binding yet

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
)

// teamVpc is a VPC as a team names it: imported by its IDs, no lookup.
func teamVpc(stack awscdk.Stack) awsec2.IVpc {
	return awsec2.Vpc_FromVpcAttributes(stack, jsii.String("TeamVpc"), &awsec2.VpcAttributes{
		VpcId:             jsii.String("vpc-0123456789abcdef0"),
		AvailabilityZones: jsii.Strings("us-east-1a", "us-east-1b"),
		PrivateSubnetIds:  jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"),
		IsolatedSubnetIds: jsii.Strings("subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"),
	})
}

// TestVpcAttachedRunner: with Props.Vpc the runner (only) is in the VPC's
// chosen subnets with a security group of its own, its role may manage
// its network interfaces (in a policy the function waits for), and
// cdk-nag finds nothing unsuppressed.
func TestVpcAttachedRunner(t *testing.T) {
	s, err := infratest.Synthesize(t.TempDir(), "staging", nil, func(stack awscdk.Stack, p *infra.Props) {
		p.Vpc = teamVpc(stack)
		p.VpcSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
	})
	if err != nil {
		t.Fatal(err)
	}
	groups := s.Template.OfType("AWS::EC2::SecurityGroup")
	if len(groups) != 1 || len(s.Gate.RunnerSecurityGroups()) != 1 {
		t.Fatalf("security groups %v (accessor %d), want the runner's one", groups, len(s.Gate.RunnerSecurityGroups()))
	}
	sg := s.Template.Resources[groups[0]].Properties
	if sg["VpcId"] != "vpc-0123456789abcdef0" || len(list(sg["SecurityGroupIngress"])) != 0 {
		t.Errorf("runner security group %v: want in the VPC, nothing inbound", sg)
	}
	for id, fn := range s.Gate.FunctionLogicalIDs() {
		vpc, _ := s.Template.Resources[id].Properties["VpcConfig"].(map[string]any)
		if fn != infra.FunctionRunner && fn != infra.FunctionBrowserRunner {
			if vpc != nil {
				t.Errorf("%s is in the VPC too: %v", fn, vpc)
			}
			continue
		}
		if got := render(vpc["SubnetIds"]); got != `["subnet-0bbbbbbbbbbbbbbb1","subnet-0bbbbbbbbbbbbbbb2"]` {
			t.Errorf("runner subnets %s, want the isolated ones", got)
		}
		sgs, _ := vpc["SecurityGroupIds"].([]any)
		if len(sgs) != 1 || render(sgs[0]) != "${"+groups[0]+".GroupId}" {
			t.Errorf("runner security groups %v, want %s", vpc["SecurityGroupIds"], groups[0])
		}
	}
	// The ENI calls, in a policy of the runner's role the function waits for.
	var policy string
	for _, id := range s.Template.OfType("AWS::IAM::Policy") {
		for _, st := range policyStatements(s.Template.Resources[id].Properties["PolicyDocument"]) {
			if slices.Contains(list(st["Action"]), "ec2:CreateNetworkInterface") {
				policy = id
				if got := list(st["Action"]); len(got) != 6 || st["Resource"] != "*" {
					t.Errorf("network interface statement %v on %v", got, st["Resource"])
				}
			}
		}
	}
	if policy == "" {
		t.Fatal("the runner's role may not create network interfaces: Lambda refuses to attach it")
	}
	var raw struct {
		Resources map[string]struct{ DependsOn []string }
	}
	parseJSON(t, s.JSON, &raw)
	if !slices.Contains(raw.Resources[idOf(t, s, infra.FunctionRunner)].DependsOn, policy) {
		t.Errorf("the runner does not wait for %s, so Lambda may check its role before the policy exists", policy)
	}
	ann := assertions.Annotations_FromStack(s.Stack)
	for _, e := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("unsuppressed cdk-nag error at %s: %v", *e.Id, e.Entry.Data)
	}
}

// TestVpcSecurityGroupsPassedIn: the runner uses the team's security
// groups, and the construct makes none.
func TestVpcSecurityGroupsPassedIn(t *testing.T) {
	s, err := infratest.Synthesize(t.TempDir(), "staging", nil, func(stack awscdk.Stack, p *infra.Props) {
		p.Vpc = teamVpc(stack)
		p.SecurityGroups = []awsec2.ISecurityGroup{awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("TeamSG"), jsii.String("sg-0123456789abcdef0"), nil)}
	})
	if err != nil {
		t.Fatal(err)
	}
	if groups := s.Template.OfType("AWS::EC2::SecurityGroup"); len(groups) != 0 {
		t.Errorf("security groups %v created; want the team's only", groups)
	}
	vpc := s.Template.Resources[idOf(t, s, infra.FunctionRunner)].Properties["VpcConfig"].(map[string]any)
	if got := render(vpc["SecurityGroupIds"]); got != `["sg-0123456789abcdef0"]` {
		t.Errorf("runner security groups %s", got)
	}
	if got := render(vpc["SubnetIds"]); got != `["subnet-0aaaaaaaaaaaaaaa1","subnet-0aaaaaaaaaaaaaaa2"]` {
		t.Errorf("runner subnets %s, want the private ones (the default)", got)
	}
}

// TestVpcPropsErrorsNameTheProp: a subnet type the runner cannot use, or
// subnets and security groups without a VPC, are synth errors naming the
// prop.
func TestVpcPropsErrorsNameTheProp(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(stack awscdk.Stack, p *infra.Props)
		want string
	}{
		{"unknown subnet type", func(stack awscdk.Stack, p *infra.Props) {
			p.Vpc, p.VpcSubnets = teamVpc(stack), &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType("PRIVATE")}
		}, `Props.VpcSubnets.SubnetType "PRIVATE": unknown subnet type; want PRIVATE_WITH_EGRESS (or its older name PRIVATE_WITH_NAT) or PRIVATE_ISOLATED`},
		{"public subnets", func(stack awscdk.Stack, p *infra.Props) {
			p.Vpc, p.VpcSubnets = teamVpc(stack), &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC}
		}, `Props.VpcSubnets.SubnetType "PUBLIC": a function in a VPC gets no public IP`},
		{"subnets without a VPC", func(stack awscdk.Stack, p *infra.Props) {
			p.VpcSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_WITH_EGRESS}
		}, "Props.VpcSubnets is set without Vpc"},
		{"security groups without a VPC", func(stack awscdk.Stack, p *infra.Props) {
			p.SecurityGroups = []awsec2.ISecurityGroup{awsec2.SecurityGroup_FromSecurityGroupId(stack, jsii.String("TeamSG"), jsii.String("sg-0123456789abcdef0"), nil)}
		}, "Props.SecurityGroups are set without Vpc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := infratest.Synthesize(t.TempDir(), "staging", nil, tc.set)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to say %s", err, tc.want)
			}
		})
	}
}

// TestExistingTableAndBus: a table and an event bus passed in are used,
// not created: the functions name them, their grants are on them, the
// rules listen on the bus.
func TestExistingTableAndBus(t *testing.T) {
	s, err := infratest.Synthesize(t.TempDir(), "staging", nil, func(stack awscdk.Stack, p *infra.Props) {
		p.Table = awsdynamodb.Table_FromTableName(stack, jsii.String("TeamTable"), jsii.String("team-b-journeygate"))
		p.EventBus = awsevents.EventBus_FromEventBusName(stack, jsii.String("TeamBus"), jsii.String("team-b-events"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if tables := s.Template.OfType("AWS::DynamoDB::Table"); len(tables) != 0 {
		t.Errorf("tables %v created, want the team's", tables)
	}
	for id, fn := range s.Gate.FunctionLogicalIDs() {
		vars := s.Template.Resources[id].Properties["Environment"].(map[string]any)["Variables"].(map[string]any)
		if vars["JOURNEYGATE_TABLE"] != "team-b-journeygate" {
			t.Errorf("%s: JOURNEYGATE_TABLE %v", fn, vars["JOURNEYGATE_TABLE"])
		}
		if bus, ok := vars["JOURNEYGATE_EVENT_BUS"]; ok && bus != "team-b-events" {
			t.Errorf("%s: JOURNEYGATE_EVENT_BUS %v", fn, bus)
		}
	}
	grants := map[string]string{} // action -> resources
	for _, id := range s.Template.OfType("AWS::IAM::Policy") {
		for _, st := range policyStatements(s.Template.Resources[id].Properties["PolicyDocument"]) {
			for _, a := range list(st["Action"]) {
				grants[a] += render(st["Resource"])
			}
		}
	}
	if r := grants["dynamodb:PutItem"]; !strings.Contains(r, ":table/team-b-journeygate") {
		t.Errorf("dynamodb:PutItem on %s, want the team's table", r)
	}
	if r := grants["events:PutEvents"]; !strings.Contains(r, ":event-bus/team-b-events") {
		t.Errorf("events:PutEvents on %s, want the team's bus", r)
	}
	rules := s.Template.OfType("AWS::Events::Rule")
	for _, id := range rules {
		if bus := s.Template.Resources[id].Properties["EventBusName"]; render(bus) != "team-b-events" {
			t.Errorf("rule %s on bus %v, want the team's", id, render(bus))
		}
	}
	if len(rules) != 2 {
		t.Errorf("%d rules, want Run Completed's and Journey Failed's", len(rules))
	}
	ann := assertions.Annotations_FromStack(s.Stack)
	for _, e := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		t.Errorf("unsuppressed cdk-nag error at %s: %v", *e.Id, e.Entry.Data)
	}
}

// parseJSON decodes a template into v, or the test fails.
func parseJSON(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}
