package cfnvalidate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/journeygate/journeygate/test/repo"
)

// GuardModule is the npm package that carries cfn-guard (its binary for
// Linux and macOS) with AWS Control Tower's proactive-control rules, and
// the code that runs one on the other and reads cfn-guard's report.
const GuardModule = "@cdklabs/cdk-validator-cfnguard"

// guardScript runs the package's CfnGuardValidator, as the CDK runs it as
// a policy-validation plugin, with the rule files given as a JSON list on
// the templates named after it, and prints its violations as JSON.
const guardScript = `
const { CfnGuardValidator } = require(process.argv[1]);
const rules = JSON.parse(process.argv[2]);
const report = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules })
  .validate({ templatePaths: process.argv.slice(3) });
const out = [];
for (const v of report.violations) {
  for (const r of v.violatingResources) {
    out.push({ rule: v.ruleName, description: v.description, fix: v.fix,
      resource: r.resourceLogicalId, template: r.templatePath, locations: r.locations });
  }
}
process.stdout.write(JSON.stringify(out));
`

// controlID reads the Control Tower control a rule's description names:
// "[CT.LAMBDA.PR.3]: Require ...".
var controlID = regexp.MustCompile(`^\[(CT\.[A-Z0-9]+\.PR\.[0-9]+)\]:?\s*`)

// Guard runs cfn-guard with Control Tower's rules on the stack's template.
// A finding's Rule is the control's ID (CT.LAMBDA.PR.3), or the guard
// rule's name for a rule that names no control.
func Guard(s Stack) ([]Finding, error) {
	module, err := repo.NodeModule(GuardModule)
	if err != nil {
		return nil, err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node not found on PATH: %w", err)
	}
	dir, err := os.MkdirTemp("", "journeygate-guard-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.json")
	if err := os.WriteFile(path, s.JSON, 0o600); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	rules, err := guardRules(filepath.Join(module, "rules", "control-tower", "cfn-guard"), s.JSON)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, node, "-e", guardScript, module, string(rules), path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cfn-guard on %s: %w: %s", s.Name, err, strings.TrimSpace(stderr.String()))
	}
	var violations []struct {
		Rule, Description, Fix, Resource string
		Locations                        []string
	}
	if err := json.Unmarshal(stdout.Bytes(), &violations); err != nil {
		return nil, fmt.Errorf("cfn-guard on %s: reading its report: %w", s.Name, err)
	}
	named := map[string]bool{} // rules reported on a named resource
	for _, v := range violations {
		if v.Resource != "" {
			named[v.Rule] = true
		}
	}
	var out []Finding
	for _, v := range violations {
		if v.Resource == "" && named[v.Rule] {
			// The plugin repeats a rule's finding without its resource when
			// cfn-guard reports a check it could not place; the named
			// finding says it all.
			continue
		}
		rule, text := v.Rule, strings.TrimSpace(v.Description)
		if m := controlID.FindStringSubmatch(text); m != nil {
			rule, text = m[1], text[len(m[0]):]
		}
		msg := "breaks Control Tower's " + text
		if fix := strings.TrimSpace(v.Fix); fix != "" && fix != "N/A" && fix != strings.TrimSpace(v.Description) {
			msg += "; fix: " + fix
		}
		var paths []string
		for _, l := range v.Locations {
			p := strings.TrimPrefix(l, "/Resources/"+v.Resource)
			if p = strings.TrimPrefix(p, "/"); p != "" {
				paths = append(paths, p)
			}
		}
		resource := v.Resource
		if resource == "" {
			resource = "(template)"
		}
		out = append(out, Finding{Validator: ValidatorGuard, Rule: rule, Stack: s.Name, Resource: resource,
			Path: commonPath(paths), Message: msg})
	}
	return out, nil
}

var resourceType = regexp.MustCompile(`AWS::[A-Za-z0-9]+::[A-Za-z0-9]+`)

// guardRules lists, as JSON, the rule files under dir that can apply to
// the template: those that name a resource type it has, or none at all.
// Every Control Tower rule selects resources by type, so the others could
// find nothing; skipping them makes cfn-guard ten times faster.
func guardRules(dir string, template []byte) ([]byte, error) {
	t, err := parseTemplate(template)
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, r := range t.Resources {
		has[r.Type] = true
	}
	var rules []string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".guard") {
			return err
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		types := resourceType.FindAllString(string(text), -1)
		use := len(types) == 0
		for _, typ := range types {
			use = use || has[typ]
		}
		if use {
			rules = append(rules, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("control tower rules: %w", err)
	}
	if len(rules) == 0 {
		return nil, fmt.Errorf("no control tower rules under %s", dir)
	}
	return json.Marshal(rules)
}

// commonPath is the deepest path all of paths are in ("Properties" for
// Properties/A and Properties/B/C).
func commonPath(paths []string) string {
	if len(paths) == 0 {
		return ""
	}
	common := strings.Split(paths[0], "/")
	for _, p := range paths[1:] {
		parts := strings.Split(p, "/")
		n := 0
		for n < len(common) && n < len(parts) && common[n] == parts[n] {
			n++
		}
		common = common[:n]
	}
	return strings.Join(common, "/")
}
