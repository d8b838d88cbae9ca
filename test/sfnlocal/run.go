package sfnlocal

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/journeygate/journeygate/test/repo"
)

// Execution statuses, as Step Functions names them.
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// DefaultFunctionTimeout is the timeout of a handler without WithTimeout,
// Lambda's maximum.
const DefaultFunctionTimeout = 15 * time.Minute

// FunctionARN is the ARN a handler named name sees as its invoked function
// ARN (lambdacontext) and the ARN definitions may use for it.
func FunctionARN(name string) string {
	return "arn:aws:lambda:us-east-1:123456789012:function:" + name
}

// Result is the outcome of one execution.
type Result struct {
	// Status is StatusSucceeded, StatusFailed, StatusTimedOut or StatusAborted.
	Status string
	// Output is the execution's output when it succeeded.
	Output json.RawMessage
	// Error and Cause describe a failed execution like Step Functions does:
	// for a function error, Error is its errorType and Cause its JSON error
	// payload ({"errorMessage","errorType"[,"stackTrace"]}).
	Error string
	Cause string
	// Transitions counts state transitions as Standard workflows bill them:
	// every state entered, in the root machine and in every Map iteration
	// and Parallel branch, plus every Retry attempt.
	Transitions int
	// States counts, per state name, entries, retries, failures and catches.
	States map[string]StateCount
	// Invocations counts calls per handler name.
	Invocations map[string]int
}

// StateCount is what happened to one state (summed over Map iterations).
type StateCount struct {
	Entered int `json:"entered"`
	Retried int `json:"retried"`
	Failed  int `json:"failed"`
	Caught  int `json:"caught"`
}

// Option configures Run.
type Option func(*config)

type config struct {
	timeouts      map[string]time.Duration
	waitOverride  any
	retryOverride any
	contextObject any
}

// WithTimeout gives the handler named name a Lambda function timeout: its
// context gets that deadline, and if it has not returned by then the Task
// fails with TimeoutErrorType.
func WithTimeout(name string, d time.Duration) Option {
	return func(c *config) { c.timeouts[name] = d }
}

// WithWaitOverride makes every Wait state pause for d instead of its
// Seconds/Timestamp.
func WithWaitOverride(d time.Duration) Option {
	return func(c *config) { c.waitOverride = d.Milliseconds() }
}

// WithRetryInterval makes every Retry pause for d between attempts instead
// of IntervalSeconds/BackoffRate (attempt counts are unchanged).
func WithRetryInterval(d time.Duration) Option {
	return func(c *config) { c.retryOverride = d.Milliseconds() }
}

// WithContextObject sets the Context Object ($$) the execution sees, for
// example {"Execution": {"Name": "...", "Id": "..."}}; Execution.Input and
// Execution.StartTime are always set by the library.
func WithContextObject(v any) Option {
	return func(c *config) { c.contextObject = v }
}

type spec struct {
	Definition            json.RawMessage   `json:"definition"`
	Input                 json.RawMessage   `json:"input"`
	TaskEndpoints         map[string]string `json:"taskEndpoints"`
	WaitTimeOverride      any               `json:"waitTimeOverride,omitempty"`
	RetryIntervalOverride any               `json:"retryIntervalOverride,omitempty"`
	Context               any               `json:"context,omitempty"`
}

type scriptResult struct {
	Status      string                `json:"status"`
	Output      json.RawMessage       `json:"output"`
	Error       string                `json:"error"`
	Cause       string                `json:"cause"`
	Transitions int                   `json:"transitions"`
	States      map[string]StateCount `json:"states"`
	Problems    []string              `json:"problems"`
}

