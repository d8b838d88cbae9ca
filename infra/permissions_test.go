package infra_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/test/repo"
)

// TestAlarmTopicAcceptsThisStacksAlarms: CloudWatch may publish to the
// alarm topic, and use its key, for this stack's alarms only (this
// account, alarms named like this stack's); without both, no alarm pages
// anyone ("not authorized to perform SNS:Publish").
func TestAlarmTopicAcceptsThisStacksAlarms(t *testing.T) {
	s := synth(t, "staging")
	topic := s.Template.OfType("AWS::SNS::Topic")[0]
	key := s.Template.OfType("AWS::KMS::Key")[0]
	const source = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:journeygate-staging-*"
	for _, tc := range []struct {
		what       string
		statements []map[string]any
		actions    []string
		resource   string
	}{
		{"topic policy", topicPolicyStatements(t, s, topic), []string{"sns:Publish"}, "${" + topic + "}"},
		{"key policy", policyStatements(s.Template.Resources[key].Properties["KeyPolicy"]), []string{"kms:Decrypt", "kms:GenerateDataKey*"}, "*"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			var found []map[string]any
			for _, st := range tc.statements {
				if st["Effect"] == "Allow" && slices.Contains(list(principal(st, "Service")), "cloudwatch.amazonaws.com") {
					found = append(found, st)
				}
			}
			if len(found) != 1 {
				t.Fatalf("%d statements for cloudwatch.amazonaws.com, want 1: %v", len(found), found)
			}
			st := found[0]
			if got := list(st["Action"]); !slices.Equal(got, tc.actions) {
				t.Errorf("actions %v, want %v", got, tc.actions)
			}
			if got := render(st["Resource"]); got != tc.resource {
				t.Errorf("resource %s, want %s", got, tc.resource)
			}
			cond, _ := st["Condition"].(map[string]any)
			eq, _ := cond["StringEquals"].(map[string]any)
			like, _ := cond["ArnLike"].(map[string]any)
			if got := render(eq["aws:SourceAccount"]); got != infra.PlaceholderAccount {
				t.Errorf("aws:SourceAccount %q, want this account", got)
			}
			if got := render(like["aws:SourceArn"]); got != source {
				t.Errorf("aws:SourceArn %q, want %q", got, source)
			}
		})
	}
	// The condition covers every alarm of the stack.
	prefix := strings.TrimSuffix(source[strings.LastIndex(source, ":")+1:], "*")
	for _, id := range s.Template.OfType("AWS::CloudWatch::Alarm") {
		if name, _ := s.Template.Resources[id].Properties["AlarmName"].(string); !strings.HasPrefix(name, prefix) {
			t.Errorf("alarm %s (%s) is outside aws:SourceArn %s: CloudWatch may not publish its notifications", name, id, source)
		}
	}
}

// TestNoStatementTwice: a statement repeated in one policy (apart from its
// Sid) grants nothing more and hides which grant is meant.
func TestNoStatementTwice(t *testing.T) {
	s := synth(t, "staging")
	for id, r := range s.Template.Resources {
		var doc any
		switch r.Type {
		case "AWS::KMS::Key":
			doc = r.Properties["KeyPolicy"]
		case "AWS::IAM::Policy", "AWS::SNS::TopicPolicy", "AWS::S3::BucketPolicy", "AWS::Logs::ResourcePolicy":
			doc = r.Properties["PolicyDocument"]
		default:
			continue
		}
		seen := map[string]bool{}
		for _, st := range policyStatements(doc) {
			delete(st, "Sid")
			b, _ := json.Marshal(st)
			if seen[string(b)] {
				t.Errorf("%s (%s) has this statement twice: %s", id, r.Type, b)
			}
			seen[string(b)] = true
		}
	}
}

