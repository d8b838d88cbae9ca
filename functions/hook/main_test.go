package main

import (
	"testing"

	"github.com/journeygate/journeygate/internal/buildtest"
)

func TestBuild(t *testing.T) {
	buildtest.Run(t, build, []buildtest.Case{
		{Name: "configured", Env: map[string]string{"JOURNEYGATE_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:jg", "JOURNEYGATE_ENVIRONMENT": "staging", "JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_SERVICES": "a, b"}, Want: ""},
		{Name: "deployment services", Env: map[string]string{"JOURNEYGATE_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:jg", "JOURNEYGATE_ENVIRONMENT": "staging", "JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_DEPLOYMENT_SERVICES": `{"app/group":["notifier"]}`}, Want: ""},
		{Name: "deployment services not JSON", Env: map[string]string{"JOURNEYGATE_STATE_MACHINE_ARN": "arn", "JOURNEYGATE_ENVIRONMENT": "staging", "JOURNEYGATE_TABLE": "jg", "JOURNEYGATE_DEPLOYMENT_SERVICES": "app/group=notifier"}, Want: "JOURNEYGATE_DEPLOYMENT_SERVICES is not a JSON object"},
		{Name: "no table", Env: map[string]string{"JOURNEYGATE_STATE_MACHINE_ARN": "arn", "JOURNEYGATE_ENVIRONMENT": "staging"}, Want: "JOURNEYGATE_TABLE is not set"},
		{Name: "no state machine", Env: map[string]string{"JOURNEYGATE_ENVIRONMENT": "staging", "JOURNEYGATE_TABLE": "jg"}, Want: "no state machine ARN"},
		{Name: "no environment", Env: map[string]string{"JOURNEYGATE_STATE_MACHINE_ARN": "arn", "JOURNEYGATE_TABLE": "jg"}, Want: "no environment"},
		{Name: "no AWS credentials", Env: map[string]string{"JOURNEYGATE_STATE_MACHINE_ARN": "arn", "JOURNEYGATE_ENVIRONMENT": "staging", "JOURNEYGATE_TABLE": "jg", "AWS_ACCESS_KEY_ID": ""}, Want: "no AWS credentials in the environment"},
		{Name: "no region", Env: map[string]string{"JOURNEYGATE_STATE_MACHINE_ARN": "arn", "JOURNEYGATE_ENVIRONMENT": "staging", "JOURNEYGATE_TABLE": "jg", "AWS_REGION": ""}, Want: "AWS_REGION is not set"},
	})
}
