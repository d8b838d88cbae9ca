package awslocal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// This file serves Lambda's Invoke over its REST protocol (restJson1), as
// the aws-sdk-go-v2 Lambda client speaks it with a BaseEndpoint or
// AWS_ENDPOINT_URL_LAMBDA:
//
//   - POST /2015-03-31/functions/{FunctionName}/invocations?Qualifier=Q:
//     the body is the event. FunctionName is a name, a name:qualifier, or a
//     function ARN (qualified or not); without a qualifier the call runs
//     $LATEST. A qualifier is a version or an alias (SetAlias).
//   - X-Amz-Invocation-Type: RequestResponse (the default) answers 200
//     with the function's reply; Event answers 202 after the function ran;
//     DryRun answers 204 without running it.
//   - A function that returns an error answers 200 with
//     X-Amz-Function-Error: Unhandled and {"errorMessage","errorType"} as
//     the payload, as the Go runtime reports an error; the SDK puts the
//     header in InvokeOutput.FunctionError. X-Amz-Executed-Version names
//     the version that ran.
//   - An unknown function, version or alias answers 404
//     ResourceNotFoundException; other errors are 4xx/5xx with an
//     X-Amzn-ErrorType header and a {"Type","message"} body, which the SDK
//     maps to its typed errors (*types.ResourceNotFoundException,
//     *types.TooManyRequestsException, ...).

// LambdaFunc is one version of a local function: it answers an event's
// payload. An error is a function error (X-Amz-Function-Error), never an
// API error.
type LambdaFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Invocation is one call a function version answered.
type Invocation struct {
	// Function is the function's name; Qualifier what the call named
	// ("" for none); Version the version that ran.
	Function, Qualifier, Version string
	// Payload is the event; Reply what the function answered (for a
	// function error, the error payload).
	Payload, Reply []byte
	// FunctionError is "Unhandled" when the function returned an error.
	FunctionError string
}

// Lambda is a local Lambda endpoint whose functions are Go funcs, one per
// function and version.
type Lambda struct {
	recorder
	functions   map[string]map[string]LambdaFunc // name → version → func
	aliases     map[string]map[string]string     // name → alias → version
	invocations []Invocation
}

// lambdaAccount is the account of the functions' ARNs.
const lambdaAccount = "000000000000"

// lambdaInvokePrefix starts an Invoke's path.
const lambdaInvokePrefix = "/2015-03-31/functions/"

// StartLambda starts the endpoint on a free loopback port, stopped when t
// ends. It knows no function until AddVersion.
func StartLambda(t testing.TB) *Lambda {
	t.Helper()
	l := &Lambda{functions: map[string]map[string]LambdaFunc{}, aliases: map[string]map[string]string{}}
	l.srv = httptest.NewServer(http.HandlerFunc(l.serve))
	t.Cleanup(l.srv.Close)
	return l
}

// URL is the endpoint's base URL: what AWS_ENDPOINT_URL_LAMBDA takes.
func (l *Lambda) URL() string { return l.srv.URL }

// Config is an aws.Config pointing at the endpoint with dummy credentials.
func (l *Lambda) Config() aws.Config { return l.awsConfig() }

// Client returns a real Lambda client pointed at the endpoint.
func (l *Lambda) Client(optFns ...func(*lambda.Options)) *lambda.Client {
	return lambda.NewFromConfig(l.awsConfig(), optFns...)
}

// AddVersion makes version ("7", or "$LATEST") of function answer with fn,
// replacing any func it had.
func (l *Lambda) AddVersion(function, version string, fn LambdaFunc) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.functions[function] == nil {
		l.functions[function] = map[string]LambdaFunc{}
	}
	l.functions[function][version] = fn
}

// SetAlias points alias (for example "live") of function at version, as
// CodeDeploy moves it when a deployment ends.
func (l *Lambda) SetAlias(function, alias, version string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.aliases[function] == nil {
		l.aliases[function] = map[string]string{}
	}
	l.aliases[function][alias] = version
}

