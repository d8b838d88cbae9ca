package cfnvalidate

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/journeygate/journeygate/infra"
)

// template is a CloudFormation template as the validators read it: numbers
// stay json.Number, as the JSON Schema validator wants them.
type template struct {
	Parameters map[string]struct {
		Type    string `json:"Type"`
		Default any    `json:"Default"`
	} `json:"Parameters"`
	Mappings  map[string]map[string]map[string]any `json:"Mappings"`
	Resources map[string]resource                  `json:"Resources"`
}

type resource struct {
	Type       string         `json:"Type"`
	Properties map[string]any `json:"Properties"`
}

func parseTemplate(data []byte) (*template, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var t template
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	return &t, nil
}

// ids returns the template's logical IDs, sorted.
func (t *template) ids() []string {
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Placeholders for the values CloudFormation fills in at deploy time: the
// pseudo parameters are infra's, so a resolved template reads like the
// state machine definition the contract test runs.
const (
	partition = infra.PlaceholderPartition
	region    = infra.PlaceholderRegion
	account   = infra.PlaceholderAccount
	urlSuffix = "amazonaws.com"
)

// noValue is what {"Ref": "AWS::NoValue"} resolves to: its key or element
// is dropped.
type noValue struct{}

// resolver replaces a template's intrinsic functions with placeholders of
// the type and shape CloudFormation would put there: a Ref of a table is a
// table name, a GetAtt of its Arn an ARN of a DynamoDB table with that
// name. An intrinsic it has no rule for is an error naming it, never a
// guess.
type resolver struct {
	t     *template
	stack string
	depth int
}

func (r *resolver) resolve(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 1 {
			for k, arg := range v {
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return r.intrinsic(k, arg)
				}
			}
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			y, err := r.resolve(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, drop := y.(noValue); !drop {
				out[k] = y
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(v))
		for i, x := range v {
			y, err := r.resolve(x)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if _, drop := y.(noValue); !drop {
				out = append(out, y)
			}
		}
		return out, nil
	}
	return v, nil
}

func (r *resolver) str(v any) (string, error) {
	x, err := r.resolve(v)
	if err != nil {
		return "", err
	}
	switch x := x.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("%s is not a string", compact(v))
}

func (r *resolver) list(v any) ([]any, error) {
	x, err := r.resolve(v)
	if err != nil {
		return nil, err
	}
	l, ok := x.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a list", compact(v))
	}
	return l, nil
}

func (r *resolver) intrinsic(fn string, arg any) (any, error) {
	if r.depth > 20 {
		return nil, fmt.Errorf("%s: intrinsics nest too deep (a cycle?)", fn)
	}
	r.depth++
	defer func() { r.depth-- }()
	args, _ := arg.([]any)
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("intrinsic Ref %s: not a name", compact(arg))
		}
		return r.ref(name)
	case "Fn::GetAtt":
		var id, attr string
		switch {
		case len(args) == 2:
			id, _ = args[0].(string)
			var err error
			if attr, err = r.str(args[1]); err != nil {
				return nil, err
			}
		default:
			s, _ := arg.(string)
			id, attr, _ = strings.Cut(s, ".")
		}
		return r.getAtt(id, attr)
	case "Fn::Join":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Join wants [separator, [values]], not %s", compact(arg))
		}
		sep, _ := args[0].(string)
		parts, err := r.list(args[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Join: %w", err)
		}
		out := make([]string, len(parts))
		for i, p := range parts {
			if out[i], err = r.str(p); err != nil {
				return nil, fmt.Errorf("Fn::Join: %w", err)
			}
		}
		return strings.Join(out, sep), nil
	case "Fn::Sub":
		return r.sub(arg)
	case "Fn::Select":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Select wants [index, list], not %s", compact(arg))
		}
		is, err := r.str(args[0])
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, fmt.Errorf("Fn::Select index %q: %w", is, err)
		}
		l, err := r.list(args[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Select: %w", err)
		}
		if i < 0 || i >= len(l) {
			return nil, fmt.Errorf("Fn::Select index %d out of a list of %d", i, len(l))
		}
		return l[i], nil
	case "Fn::Split":
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Split wants [delimiter, string], not %s", compact(arg))
		}
		sep, _ := args[0].(string)
		s, err := r.str(args[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Split: %w", err)
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Base64":
		s, err := r.str(arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::Base64: %w", err)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::GetAZs":
		return []any{region + "a", region + "b", region + "c"}, nil
	case "Fn::FindInMap":
		if len(args) != 3 {
			return nil, fmt.Errorf("Fn::FindInMap wants [map, key, key], not %s", compact(arg))
		}
		var keys [3]string
		for i := range keys {
			var err error
			if keys[i], err = r.str(args[i]); err != nil {
				return nil, fmt.Errorf("Fn::FindInMap: %w", err)
			}
		}
		v, ok := r.t.Mappings[keys[0]][keys[1]][keys[2]]
		if !ok {
			return nil, fmt.Errorf("Fn::FindInMap %v: no such entry", keys)
		}
		return r.resolve(v)
	case "Fn::ToJsonString":
		v, err := r.resolve(arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::ToJsonString: %w", err)
		}
		data, err := json.Marshal(v)
		return string(data), err
	case "Fn::Length":
		l, err := r.list(arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::Length: %w", err)
		}
		return json.Number(strconv.Itoa(len(l))), nil
	}
	return nil, fmt.Errorf("intrinsic %s is not supported by the resolver (conditions, imports and CIDRs have no placeholder)", fn)
}

func (r *resolver) sub(arg any) (any, error) {
	var text string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Sub wants a string or [string, {variables}], not %s", compact(arg))
		}
		text, _ = a[0].(string)
		m, _ := a[1].(map[string]any)
		for k, v := range m {
			vars[k] = v
		}
	default:
		return nil, fmt.Errorf("Fn::Sub wants a string or [string, {variables}], not %s", compact(arg))
	}
	var b strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			b.WriteString(text)
			return b.String(), nil
		}
		b.WriteString(text[:i])
		j := strings.Index(text[i:], "}")
		if j < 0 {
			return nil, fmt.Errorf("Fn::Sub %q: unclosed ${", text)
		}
		name := text[i+2 : i+j]
		text = text[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v any
		var err error
		if x, ok := vars[name]; ok {
			v, err = r.str(x)
		} else if id, attr, ok := strings.Cut(name, "."); ok {
			v, err = r.getAtt(id, attr)
		} else {
			v, err = r.ref(name)
		}
		if err != nil {
			return nil, fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub ${%s} is not a string", name)
		}
		b.WriteString(s)
	}
}

