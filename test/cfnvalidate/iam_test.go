package cfnvalidate

import (
	"slices"
	"testing"

	"github.com/journeygate/journeygate/test/repo"
)

// TestResourceTypes: an ARN's resource types as the Service Authorization
// Reference defines them, wildcards included; an ARN that extends another
// type's format (an index of a table) is of the extending type only.
func TestResourceTypes(t *testing.T) {
	dir, err := repo.NodeModule(IAMModule)
	if err != nil {
		t.Fatal(err)
	}
	cat := catalogueAt(dir)
	tests := []struct {
		service, arn string
		want         []string
	}{
		{"dynamodb", "arn:aws:dynamodb:us-east-1:123456789012:table/runs", []string{"table"}},
		{"dynamodb", "arn:aws:dynamodb:us-east-1:123456789012:table/runs/index/GSI1", []string{"index"}},
		{"dynamodb", "arn:aws:dynamodb:us-east-1:123456789012:table/runs/index/*", []string{"index"}},
		{"dynamodb", "arn:aws:dynamodb:us-east-1:123456789012:table/runs/stream/2024-01-01T00:00:00.000", []string{"stream"}},
		{"s3", "arn:aws:s3:::reports", []string{"bucket"}},
		{"s3", "arn:aws:s3:::reports/reports/*", []string{"object"}},
		{"logs", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/gate", []string{"log-group"}},
		{"logs", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/gate:*", []string{"log-group", "log-stream"}},
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:gate", []string{"function"}},
		{"lambda", "arn:aws:lambda:us-east-1:123456789012:function:gate:*", []string{"durable execution", "function", "function alias", "function version"}},
		{"codedeploy", "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:app/group", []string{"deploymentgroup"}},
		{"secretsmanager", "arn:aws:secretsmanager:us-east-1:123456789012:secret:jg/tenant-a-??????", []string{"secret"}},
		{"ssm", "arn:aws:ssm:us-east-1:123456789012:parameter/journeygate/staging/x", []string{"parameter"}},
		{"states", "arn:aws:states:us-east-1:123456789012:execution:machine:*", []string{"execution", "labelled execution"}},
		{"sns", "arn:aws:sns:us-east-1:123456789012:alarms", []string{"topic"}},
		{"sns", "arn:aws:sqs:us-east-1:123456789012:alarms", nil},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			svc, err := cat.service(tt.service)
			if err != nil || svc == nil {
				t.Fatalf("service %s: %v", tt.service, err)
			}
			if got := svc.typesOf(tt.arn); !slices.Equal(got, tt.want) {
				t.Errorf("types = %q, want %q", got, tt.want)
			}
		})
	}
}
