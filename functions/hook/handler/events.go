package handler

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// CodeDeployHookEvent is what CodeDeploy sends a lifecycle hook function
// (aws-lambda-go has no type for it).
type CodeDeployHookEvent struct {
	DeploymentID                  string `json:"DeploymentId"`
	LifecycleEventHookExecutionID string `json:"LifecycleEventHookExecutionId"`
}

// PipelineParameters is what a CodePipeline action's UserParameters may
// hold, as a JSON object; every field is optional.
type PipelineParameters struct {
	Environment string       `json:"environment"`
	Services    []string     `json:"services"`
	Tier        journey.Tier `json:"tier"`
	Journeys    []string     `json:"journeys"`
}

// Request is a journeygate request: what an EventBridge Scheduler target
// or a person sends, wrapped as {"journeygate": Request}.
type Request struct {
	// Trigger is "schedule" or "manual".
	Trigger string `json:"trigger"`
	// Environment defaults to Config.Environment.
	Environment string       `json:"environment"`
	Tier        journey.Tier `json:"tier"`
	Journeys    []string     `json:"journeys"`
	Services    []string     `json:"services"`
	// Schedule names the schedule (its ARN or name); schedules only.
	Schedule string `json:"schedule"`
	// ScheduledTime is the Scheduler's <aws.scheduler.scheduled-time>; a
	// schedule needs it so a retried delivery starts no second run.
	ScheduledTime string `json:"scheduledTime"`
	// RequestID makes a manual request idempotent (optional).
	RequestID string `json:"requestId"`
	// RequestedBy says who asked, for the record (optional).
	RequestedBy string `json:"requestedBy"`
}

// kind is a recognised event shape.
type kind int

const (
	kindCodeDeploy kind = iota + 1
	kindCodePipeline
	kindRequest
	kindLastResort
	kindECS
)

// parsed is a recognised event.
type parsed struct {
	kind     kind
	deploy   CodeDeployHookEvent
	pipeline pipelineJob
	request  Request
	// lastResort is the state machine's last-resort request.
	lastResort flow.LastResortRequest
	ecs        ECSHookEvent
}

// accepted lists the shapes the hook accepts, for error messages.
const accepted = `a CodeDeploy lifecycle hook {"DeploymentId","LifecycleEventHookExecutionId"}, ` +
	`an Amazon ECS lifecycle hook {"lifecycleStage","resourceArn","executionDetails"}, ` +
	`a CodePipeline job {"CodePipeline.job"}, or a journeygate request {"journeygate": {"trigger": "schedule"|"manual", ...}}`