func (r *resolver) ref(name string) (any, error) {
	switch name {
	case "AWS::Partition":
		return partition, nil
	case "AWS::Region":
		return region, nil
	case "AWS::AccountId":
		return account, nil
	case "AWS::URLSuffix":
		return urlSuffix, nil
	case "AWS::StackName":
		return r.stack, nil
	case "AWS::StackId":
		return arn("cloudformation", "stack/"+r.stack+"/"+uuid(r.stack)), nil
	case "AWS::NoValue":
		return noValue{}, nil
	case "AWS::NotificationARNs":
		return []any{}, nil
	}
	if p, ok := r.t.Parameters[name]; ok {
		if p.Default == nil {
			return nil, fmt.Errorf("intrinsic Ref %s: a parameter without a default has no placeholder", name)
		}
		return p.Default, nil
	}
	res, ok := r.t.Resources[name]
	if !ok {
		return nil, fmt.Errorf("intrinsic Ref %s: no such resource or parameter", name)
	}
	k, ok := kinds[res.Type]
	if !ok || k.ref == "" {
		return nil, fmt.Errorf("intrinsic Ref %s: the resolver has no rule for a Ref of %s", name, res.Type)
	}
	return r.attr(name, k, k.ref)
}

func (r *resolver) getAtt(id, attr string) (any, error) {
	res, ok := r.t.Resources[id]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource", id, attr)
	}
	k, ok := kinds[res.Type]
	if !ok || k.attrs[attr] == "" {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: the resolver has no rule for %s's %s", id, attr, res.Type, attr)
	}
	return r.attr(id, k, k.attrs[attr])
}

// attr returns one of a resource's values: "name" (its physical name),
// "arn", "id" (a generated identifier) or a literal placeholder.
func (r *resolver) attr(id string, k kind, what string) (any, error) {
	name, err := r.name(id, k)
	if err != nil {
		return nil, err
	}
	switch what {
	case "name":
		return name, nil
	case "arn":
		return k.arn(name), nil
	}
	return strings.ReplaceAll(what, "{name}", name), nil
}

// name is the resource's physical name: its name property when it sets
// one, else a generated one (lower case, so valid for a bucket too).
func (r *resolver) name(id string, k kind) (string, error) {
	if k.nameProp != "" {
		if v, ok := r.t.Resources[id].Properties[k.nameProp]; ok {
			s, err := r.str(v)
			if err != nil {
				return "", fmt.Errorf("%s.%s: %w", id, k.nameProp, err)
			}
			return s, nil
		}
	}
	if k.generated != nil {
		return k.generated(id), nil
	}
	n := strings.ToLower(id)
	if len(n) > 48 {
		n = n[:48]
	}
	return n, nil
}

// kind is how a resource type's Ref and attributes look.
type kind struct {
	nameProp  string
	generated func(id string) string
	ref       string
	attrs     map[string]string
	arn       func(name string) string
}

func arn(service, res string) string {
	return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + res
}

