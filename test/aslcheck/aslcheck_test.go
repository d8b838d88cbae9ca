package aslcheck_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/test/aslcheck"
)

const valid = `{
  "StartAt": "Plan",
  "States": {
    "Plan": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:plan", "Payload.$": "$"},
      "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "MaxAttempts": 2}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Gate"}],
      "Next": "Journeys"
    },
    "Journeys": {
      "Type": "Map",
      "ItemsPath": "$.journeys",
      "ItemProcessor": {"StartAt": "Run", "States": {"Run": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:runner", "End": true}}},
      "Next": "Gate"
    },
    "Gate": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:gate", "End": true}
  }
}`

func TestValidate(t *testing.T) {
	tests := []struct {
		name, def   string
		wantInvalid bool
		wantMsg     string
	}{
		{name: "valid Plan, Map, Gate", def: valid},
		{name: "Next to a missing state", def: strings.Replace(valid, `"Next": "Journeys"`, `"Next": "Nowhere"`, 1), wantInvalid: true, wantMsg: "Nowhere"},
		{name: "StartAt missing state", def: `{"StartAt": "A", "States": {"B": {"Type": "Pass", "End": true}}}`, wantInvalid: true},
		{name: "bad JSONPath", def: `{"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": "not a path", "End": true}}}`, wantInvalid: true},
		{name: "unknown state type", def: `{"StartAt": "A", "States": {"A": {"Type": "Sleep", "End": true}}}`, wantInvalid: true},
		{name: "not JSON", def: `{"StartAt": `, wantInvalid: false, wantMsg: "asl-validator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := aslcheck.Validate(t, tt.def)
			switch {
			case tt.wantInvalid && !errors.Is(err, aslcheck.ErrInvalid):
				t.Fatalf("err = %v, want ErrInvalid", err)
			case !tt.wantInvalid && tt.wantMsg == "" && err != nil:
				t.Fatalf("err = %v, want valid", err)
			case !tt.wantInvalid && tt.wantMsg != "" && (err == nil || errors.Is(err, aslcheck.ErrInvalid)):
				t.Fatalf("err = %v, want a program error", err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

func TestJSONPathOnly(t *testing.T) {
	tests := []struct {
		name, def string
		wantErr   string
	}{
		{name: "JSONPath definition", def: valid},
		{name: "top-level JSONata", def: `{"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}`, wantErr: "/QueryLanguage is JSONata"},
		{name: "state-level JSONata", def: `{"StartAt": "A", "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input %}", "End": true}}}`, wantErr: "/States/A/Output is a JSONata field"},
		{name: "Arguments on a Task", def: `{"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"FunctionName": "f"}, "End": true}}}`, wantErr: "/States/A/Arguments"},
		{name: "a Payload field named Output is fine", def: `{"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"Output": 1}, "End": true}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := aslcheck.JSONPathOnly(tt.def)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
