package awslocal

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
)

// EventBridgeTarget is the X-Amz-Target prefix of the EventBridge API.
const EventBridgeTarget = "AWSEvents."

// Event is an event as EventBridge hands it to rules and targets.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	// Bus is the bus the event was put on (not part of the event's JSON).
	Bus string `json:"-"`
	// Received is when the endpoint accepted the event.
	Received time.Time `json:"-"`
}

// InputTransformer is a rule target's input transformer, as PutTargets
// takes it.
type InputTransformer struct {
	InputPathsMap map[string]string `json:"InputPathsMap"`
	InputTemplate string            `json:"InputTemplate"`
}

// RuleTarget is one target of a rule, as PutTargets takes it.
type RuleTarget struct {
	ID               string            `json:"Id"`
	Arn              string            `json:"Arn"`
	Input            string            `json:"Input"`
	InputTransformer *InputTransformer `json:"InputTransformer"`
}

// Delivery is a rule's input for one target of one matched event.
type Delivery struct {
	Rule, Target, Arn string
	// Input is what the target receives: the transformed input, the
	// constant Input, or the event's JSON.
	Input   string
	EventID string
}

type rule struct {
	name, bus string
	pattern   map[string]any
	targets   []RuleTarget
}

// EventBridge is a local EventBridge endpoint serving PutRule, PutTargets
// and PutEvents. Events put on a bus are matched against the bus's rules'
// event patterns (exact values, and the prefix, suffix, anything-but,
// exists and equals-ignore-case filters; any other filter is refused at
// PutRule as an invalid pattern, never ignored), and each target of a
// matching rule gets its input, transformed as its InputTransformer says,
// through deliver in a goroutine of its own, as EventBridge delivers
// asynchronously after PutEvents has answered.
type EventBridge struct {
	*endpoint
	deliver func(Delivery)
	emu     sync.Mutex
	rules   map[string]*rule // by bus/name
	events  []Event
	seq     int
}

// StartEventBridge starts the endpoint on a free loopback port, stopped
// when t ends. deliver receives every target's input (nil: recorded only
// in Events).
func StartEventBridge(t testing.TB, deliver func(Delivery)) *EventBridge {
	t.Helper()
	eb := &EventBridge{deliver: deliver, rules: map[string]*rule{}}
	eb.endpoint = startEndpoint(t, EventBridgeTarget, map[string]operation{
		"PutRule":    eb.putRule,
		"PutTargets": eb.putTargets,
		"PutEvents":  eb.putEvents,
	})
	return eb
}

// URL is the endpoint's base URL.
func (eb *EventBridge) URL() string { return eb.srv.URL }

// Config is an aws.Config pointing at the endpoint with dummy credentials.
func (eb *EventBridge) Config() aws.Config { return eb.awsConfig() }

// Client returns a real EventBridge client pointed at the endpoint.
func (eb *EventBridge) Client(optFns ...func(*eventbridge.Options)) *eventbridge.Client {
	return eventbridge.NewFromConfig(eb.awsConfig(), optFns...)
}

// Requests lists every call received, including rejected ones.
func (eb *EventBridge) Requests() []Request { return eb.log() }

// Events lists the events accepted, oldest first.
func (eb *EventBridge) Events() []Event {
	eb.emu.Lock()
	defer eb.emu.Unlock()
	return append([]Event(nil), eb.events...)
}

func busName(b string) string {
	if b == "" {
		return "default"
	}
	// A bus may be named by its ARN.
	if _, name, ok := strings.Cut(b, ":event-bus/"); ok {
		return name
	}
	return b
}