func uuid(seed string) string {
	h := sha256.Sum256([]byte(seed))
	x := fmt.Sprintf("%x", h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

var kinds = map[string]kind{
	"AWS::CloudWatch::Alarm": {nameProp: "AlarmName", ref: "name", attrs: map[string]string{"Arn": "arn"},
		arn: func(n string) string { return arn("cloudwatch", "alarm:"+n) }},
	"AWS::CloudWatch::Dashboard": {nameProp: "DashboardName", ref: "name",
		arn: func(n string) string { return "arn:" + partition + ":cloudwatch::" + account + ":dashboard/" + n }},
	"AWS::DynamoDB::Table": {nameProp: "TableName", ref: "name",
		attrs: map[string]string{"Arn": "arn", "StreamArn": "arn:" + partition + ":dynamodb:" + region + ":" + account + ":table/{name}/stream/2024-01-01T00:00:00.000"},
		arn:   func(n string) string { return arn("dynamodb", "table/"+n) }},
	// A security group has no name property for its ID: sg- and 17 hex digits.
	"AWS::EC2::SecurityGroup": {generated: func(id string) string { return "sg-" + strings.ReplaceAll(uuid(id), "-", "")[:17] }, ref: "name",
		attrs: map[string]string{"GroupId": "name"},
		arn:   func(n string) string { return arn("ec2", "security-group/"+n) }},
	"AWS::Events::Rule": {nameProp: "Name", ref: "name", attrs: map[string]string{"Arn": "arn"},
		arn: func(n string) string { return arn("events", "rule/"+n) }},
	"AWS::IAM::Role": {nameProp: "RoleName", ref: "name", attrs: map[string]string{"Arn": "arn", "RoleId": "AROAPLACEHOLDER{name}"},
		arn: func(n string) string { return "arn:" + partition + ":iam::" + account + ":role/" + n }},
	"AWS::IAM::ManagedPolicy": {nameProp: "ManagedPolicyName", ref: "arn", attrs: map[string]string{"PolicyArn": "arn"},
		arn: func(n string) string { return "arn:" + partition + ":iam::" + account + ":policy/" + n }},
	"AWS::KMS::Key": {generated: uuid, ref: "name", attrs: map[string]string{"Arn": "arn", "KeyId": "name"},
		arn: func(n string) string { return arn("kms", "key/"+n) }},
	"AWS::KMS::Alias": {nameProp: "AliasName", ref: "name",
		arn: func(n string) string { return arn("kms", n) }},
	"AWS::Lambda::Function": {nameProp: "FunctionName", ref: "name", attrs: map[string]string{"Arn": "arn"},
		arn: func(n string) string { return arn("lambda", "function:"+n) }},
	// A layer version's Ref is its version ARN; a stack creates version 1.
	"AWS::Lambda::LayerVersion": {nameProp: "LayerName", ref: "arn",
		arn: func(n string) string { return arn("lambda", "layer:"+n+":1") }},
	"AWS::Lambda::Url": {generated: func(id string) string { return "abcdefghijklmnopqrstuvwxyz012345" }, ref: "arn",
		attrs: map[string]string{"FunctionUrl": "https://{name}.lambda-url." + region + ".on.aws/", "FunctionArn": "arn"},
		arn:   func(n string) string { return arn("lambda", "function:placeholder-url-function") }},
	"AWS::Logs::LogGroup": {nameProp: "LogGroupName", ref: "name", attrs: map[string]string{"Arn": "arn"},
		// A log group's Arn attribute ends in ":*", as CloudWatch Logs
		// reports it.
		arn: func(n string) string { return arn("logs", "log-group:"+n+":*") }},
	"AWS::S3::Bucket": {nameProp: "BucketName", ref: "name",
		attrs: map[string]string{"Arn": "arn", "DomainName": "{name}.s3.amazonaws.com", "RegionalDomainName": "{name}.s3." + region + ".amazonaws.com"},
		arn:   func(n string) string { return "arn:" + partition + ":s3:::" + n }},
	"AWS::Scheduler::Schedule": {nameProp: "Name", ref: "name", attrs: map[string]string{"Arn": "arn"},
		arn: func(n string) string { return arn("scheduler", "schedule/default/"+n) }},
	"AWS::SecretsManager::Secret": {nameProp: "Name", ref: "arn", attrs: map[string]string{"Id": "arn"},
		arn: func(n string) string { return arn("secretsmanager", "secret:"+n+"-AbCdEf") }},
	"AWS::SNS::Topic": {nameProp: "TopicName", ref: "arn", attrs: map[string]string{"TopicArn": "arn", "TopicName": "name"},
		arn: func(n string) string { return arn("sns", n) }},
	"AWS::SQS::Queue": {nameProp: "QueueName", ref: "https://sqs." + region + ".amazonaws.com/" + account + "/{name}",
		attrs: map[string]string{"Arn": "arn", "QueueName": "name", "QueueUrl": "https://sqs." + region + ".amazonaws.com/" + account + "/{name}"},
		arn:   func(n string) string { return arn("sqs", n) }},
	"AWS::StepFunctions::StateMachine": {nameProp: "StateMachineName", ref: "arn", attrs: map[string]string{"Arn": "arn", "Name": "name"},
		arn: func(n string) string { return arn("states", "stateMachine:"+n) }},
}

func compact(v any) string {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(data)
	if len(s) > 120 {
		s = s[:58] + "…" + s[len(s)-58:]
	}
	return s
}