// TestFunctionsReadEveryVariableSet: each JOURNEYGATE_ variable the
// construct sets on a function is one its main reads: functions/NAME/main.go,
// or for the runner and the gate their public mains, lambda/NAME: a
// variable nothing reads only misleads whoever configures it.
func TestFunctionsReadEveryVariableSet(t *testing.T) {
	s := synth(t, "staging")
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	getenv := regexp.MustCompile(`getenv\("(JOURNEYGATE_[A-Z0-9_]+)"\)`)
	// readBy lists the variables the non-test Go files of dir read.
	readBy := func(dir string) map[string]bool {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s (%v)", dir, err)
		}
		out := map[string]bool{}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range getenv.FindAllStringSubmatch(string(data), -1) {
				out[m[1]] = true
			}
		}
		return out
	}
	// The browser runner's main (lambda/browserrunner) is the runner's
	// with its setup; the Chromium it starts is configured by the browser
	// SDK's variables, read by shared/browser.
	browserVars := regexp.MustCompile(`"(JOURNEYGATE_CHROMIUM[A-Z0-9_]*)"`)
	for id, name := range s.Gate.FunctionLogicalIDs() {
		main := filepath.Join("functions", name)
		if _, err := os.Stat(filepath.Join(root, "lambda", name)); err == nil {
			main = filepath.Join("lambda", name)
		}
		var reads map[string]bool
		if name == infra.FunctionBrowserRunner {
			reads = readBy(filepath.Join("lambda", "runner"))
			maps.Copy(reads, readBy(filepath.Join("lambda", "browserrunner")))
			data, err := os.ReadFile(filepath.Join(root, "shared", "browser", "chromium.go"))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range browserVars.FindAllStringSubmatch(string(data), -1) {
				reads[m[1]] = true
			}
		} else {
			reads = readBy(main)
		}
		env, _ := s.Template.Resources[id].Properties["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		for k := range vars {
			if strings.HasPrefix(k, "JOURNEYGATE_") && !reads[k] {
				t.Errorf("%s: %s is set, but %s never reads it", name, k, main)
			}
		}
	}
}

// topicPolicyStatements are the statements of the topic's topic policies.
func topicPolicyStatements(t *testing.T, s *infratest.Synth, topic string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, id := range s.Template.OfType("AWS::SNS::TopicPolicy") {
		p := s.Template.Resources[id].Properties
		if slices.ContainsFunc(p["Topics"].([]any), func(v any) bool { return render(v) == "${"+topic+"}" }) {
			out = append(out, policyStatements(p["PolicyDocument"])...)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no topic policy for %s", topic)
	}
	return out
}

// policyStatements are a policy document's statements (copies).
func policyStatements(doc any) []map[string]any {
	d, _ := doc.(map[string]any)
	sts, _ := d["Statement"].([]any)
	out := make([]map[string]any, 0, len(sts))
	for _, st := range sts {
		m, _ := st.(map[string]any)
		c := make(map[string]any, len(m))
		for k, v := range m {
			c[k] = v
		}
		out = append(out, c)
	}
	return out
}

// principal is a statement's principal of a kind ("Service", "AWS").
func principal(st map[string]any, kind string) any {
	p, _ := st["Principal"].(map[string]any)
	return p[kind]
}

// render writes a template value as a string: pseudo parameters as the
// infra placeholders, Ref X as ${X}, Fn::GetAtt X.A as ${X.A}, Fn::Join
// joined; anything else as its JSON.
func render(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		if ref, ok := v["Ref"].(string); ok && len(v) == 1 {
			switch ref {
			case "AWS::Partition":
				return infra.PlaceholderPartition
			case "AWS::Region":
				return infra.PlaceholderRegion
			case "AWS::AccountId":
				return infra.PlaceholderAccount
			case "AWS::URLSuffix":
				return "amazonaws.com"
			}
			return "${" + ref + "}"
		}
		if att, ok := v["Fn::GetAtt"].([]any); ok && len(v) == 1 && len(att) == 2 {
			return fmt.Sprintf("${%v.%v}", att[0], att[1])
		}
		if join, ok := v["Fn::Join"].([]any); ok && len(v) == 1 && len(join) == 2 {
			sep, _ := join[0].(string)
			parts, _ := join[1].([]any)
			out := make([]string, len(parts))
			for i, p := range parts {
				out[i] = render(p)
			}
			return strings.Join(out, sep)
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}
