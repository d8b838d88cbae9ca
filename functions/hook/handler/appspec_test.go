package handler

import (
	"slices"
	"testing"
)

func TestParseAppSpec(t *testing.T) {
	tests := []struct {
		name      string
		content   string
		functions []string
		version   string
		wantErr   bool
	}{
		{"lambda yaml", "version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: incident-api\n        Alias: live\n        CurrentVersion: 3\n        TargetVersion: 4\n", []string{"incident-api"}, "4", false},
		{"lambda json", `{"version":0.0,"Resources":[{"fn":{"Type":"AWS::Lambda::Function","Properties":{"Name":"api","Alias":"live","CurrentVersion":"1","TargetVersion":"2"}}}]}`, []string{"api"}, "2", false},
		{"ecs", "Resources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: arn:aws:ecs:eu-west-1:123456789012:task-definition/api:9\n", []string{"TargetService"}, "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:9", false},
		{"nothing deployable", "version: 0.0\nHooks: []\n", nil, "", false},
		{"garbage", "Resources: [", nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := parseAppSpec(tt.content)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %t", err, tt.wantErr)
			}
			if !slices.Equal(info.Functions, tt.functions) || info.TargetVersion != tt.version {
				t.Errorf("got %+v, want functions %v version %q", info, tt.functions, tt.version)
			}
		})
	}
}