// Invocations returns every call a function answered, in order.
func (l *Lambda) Invocations() []Invocation {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Invocation, len(l.invocations))
	for i, inv := range l.invocations {
		inv.Payload, inv.Reply = bytes.Clone(inv.Payload), bytes.Clone(inv.Reply)
		out[i] = inv
	}
	return out
}

// Requests lists every call received, rejected ones included; Operation
// is "Invoke" and Body {"function","qualifier","invocationType"}.
func (l *Lambda) Requests() []Request { return l.log() }

// ThrottleNext makes the next n calls answer TooManyRequestsException
// (429), which the SDK's standard retryer retries as a throttle.
func (l *Lambda) ThrottleNext(n int) {
	l.failNext(n, "TooManyRequestsException", "Rate Exceeded.")
}

// FailNext makes the next n calls answer the error code (e.g.
// ServiceException, AccessDeniedException).
func (l *Lambda) FailNext(n int, code, message string) { l.failNext(n, code, message) }

func lambdaStatus(code string) int {
	switch code {
	case "ResourceNotFoundException":
		return http.StatusNotFound
	case "TooManyRequestsException":
		return http.StatusTooManyRequests
	case "AccessDeniedException":
		return http.StatusForbidden
	case "ServiceException", "InternalFailure":
		return http.StatusInternalServerError
	case "ResourceNotReadyException", "ServiceUnavailable":
		return http.StatusBadGateway
	case "MethodNotAllowed":
		return http.StatusMethodNotAllowed
	}
	return http.StatusBadRequest
}

