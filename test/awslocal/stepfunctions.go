package awslocal

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// StepFunctionsTarget is the X-Amz-Target prefix of the Step Functions API.
const StepFunctionsTarget = "AWSStepFunctions."

// Execution is one execution the endpoint started.
type Execution struct {
	Name            string
	ARN             string
	StateMachineARN string
	Input           string
	StartedAt       time.Time
	// Status is RUNNING until Finish marks it otherwise.
	Status string
}

// StepFunctions is a local Step Functions endpoint serving StartExecution
// and DescribeExecution with Standard workflows' idempotency: a repeated
// name with the same input while the first is running returns the same
// execution; otherwise the name is taken (ExecutionAlreadyExists).
type StepFunctions struct {
	*endpoint
	onStart    func(Execution)
	smu        sync.Mutex
	executions map[string]*Execution // by name
	order      []string
	seq        int
}

// StartStepFunctions starts the endpoint on a free loopback port, stopped
// when t ends. onStart is called in its own goroutine for every new
// execution (never for an idempotent repeat), e.g. to run the definition.
func StartStepFunctions(t testing.TB, onStart func(Execution)) *StepFunctions {
	t.Helper()
	s := &StepFunctions{onStart: onStart, executions: map[string]*Execution{}}
	s.endpoint = startEndpoint(t, StepFunctionsTarget, map[string]operation{
		"StartExecution":    s.startExecution,
		"DescribeExecution": s.describeExecution,
	})
	return s
}

// URL is the endpoint's base URL.
func (s *StepFunctions) URL() string { return s.srv.URL }

// Config is an aws.Config pointing at the endpoint with dummy credentials.
func (s *StepFunctions) Config() aws.Config { return s.awsConfig() }

// Client returns a real Step Functions client pointed at the endpoint.
func (s *StepFunctions) Client(optFns ...func(*sfn.Options)) *sfn.Client {
	return sfn.NewFromConfig(s.awsConfig(), optFns...)
}

// Requests lists every call received, including rejected ones.
func (s *StepFunctions) Requests() []Request { return s.log() }

// FailNext answers the next n calls with the given error code.
func (s *StepFunctions) FailNext(n int, code, message string) { s.failNext(n, code, message) }

// Executions lists the executions started, oldest first.
func (s *StepFunctions) Executions() []Execution {
	s.smu.Lock()
	defer s.smu.Unlock()
	out := make([]Execution, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, *s.executions[n])
	}
	return out
}

// Finish records an execution's final status (SUCCEEDED, FAILED, ...).
func (s *StepFunctions) Finish(name, status string) {
	s.smu.Lock()
	defer s.smu.Unlock()
	if e, ok := s.executions[name]; ok {
		e.Status = status
	}
}

var executionName = regexp.MustCompile(`^[0-9A-Za-z_-]{1,80}$`)

func (s *StepFunctions) startExecution(body json.RawMessage) (any, *apiError) {
	var in struct {
		StateMachineArn string `json:"stateMachineArn"`
		Name            string `json:"name"`
		Input           string `json:"input"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	if !strings.HasPrefix(in.StateMachineArn, "arn:aws:states:") || !strings.Contains(in.StateMachineArn, ":stateMachine:") {
		return nil, newError("InvalidArn", fmt.Sprintf("invalid state machine ARN %q", in.StateMachineArn))
	}
	if in.Input == "" {
		in.Input = "{}"
	}
	if !json.Valid([]byte(in.Input)) {
		return nil, newError("InvalidExecutionInput", "input is not valid JSON")
	}
	s.smu.Lock()
	if in.Name == "" {
		s.seq++
		in.Name = fmt.Sprintf("generated-%d", s.seq)
	}
	if !executionName.MatchString(in.Name) {
		s.smu.Unlock()
		return nil, newError("InvalidName", fmt.Sprintf("invalid execution name %q", in.Name))
	}
	if prev, ok := s.executions[in.Name]; ok {
		s.smu.Unlock()
		if prev.Status == "RUNNING" && prev.Input == in.Input && prev.StateMachineARN == in.StateMachineArn {
			return startOutput(prev), nil
		}
		return nil, newError("ExecutionAlreadyExists", fmt.Sprintf("Execution Already Exists: '%s'", prev.ARN))
	}
	machine := in.StateMachineArn[strings.LastIndex(in.StateMachineArn, ":")+1:]
	e := &Execution{
		Name: in.Name, StateMachineARN: in.StateMachineArn, Input: in.Input, StartedAt: time.Now().UTC(), Status: "RUNNING",
		ARN: fmt.Sprintf("arn:aws:states:%s:%s:execution:%s:%s", Region, AccountID, machine, in.Name),
	}
	s.executions[in.Name] = e
	s.order = append(s.order, in.Name)
	snapshot := *e
	s.smu.Unlock()
	if s.onStart != nil {
		go s.onStart(snapshot)
	}
	return startOutput(e), nil
}

func startOutput(e *Execution) map[string]any {
	return map[string]any{"executionArn": e.ARN, "startDate": float64(e.StartedAt.UnixMilli()) / 1000}
}

func (s *StepFunctions) describeExecution(body json.RawMessage) (any, *apiError) {
	var in struct {
		ExecutionArn string `json:"executionArn"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, newError("SerializationException", err.Error())
	}
	s.smu.Lock()
	defer s.smu.Unlock()
	i := slices.IndexFunc(s.order, func(n string) bool { return s.executions[n].ARN == in.ExecutionArn })
	if i < 0 {
		return nil, newError("ExecutionDoesNotExist", fmt.Sprintf("Execution Does Not Exist: '%s'", in.ExecutionArn))
	}
	e := s.executions[s.order[i]]
	return map[string]any{
		"executionArn": e.ARN, "stateMachineArn": e.StateMachineARN, "name": e.Name,
		"status": e.Status, "input": e.Input, "startDate": float64(e.StartedAt.UnixMilli()) / 1000,
	}, nil
}
