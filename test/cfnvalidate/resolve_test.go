package cfnvalidate

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestResolve: intrinsics resolve to placeholders of the shape
// CloudFormation gives them; what has no rule is an error naming it.
func TestResolve(t *testing.T) {
	tpl := `{"Parameters": {"Env": {"Type": "String", "Default": "staging"}},
	  "Resources": {
		"Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "runs"}},
		"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {}},
		"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "alarms-${Env}"}}},
		"Bucket": {"Type": "AWS::S3::Bucket"},
		"Thing": {"Type": "AWS::Made::Up"}
	  }}`
	tests := []struct {
		in, want, err string
	}{
		{in: `{"Ref": "Table"}`, want: `"runs"`},
		{in: `{"Fn::GetAtt": ["Table", "Arn"]}`, want: `"arn:aws:dynamodb:us-east-1:123456789012:table/runs"`},
		{in: `{"Fn::Join": ["", [{"Fn::GetAtt": ["Table", "Arn"]}, "/index/*"]]}`, want: `"arn:aws:dynamodb:us-east-1:123456789012:table/runs/index/*"`},
		{in: `{"Fn::GetAtt": "Logs.Arn"}`, want: `"arn:aws:logs:us-east-1:123456789012:log-group:logs:*"`},
		{in: `{"Ref": "Topic"}`, want: `"arn:aws:sns:us-east-1:123456789012:alarms-staging"`},
		{in: `{"Fn::Sub": ["${B}/${!Literal}-${AWS::Region}", {"B": {"Ref": "Bucket"}}]}`, want: `"bucket/${Literal}-us-east-1"`},
		{in: `{"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}`, want: `"b"`},
		{in: `{"A": {"Ref": "AWS::NoValue"}, "B": [1, {"Ref": "AWS::NoValue"}]}`, want: `{"B":[1]}`},
		{in: `{"Ref": "Thing"}`, err: "no rule for a Ref of AWS::Made::Up"},
		{in: `{"Fn::GetAtt": ["Table", "Nope"]}`, err: "Fn::GetAtt Table.Nope"},
		{in: `{"Fn::ImportValue": "x"}`, err: "Fn::ImportValue is not supported"},
		{in: `{"Ref": "Missing"}`, err: "no such resource or parameter"},
	}
	parsed, err := parseTemplate([]byte(tpl))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var v any
			if err := json.Unmarshal([]byte(tt.in), &v); err != nil {
				t.Fatal(err)
			}
			r := &resolver{t: parsed, stack: "journeygate-staging"}
			got, err := r.resolve(v)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if data, _ := json.Marshal(got); string(data) != tt.want {
				t.Errorf("got %s, want %s", data, tt.want)
			}
		})
	}
}