// Run executes definition (ASL JSON) with input (marshalled with
// encoding/json; pass json.RawMessage for raw JSON) under
// aws-local-stepfunctions. Every Task state must resolve to a handler:
// handlers are keyed by function name, and a Task's function is its
// Parameters.FunctionName for "arn:aws:states:::lambda:invoke" or its
// Resource for a direct function ARN; a full ARN matches a handler keyed by
// the ARN itself, by "NAME:QUALIFIER" or by NAME. A failed execution is a
// Result, not an error; errors are harness faults (missing tools, an
// unmapped Task, an unreachable handler, an invalid definition).
func Run(ctx context.Context, t testing.TB, definition string, input any, handlers map[string]Handler, opts ...Option) (Result, error) {
	t.Helper()
	cfg := config{timeouts: map[string]time.Duration{}}
	for _, o := range opts {
		o(&cfg)
	}
	for name := range cfg.timeouts {
		if _, ok := handlers[name]; !ok {
			return Result{}, fmt.Errorf("WithTimeout(%q): no such handler", name)
		}
	}
	node, script, err := tools()
	if err != nil {
		return Result{}, err
	}
	if !json.Valid([]byte(definition)) {
		return Result{}, errors.New("definition is not valid JSON")
	}
	in, err := json.Marshal(input)
	if err != nil {
		return Result{}, fmt.Errorf("marshal input: %w", err)
	}

	srv := newServer(ctx, handlers, cfg.timeouts)
	defer srv.close(t)

	sp := spec{
		Definition:            json.RawMessage(definition),
		Input:                 in,
		TaskEndpoints:         map[string]string{},
		WaitTimeOverride:      cfg.waitOverride,
		RetryIntervalOverride: cfg.retryOverride,
		Context:               cfg.contextObject,
	}
	for name := range handlers {
		sp.TaskEndpoints[name] = srv.url + "/invoke/" + name
	}
	specJSON, err := json.Marshal(sp)
	if err != nil {
		return Result{}, err
	}

	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = filepath.Dir(script)
	cmd.Env = nodeEnv()
	cmd.Stdin = bytes.NewReader(specJSON)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start node: %w", err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) }) // the group, should the script leave children
	waitErr := cmd.Wait()
	_ = syscall.Kill(-pgid, syscall.SIGKILL)

	res := Result{Invocations: srv.invocations()}
	line := lastLine(stdout.String())
	if line == "" {
		return res, fmt.Errorf("run-sfn.mjs printed no result (%v); stderr:\n%s", waitErr, tail(stderr.String()))
	}
	var out scriptResult
	if err := json.Unmarshal([]byte(line), &out); err != nil {
		return res, fmt.Errorf("run-sfn.mjs result %q: %w; stderr:\n%s", line, err, tail(stderr.String()))
	}
	res.Status, res.Output, res.Error, res.Cause = out.Status, out.Output, out.Error, out.Cause
	res.Transitions, res.States = out.Transitions, out.States
	if out.Status == "HARNESS_ERROR" {
		return res, fmt.Errorf("aws-local-stepfunctions: %s", out.Cause)
	}
	if len(out.Problems) > 0 {
		return res, fmt.Errorf("harness problems: %s", strings.Join(out.Problems, "; "))
	}
	if waitErr != nil {
		return res, fmt.Errorf("node: %w; stderr:\n%s", waitErr, tail(stderr.String()))
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("aws-local-stepfunctions stderr:\n%s", tail(s))
	}
	return res, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func tail(s string) string {
	const max = 4000
	if len(s) > max {
		return "..." + s[len(s)-max:]
	}
	return s
}

// nodeEnv is the environment of the node process: the caller's, without AWS
// settings, plus dummy credentials and an endpoint on a discard port, so a
// Task that somehow escaped its override cannot reach AWS.
func nodeEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIDLOCALSFN",
		"AWS_SECRET_ACCESS_KEY=local-sfn-dummy",
		"AWS_ENDPOINT_URL=http://127.0.0.1:9",
		"AWS_EC2_METADATA_DISABLED=true",
	)
}

// server exposes the handlers at /invoke/NAME on a loopback port.
type server struct {
	url      string
	hs       *httptest.Server
	base     context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup

	mu    sync.Mutex
	calls map[string]int
}

func newServer(ctx context.Context, handlers map[string]Handler, timeouts map[string]time.Duration) *server {
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &server{base: base, cancel: cancel, calls: map[string]int{}}
	go func() {
		select {
		case <-ctx.Done():
			cancel()
		case <-base.Done():
		}
	}()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /invoke/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		h, ok := handlers[name]
		if !ok {
			http.Error(w, `{"errorType":"Lambda.ResourceNotFoundException","errorMessage":"no handler `+name+`"}`, http.StatusNotFound)
			return
		}
		payload, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.calls[name]++
		s.mu.Unlock()
		timeout := DefaultFunctionTimeout
		if d, ok := timeouts[name]; ok {
			timeout = d
		}
		reqID := requestID()
		ctx := lambdacontext.NewContext(s.base, &lambdacontext.LambdaContext{AwsRequestID: reqID, InvokedFunctionArn: FunctionARN(name)})
		s.inflight.Add(1)
		out, ferr := invoke(ctx, h, payload, timeout, reqID, s.inflight.Done)
		w.Header().Set("Content-Type", "application/json")
		if ferr != nil {
			body, _ := json.Marshal(ferr)
			w.Header().Set("X-Amz-Function-Error", "Unhandled")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(body)
			return
		}
		if len(out) == 0 {
			out = json.RawMessage("null")
		}
		_, _ = w.Write(out)
	})
	s.hs = httptest.NewServer(mux)
	s.url = s.hs.URL
	return s
}

func (s *server) invocations() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// close ends every handler's context (the sandbox goes away), stops the
// server and waits a bounded time for abandoned handlers to return.
func (s *server) close(t testing.TB) {
	s.cancel()
	s.hs.Close()
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Logf("sfnlocal: handlers still running 10s after the execution ended (they ignore their context)")
	}
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// tools finds node and run-sfn.mjs, and checks aws-local-stepfunctions is
// installed under test/node_modules.
func tools() (node, script string, err error) {
	if _, err := repo.NodeModule(filepath.Join("aws-local-stepfunctions", "package.json")); err != nil {
		return "", "", err
	}
	root, err := repo.Root()
	if err != nil {
		return "", "", err
	}
	script = filepath.Join(root, "test", "sfnlocal", "run-sfn.mjs")
	if _, err := os.Stat(script); err != nil {
		return "", "", fmt.Errorf("runner script: %w", err)
	}
	node, err = exec.LookPath("node")
	if err != nil {
		return "", "", fmt.Errorf("node not found on PATH (Node 20+ is needed for aws-local-stepfunctions): %w", err)
	}
	return node, script, nil
}
