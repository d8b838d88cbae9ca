package infra

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Placeholders stand in for the pseudo parameters when a synthesized
// template's values are resolved outside CloudFormation.
const (
	PlaceholderPartition = "aws"
	PlaceholderRegion    = "us-east-1"
	PlaceholderAccount   = "123456789012"
)

// PlaceholderFunctionARN is the ARN DeployedDefinition gives a function.
func PlaceholderFunctionARN(name string) string {
	return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", PlaceholderPartition, PlaceholderRegion, PlaceholderAccount, name)
}

// Template is a synthesized CloudFormation template.
type Template struct {
	Resources map[string]struct {
		Type       string         `json:"Type"`
		Properties map[string]any `json:"Properties"`
	} `json:"Resources"`
}

// ParseTemplate parses a synthesized template.
func ParseTemplate(data []byte) (*Template, error) {
	var t Template
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	return &t, nil
}

// OfType returns the logical IDs of the resources of a type, sorted.
func (t *Template) OfType(typ string) []string {
	var out []string
	for id, r := range t.Resources {
		if r.Type == typ {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// DeployedDefinition returns the template's one state machine definition
// with its CloudFormation intrinsics resolved: pseudo parameters to the
// placeholders above, and Fn::GetAtt of a function's Arn to
// PlaceholderFunctionARN(name), where functions maps logical IDs to names.
// Anything else it cannot resolve is an error, not a guess.
func (t *Template) DeployedDefinition(functions map[string]string) (string, error) {
	ids := t.OfType("AWS::StepFunctions::StateMachine")
	if len(ids) != 1 {
		return "", fmt.Errorf("template has %d state machines, want 1", len(ids))
	}
	raw, ok := t.Resources[ids[0]].Properties["DefinitionString"]
	if !ok {
		return "", fmt.Errorf("state machine %s has no DefinitionString", ids[0])
	}
	def, err := t.resolve(raw, functions)
	if err != nil {
		return "", fmt.Errorf("state machine %s definition: %w", ids[0], err)
	}
	if !json.Valid([]byte(def)) {
		return "", fmt.Errorf("state machine %s definition is not JSON once resolved", ids[0])
	}
	return def, nil
}

// resolve turns a template value made of strings, Fn::Join, Fn::GetAtt and
// Ref into a string.
func (t *Template) resolve(v any, functions map[string]string) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case map[string]any:
		if len(v) != 1 {
			return "", fmt.Errorf("value with %d keys is not an intrinsic function", len(v))
		}
		for fn, arg := range v {
			switch fn {
			case "Fn::Join":
				args, ok := arg.([]any)
				if !ok || len(args) != 2 {
					return "", fmt.Errorf("Fn::Join wants [separator, [values]]")
				}
				sep, _ := args[0].(string)
				parts, ok := args[1].([]any)
				if !ok {
					return "", fmt.Errorf("Fn::Join wants a list of values")
				}
				out := make([]string, len(parts))
				for i, p := range parts {
					s, err := t.resolve(p, functions)
					if err != nil {
						return "", err
					}
					out[i] = s
				}
				return strings.Join(out, sep), nil
			case "Fn::GetAtt":
				args, ok := arg.([]any)
				if !ok || len(args) != 2 || args[1] != "Arn" {
					return "", fmt.Errorf("Fn::GetAtt %v: only a function's Arn resolves", arg)
				}
				id, _ := args[0].(string)
				name, ok := functions[id]
				if !ok || t.Resources[id].Type != "AWS::Lambda::Function" {
					return "", fmt.Errorf("Fn::GetAtt %s.Arn: not one of the functions %v", id, functions)
				}
				return PlaceholderFunctionARN(name), nil
			case "Ref":
				switch arg {
				case "AWS::Partition":
					return PlaceholderPartition, nil
				case "AWS::Region":
					return PlaceholderRegion, nil
				case "AWS::AccountId":
					return PlaceholderAccount, nil
				case "AWS::URLSuffix":
					return "amazonaws.com", nil
				}
				return "", fmt.Errorf("intrinsic Ref %v does not resolve outside CloudFormation", arg)
			}
			return "", fmt.Errorf("intrinsic %s is not supported", fn)
		}
	}
	return "", fmt.Errorf("value %T is not a string or an intrinsic function", v)
}