func (l *Lambda) serve(w http.ResponseWriter, r *http.Request) {
	body, rerr := io.ReadAll(r.Body)
	function, qualifier, perr := invokeTarget(r.URL)
	invocationType := r.Header.Get("X-Amz-Invocation-Type")
	if invocationType == "" {
		invocationType = "RequestResponse"
	}
	summary, _ := json.Marshal(map[string]string{"function": function, "qualifier": qualifier, "invocationType": invocationType})
	req := Request{Operation: "Invoke", Body: summary}

	var (
		fn      LambdaFunc
		version string
		aerr    *apiError
	)
	l.mu.Lock()
	switch {
	case rerr != nil:
		aerr = newError("InvalidRequestContentException", rerr.Error())
	case r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, lambdaInvokePrefix):
		aerr = newError("MethodNotAllowed", "only Invoke (POST "+lambdaInvokePrefix+"{FunctionName}/invocations) is served")
	case perr != nil:
		aerr = newError("InvalidParameterValueException", perr.Error())
	case !signedFor(r.Header.Get("Authorization"), "lambda"):
		aerr = newError("MissingAuthenticationTokenException", "request is not signed with SigV4 for service lambda")
	case len(body) > 0 && !json.Valid(body):
		aerr = newError("InvalidRequestContentException", "Could not parse request body into json")
	case invocationType != "RequestResponse" && invocationType != "Event" && invocationType != "DryRun":
		aerr = newError("InvalidParameterValueException", fmt.Sprintf("invocation type %q is not RequestResponse, Event or DryRun", invocationType))
	case len(l.faults) > 0:
		f := l.faults[0]
		l.faults = l.faults[1:]
		aerr = newError(f.code, f.message)
	default:
		fn, version, aerr = l.resolve(function, qualifier)
	}
	if aerr != nil {
		req.ErrorCode = aerr.code
	}
	l.requests = append(l.requests, req)
	l.seq++
	id := "awslocal-" + strconv.Itoa(l.seq)
	l.mu.Unlock()

	w.Header().Set("X-Amzn-Requestid", id)
	if aerr != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-Errortype", aerr.code)
		w.WriteHeader(lambdaStatus(aerr.code))
		_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": aerr.message})
		return
	}
	w.Header().Set("X-Amz-Executed-Version", version)
	if invocationType == "DryRun" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	// The function runs outside the lock: it may be slow, or call this
	// endpoint itself.
	reply, functionError := invoke(r.Context(), fn, body)
	l.mu.Lock()
	l.invocations = append(l.invocations, Invocation{
		Function: function, Qualifier: qualifier, Version: version,
		Payload: bytes.Clone(body), Reply: bytes.Clone(reply), FunctionError: functionError,
	})
	l.mu.Unlock()
	if invocationType == "Event" {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	if functionError != "" {
		w.Header().Set("X-Amz-Function-Error", functionError)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(reply)
}

// invoke runs fn, turning an error or a panic into Lambda's error payload.
func invoke(ctx context.Context, fn LambdaFunc, payload []byte) (reply []byte, functionError string) {
	defer func() {
		if p := recover(); p != nil {
			reply, _ = json.Marshal(map[string]any{"errorMessage": fmt.Sprint(p), "errorType": "Runtime.Panic"})
			functionError = "Unhandled"
		}
	}()
	out, err := fn(ctx, payload)
	if err != nil {
		errType := reflect.TypeOf(err).String()
		errType = errType[strings.LastIndexAny(errType, ".*")+1:]
		reply, _ = json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": errType})
		return reply, "Unhandled"
	}
	if len(out) == 0 {
		out = []byte("null")
	}
	return out, ""
}

// resolve finds the func a call names; called with l.mu held.
func (l *Lambda) resolve(function, qualifier string) (LambdaFunc, string, *apiError) {
	versions, ok := l.functions[function]
	notFound := func(what string) (LambdaFunc, string, *apiError) {
		return nil, "", newError("ResourceNotFoundException", fmt.Sprintf("Function not found: arn:aws:lambda:%s:%s:function:%s", Region, lambdaAccount, what))
	}
	if !ok {
		return notFound(function)
	}
	version := qualifier
	if version == "" {
		version = "$LATEST"
	}
	if v, ok := l.aliases[function][version]; ok {
		version = v
	}
	fn, ok := versions[version]
	if !ok {
		return notFound(function + ":" + qualifier)
	}
	return fn, version, nil
}

// invokeTarget reads the function and qualifier of an Invoke's URL: the
// FunctionName path segment may be a name, name:qualifier or a function
// ARN; a qualifier in it and the Qualifier parameter must agree.
func invokeTarget(u *url.URL) (function, qualifier string, err error) {
	rest, ok := strings.CutPrefix(u.EscapedPath(), lambdaInvokePrefix)
	if !ok {
		return "", "", nil
	}
	seg, ok := strings.CutSuffix(rest, "/invocations")
	if !ok || strings.Contains(seg, "/") {
		return "", "", fmt.Errorf("path %s is not %s{FunctionName}/invocations", u.Path, lambdaInvokePrefix)
	}
	name, err := url.PathUnescape(seg)
	if err != nil {
		return "", "", err
	}
	if after, isARN := strings.CutPrefix(name, "arn:"); isARN {
		// arn:aws:lambda:region:account:function:name[:qualifier]
		parts := strings.Split(after, ":")
		if len(parts) < 6 || len(parts) > 7 || parts[1] != "lambda" || parts[4] != "function" {
			return "", "", fmt.Errorf("%q is not a function ARN", name)
		}
		name = strings.Join(parts[5:], ":")
	}
	function, inName, _ := strings.Cut(name, ":")
	qualifier = u.Query().Get("Qualifier")
	switch {
	case function == "":
		return "", "", fmt.Errorf("function name is empty")
	case inName != "" && qualifier != "" && inName != qualifier:
		return "", "", fmt.Errorf("the derived qualifier from the function name %q does not match the specified qualifier %q", inName, qualifier)
	case qualifier == "":
		qualifier = inName
	}
	return function, qualifier, nil
}

// signedFor reports whether an Authorization header is a SigV4 signature
// scoped to service.
func signedFor(auth, service string) bool {
	return strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") && strings.Contains(auth, "/"+service+"/aws4_request")
}
