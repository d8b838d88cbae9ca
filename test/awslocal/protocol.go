package awslocal

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region, AccessKeyID and SecretAccessKey are what clients of the local
// endpoints use: a real region name and dummy static credentials.
const (
	Region          = "us-east-1"
	AccessKeyID     = "AKIDAWSLOCAL"
	SecretAccessKey = "awslocal-dummy-secret"
)

// Request is one API call an endpoint received, including rejected ones.
type Request struct {
	// Operation is the X-Amz-Target operation, e.g. "GetDeployment".
	Operation string
	// Body is the JSON request body.
	Body json.RawMessage
	// ErrorCode is the error answered ("" for success), e.g.
	// "ThrottlingException".
	ErrorCode string
}

// apiError is an AWS JSON 1.1 error answer.
type apiError struct {
	status  int
	code    string
	message string
}

func newError(code, message string) *apiError {
	status := http.StatusBadRequest
	switch code {
	case "InternalFailure", "InternalServerError":
		status = http.StatusInternalServerError
	case "ServiceUnavailable", "ServiceUnavailableException":
		status = http.StatusServiceUnavailable
	}
	return &apiError{status: status, code: code, message: message}
}

type operation func(body json.RawMessage) (any, *apiError)

type injected struct {
	code, message string
}

// endpoint serves one AWS JSON 1.1 service on a loopback port.
type endpoint struct {
	target string // X-Amz-Target prefix including the dot
	ops    map[string]operation
	recorder
}

// recorder is what every local endpoint keeps, whatever its protocol: the
// server, the requests it answered and the faults queued for the next ones.
type recorder struct {
	srv *httptest.Server

	mu       sync.Mutex
	faults   []injected
	requests []Request
	seq      int
}

func startEndpoint(t testing.TB, target string, ops map[string]operation) *endpoint {
	t.Helper()
	e := &endpoint{target: target, ops: ops}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		e.write(w, nil, newError("SerializationException", err.Error()))
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, known := strings.CutPrefix(target, e.target)
	req := Request{Operation: op, Body: append(json.RawMessage(nil), body...)}
	var (
		out  any
		aerr *apiError
	)
	e.mu.Lock()
	switch {
	case r.Method != http.MethodPost:
		aerr = &apiError{status: http.StatusMethodNotAllowed, code: "UnknownOperationException", message: "only POST is served"}
	case !known || e.ops[op] == nil:
		aerr = newError("UnknownOperationException", "unknown operation "+target)
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		aerr = newError("MissingAuthenticationTokenException", "request is not signed with SigV4")
	case !json.Valid(body):
		aerr = newError("SerializationException", "body is not JSON")
	case len(e.faults) > 0:
		f := e.faults[0]
		e.faults = e.faults[1:]
		aerr = newError(f.code, f.message)
	default:
		out, aerr = e.ops[op](body) // operations run under e.mu: one at a time
	}
	if aerr != nil {
		req.ErrorCode = aerr.code
	}
	e.requests = append(e.requests, req)
	e.seq++
	id := e.seq
	e.mu.Unlock()
	w.Header().Set("X-Amzn-Requestid", "awslocal-"+strconv.Itoa(id))
	e.write(w, out, aerr)
}

func (e *endpoint) write(w http.ResponseWriter, out any, aerr *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if aerr != nil {
		w.Header().Set("X-Amzn-Errortype", aerr.code)
		w.WriteHeader(aerr.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": aerr.code, "message": aerr.message})
		return
	}
	if out == nil {
		out = struct{}{}
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (e *recorder) failNext(n int, code, message string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for range n {
		e.faults = append(e.faults, injected{code: code, message: message})
	}
}

func (e *recorder) log() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Request(nil), e.requests...)
}

func (e *recorder) awsConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(e.srv.URL),
	}
}