func (eb *EventBridge) putRule(body json.RawMessage) (any, *apiError) {
	var in struct {
		Name, EventPattern, EventBusName, ScheduleExpression, State string
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	if in.Name == "" || in.EventPattern == "" || in.ScheduleExpression != "" {
		return nil, newError("ValidationException", "a rule here needs a Name and an EventPattern (scheduled rules are not served)")
	}
	var pattern map[string]any
	if err := json.Unmarshal([]byte(in.EventPattern), &pattern); err != nil {
		return nil, newError("InvalidEventPatternException", "event pattern is not a JSON object: "+err.Error())
	}
	if err := validPattern(pattern, ""); err != nil {
		return nil, newError("InvalidEventPatternException", err.Error())
	}
	bus := busName(in.EventBusName)
	eb.emu.Lock()
	defer eb.emu.Unlock()
	key := bus + "/" + in.Name
	if r, ok := eb.rules[key]; ok {
		r.pattern = pattern
	} else {
		eb.rules[key] = &rule{name: in.Name, bus: bus, pattern: pattern}
	}
	return map[string]string{"RuleArn": fmt.Sprintf("arn:aws:events:%s:%s:rule/%s/%s", Region, AccountID, bus, in.Name)}, nil
}

func (eb *EventBridge) putTargets(body json.RawMessage) (any, *apiError) {
	var in struct {
		Rule, EventBusName string
		Targets            []RuleTarget
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	eb.emu.Lock()
	defer eb.emu.Unlock()
	r, ok := eb.rules[busName(in.EventBusName)+"/"+in.Rule]
	if !ok {
		return nil, newError("ResourceNotFoundException", "Rule "+in.Rule+" does not exist on EventBus "+busName(in.EventBusName)+".")
	}
	for _, tg := range in.Targets {
		if tg.ID == "" || tg.Arn == "" {
			return nil, newError("ValidationException", "a target needs an Id and an Arn")
		}
		if tg.InputTransformer != nil {
			for _, p := range tg.InputTransformer.InputPathsMap {
				if !strings.HasPrefix(p, "$") {
					return nil, newError("ValidationException", "InputPathsMap value "+p+" is not a JSON path")
				}
			}
		}
		replaced := false
		for i := range r.targets {
			if r.targets[i].ID == tg.ID {
				r.targets[i], replaced = tg, true
			}
		}
		if !replaced {
			r.targets = append(r.targets, tg)
		}
	}
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}, nil
}

func (eb *EventBridge) putEvents(body json.RawMessage) (any, *apiError) {
	var in struct {
		Entries []struct {
			Source, DetailType, Detail, EventBusName, Time string
			Resources                                      []string
		}
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	if len(in.Entries) == 0 || len(in.Entries) > 10 {
		return nil, newError("ValidationException", fmt.Sprintf("%d entries: want 1-10", len(in.Entries)))
	}
	type result struct {
		EventID      string `json:"EventId,omitempty"`
		ErrorCode    string `json:"ErrorCode,omitempty"`
		ErrorMessage string `json:"ErrorMessage,omitempty"`
	}
	out := struct {
		FailedEntryCount int
		Entries          []result
	}{}
	now := time.Now().UTC()
	eb.emu.Lock()
	defer eb.emu.Unlock()
	for _, e := range in.Entries {
		var detail map[string]any
		if e.Source == "" || e.DetailType == "" || json.Unmarshal([]byte(e.Detail), &detail) != nil {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, result{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed, or Source or DetailType is missing."})
			continue
		}
		eb.seq++
		ev := Event{
			Version: "0", ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", eb.seq), DetailType: e.DetailType, Source: e.Source,
			Account: AccountID, Time: now.Format(time.RFC3339), Region: Region, Resources: e.Resources, Detail: json.RawMessage(e.Detail),
			Bus: busName(e.EventBusName), Received: now,
		}
		if ev.Resources == nil {
			ev.Resources = []string{}
		}
		eb.events = append(eb.events, ev)
		out.Entries = append(out.Entries, result{EventID: ev.ID})
		eb.route(ev)
	}
	return out, nil
}

// route hands ev to every target of every rule on its bus that matches
// it; called with eb.emu held.
func (eb *EventBridge) route(ev Event) {
	raw, _ := json.Marshal(ev)
	var doc map[string]any
	_ = json.Unmarshal(raw, &doc)
	for _, r := range eb.rules {
		if r.bus != ev.Bus || !matches(r.pattern, doc) {
			continue
		}
		for _, tg := range r.targets {
			d := Delivery{Rule: r.name, Target: tg.ID, Arn: tg.Arn, EventID: ev.ID, Input: string(raw)}
			switch {
			case tg.InputTransformer != nil:
				d.Input = transform(*tg.InputTransformer, doc)
			case tg.Input != "":
				d.Input = tg.Input
			}
			if eb.deliver != nil {
				go eb.deliver(d)
			}
		}
	}
}

// validPattern checks that every leaf of an event pattern is an array of
// values or of the filters matches knows.
func validPattern(p map[string]any, at string) error {
	for k, v := range p {
		switch v := v.(type) {
		case map[string]any:
			if err := validPattern(v, at+k+"."); err != nil {
				return err
			}
		case []any:
			for _, c := range v {
				f, ok := c.(map[string]any)
				if !ok {
					continue
				}
				for op := range f {
					switch op {
					case "prefix", "suffix", "anything-but", "exists", "equals-ignore-case":
					default:
						return fmt.Errorf("%s%s: filter %q is not served by this stand-in", at, k, op)
					}
				}
			}
		default:
			return fmt.Errorf("%s%s: want an object or an array, got %v", at, k, v)
		}
	}
	return nil
}

// matches applies an event pattern to an event's JSON document.
func matches(p map[string]any, doc map[string]any) bool {
	for k, pv := range p {
		v, present := doc[k]
		switch pv := pv.(type) {
		case map[string]any:
			sub, ok := v.(map[string]any)
			if !ok || !matches(pv, sub) {
				return false
			}
		case []any:
			if !matchesOne(pv, v, present) {
				return false
			}
		}
	}
	return true
}

// matchesOne reports whether value (or, for an array, any element) is
// one of candidates.
func matchesOne(candidates []any, value any, present bool) bool {
	values := []any{value}
	if arr, ok := value.([]any); ok {
		values = arr
	}
	for _, c := range candidates {
		f, isFilter := c.(map[string]any)
		if isFilter {
			if e, ok := f["exists"].(bool); ok {
				if e == present {
					return true
				}
				continue
			}
		}
		if !present {
			continue
		}
		for _, v := range values {
			if isFilter && filterMatches(f, v) || !isFilter && equal(c, v) {
				return true
			}
		}
	}
	return false
}

func filterMatches(f map[string]any, v any) bool {
	s, isString := v.(string)
	for op, arg := range f {
		switch op {
		case "prefix":
			a, _ := arg.(string)
			return isString && strings.HasPrefix(s, a)
		case "suffix":
			a, _ := arg.(string)
			return isString && strings.HasSuffix(s, a)
		case "equals-ignore-case":
			a, _ := arg.(string)
			return isString && strings.EqualFold(s, a)
		case "anything-but":
			list, ok := arg.([]any)
			if !ok {
				list = []any{arg}
			}
			for _, a := range list {
				if equal(a, v) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case string:
		s, ok := b.(string)
		return ok && s == a
	case float64:
		n, ok := b.(float64)
		return ok && n == a
	case bool:
		x, ok := b.(bool)
		return ok && x == a
	case nil:
		return b == nil
	}
	return false
}

// transform applies an input transformer to an event's JSON document.
// Each <name> of InputPathsMap is replaced by the value at its path; a
// template that is a JSON string (in quotes) gets each value escaped for
// a JSON string, as EventBridge keeps such output valid JSON, and the
// result keeps its quotes, as SNS targets receive it (users report the
// quotes in their SNS mail: hashicorp/terraform-provider-aws#43253,
// aws/aws-cdk#38121). Elsewhere strings
// are put in as they are and other values as JSON. A path that matches
// nothing gives an empty value.
func transform(tr InputTransformer, doc map[string]any) string {
	quoted := len(tr.InputTemplate) >= 2 && strings.HasPrefix(tr.InputTemplate, `"`) && strings.HasSuffix(tr.InputTemplate, `"`)
	pairs := make([]string, 0, 2*len(tr.InputPathsMap))
	for name, path := range tr.InputPathsMap {
		v := lookup(doc, path)
		var s string
		switch v := v.(type) {
		case nil:
		case string:
			s = v
		default:
			b, _ := json.Marshal(v)
			s = string(b)
		}
		if quoted {
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s)
			q := strings.TrimSuffix(b.String(), "\n")
			s = q[1 : len(q)-1]
		}
		pairs = append(pairs, "<"+name+">", s)
	}
	return strings.NewReplacer(pairs...).Replace(tr.InputTemplate)
}

// lookup follows a dot-notation JSON path ($.detail.trigger.type).
func lookup(doc map[string]any, path string) any {
	var cur any = doc
	rest := strings.TrimPrefix(strings.TrimPrefix(path, "$"), ".")
	if rest == "" {
		return doc
	}
	for _, key := range strings.Split(rest, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[key]
	}
	return cur
}