// parse recognises raw by its top-level keys.
func parse(raw json.RawMessage) (parsed, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return parsed{}, &InvalidEventError{Reason: fmt.Sprintf("not a JSON object (%v); want %s", err, accepted)}
	}
	_, hasDeploy := top["DeploymentId"]
	_, hasHook := top["LifecycleEventHookExecutionId"]
	switch {
	case hasDeploy || hasHook:
		var ev CodeDeployHookEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return parsed{}, &InvalidEventError{Reason: "CodeDeploy hook event: " + err.Error()}
		}
		var missing []string
		if ev.DeploymentID == "" {
			missing = append(missing, "DeploymentId")
		}
		if ev.LifecycleEventHookExecutionID == "" {
			missing = append(missing, "LifecycleEventHookExecutionId")
		}
		if len(missing) > 0 {
			return parsed{}, &InvalidEventError{Reason: "CodeDeploy hook event without " + strings.Join(missing, " and ")}
		}
		return parsed{kind: kindCodeDeploy, deploy: ev}, nil
	case top["lifecycleStage"] != nil || top["executionDetails"] != nil:
		// An ECS hook is answered even when malformed: answerECS answers
		// FAILED for what it cannot serve, where an error would roll the
		// deployment back without a reason.
		var ev ECSHookEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			ev = ECSHookEvent{LifecycleStage: "unreadable event: " + bounded(err.Error(), 200)}
		}
		return parsed{kind: kindECS, ecs: ev}, nil
	case top["CodePipeline.job"] != nil:
		var ev events.CodePipelineJobEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return parsed{}, &InvalidEventError{Reason: "CodePipeline job event: " + err.Error()}
		}
		if ev.CodePipelineJob.ID == "" {
			return parsed{}, &InvalidEventError{Reason: `CodePipeline job event without "CodePipeline.job".id`}
		}
		return parsed{kind: kindCodePipeline, pipeline: ev.CodePipelineJob}, nil
	case top[flow.LastResortKey] != nil:
		var ev map[string]flow.LastResortRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return parsed{}, &InvalidEventError{Reason: "last-resort request: " + err.Error()}
		}
		req := ev[flow.LastResortKey]
		if err := req.Input.Validate(); err != nil {
			return parsed{}, &InvalidEventError{Reason: "last-resort request: " + err.Error()}
		}
		return parsed{kind: kindLastResort, lastResort: req}, nil
	case top["journeygate"] != nil:
		var ev struct {
			Journeygate Request `json:"journeygate"`
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			return parsed{}, &InvalidEventError{Reason: "journeygate request: " + err.Error()}
		}
		switch trigger.Type(ev.Journeygate.Trigger) {
		case trigger.Schedule:
			if ev.Journeygate.ScheduledTime == "" {
				return parsed{}, &InvalidEventError{Reason: `schedule request without "scheduledTime" (template it from <aws.scheduler.scheduled-time>), so a retried delivery cannot start a second run`}
			}
		case trigger.Manual:
		case "":
			return parsed{}, &InvalidEventError{Reason: `journeygate request without "trigger": want "schedule" or "manual"`}
		default:
			return parsed{}, &InvalidEventError{Reason: fmt.Sprintf(`journeygate request trigger %q: want "schedule" or "manual"`, ev.Journeygate.Trigger)}
		}
		return parsed{kind: kindRequest, request: ev.Journeygate}, nil
	}
	return parsed{}, &InvalidEventError{Reason: fmt.Sprintf("unrecognised event with keys %s; want %s", quotedKeys(top), accepted)}
}

// maxShownKeys and maxShownKey bound how much of an unrecognised event's
// keys an error repeats.
const (
	maxShownKeys = 10
	maxShownKey  = 64
)

// quotedKeys lists an object's keys sorted and bounded, quoting each that
// is not plain (a key is outside input: it may hold newlines or control
// characters).
func quotedKeys(top map[string]json.RawMessage) string {
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	shown := make([]string, 0, min(len(keys), maxShownKeys)+1)
	for i, k := range keys {
		if i == maxShownKeys {
			shown = append(shown, fmt.Sprintf("and %d more", len(keys)-i))
			break
		}
		if k = bounded(k, maxShownKey); plainKey(k) {
			shown = append(shown, k)
		} else {
			shown = append(shown, fmt.Sprintf("%q", k))
		}
	}
	return "[" + strings.Join(shown, " ") + "]"
}

// pipelineParameters decodes a job's UserParameters; empty is no parameters.
func pipelineParameters(s string) (PipelineParameters, error) {
	var p PipelineParameters
	if strings.TrimSpace(s) == "" {
		return p, nil
	}
	const want = "UserParameters is not a JSON object of environment, services, tier and journeys"
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return p, fmt.Errorf("%s: it starts with %q", want, bounded(strings.TrimSpace(s), 16))
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("%s: %v", want, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return PipelineParameters{}, fmt.Errorf("%s: more follows the object", want)
	}
	return p, nil
}

// pipelineJob is the job inside a CodePipeline job event.
type pipelineJob = events.CodePipelineJob

// plainKey reports whether k can be shown unquoted: printable, without
// spaces, quotes or brackets.
func plainKey(k string) bool {
	return k != "" && !strings.ContainsFunc(k, func(r rune) bool {
		return !unicode.IsPrint(r) || unicode.IsSpace(r) || r == utf8.RuneError || strings.ContainsRune(`"[]`, r)
	})
}
