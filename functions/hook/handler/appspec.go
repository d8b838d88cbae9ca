package handler

import (
	"fmt"

	"github.com/journeygate/journeygate/internal/yamlerr"
)

// appSpec is what the hook reads from a deployment's AppSpec content (YAML
// or JSON): each resource's type and properties.
type appSpec struct {
	Resources []map[string]struct {
		Type       string         `yaml:"Type"`
		Properties map[string]any `yaml:"Properties"`
	} `yaml:"Resources"`
}

// revisionInfo is what a revision tells about the deployment's target.
type revisionInfo struct {
	// Functions are the Lambda functions (or ECS services' resource names)
	// the AppSpec deploys.
	Functions []string
	// TargetVersion is the first Lambda TargetVersion or ECS TaskDefinition.
	TargetVersion string
}

// parseAppSpec reads Lambda and ECS targets from AppSpec content.
func parseAppSpec(content string) (revisionInfo, error) {
	var spec appSpec
	if err := yamlerr.DecodeLax("AppSpec", []byte(content), &spec); err != nil {
		return revisionInfo{}, err
	}
	var info revisionInfo
	for _, res := range spec.Resources {
		for name, r := range res {
			switch r.Type {
			case "AWS::Lambda::Function":
				fn := scalar(r.Properties["Name"])
				if fn == "" {
					fn = name
				}
				info.Functions = append(info.Functions, fn)
				if info.TargetVersion == "" {
					info.TargetVersion = scalar(r.Properties["TargetVersion"])
				}
			case "AWS::ECS::Service":
				info.Functions = append(info.Functions, name)
				if info.TargetVersion == "" {
					info.TargetVersion = scalar(r.Properties["TaskDefinition"])
				}
			}
		}
	}
	return info, nil
}

// scalar renders a YAML scalar (a version may be written as a number).
func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int, int64, float64, bool:
		return fmt.Sprint(v)
	default:
		return ""
	}
}
