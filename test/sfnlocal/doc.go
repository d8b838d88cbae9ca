// Package sfnlocal runs a Step Functions definition under
// aws-local-stepfunctions (npm, pinned in test/package.json) with every Task
// state calling real Go handlers over a loopback HTTP server.
//
// Run starts the server, feeds a spec to run-sfn.mjs (a small Node script
// around the library API, with a Promise.withResolvers polyfill for Node 20)
// and returns the execution's Result. Everything it starts is stopped before
// it returns; node runs in its own process group, killed on return or when
// ctx ends, with dummy AWS credentials and an AWS endpoint on a discard
// port, so nothing can reach AWS.
//
// # Which Task resources work
//
// The library keys its overrides by state name, not by resource, and without
// an override it would call the real Lambda service. The script therefore
// overrides every Task state itself and refuses to run (Run returns an
// error) when a Task's function has no handler. Two resource forms are
// supported, both verified by TestResourceForms:
//
//   - "Resource": "arn:aws:states:::lambda:invoke" with
//     Parameters.FunctionName (a literal, or FunctionName.$ resolved at run
//     time). The library itself knows nothing of this integration: it hands
//     the override the evaluated Parameters. The script invokes FunctionName
//     with Parameters.Payload ({} when absent) and returns what Step
//     Functions returns: {"ExecutedVersion", "Payload": <result>,
//     "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode": 200}, so
//     ResultSelector/OutputPath on $.Payload work as in the cloud.
//     ".waitForTaskToken" and other integrations are rejected.
//   - "Resource": a function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME,
//     optionally :QUALIFIER). The handler gets the state's effective input
//     (after InputPath/Parameters) and its result is the Task's result.
//
// Handlers are keyed by function name. A FunctionName or Resource resolves
// to a handler keyed by the exact string, else "NAME:QUALIFIER", else NAME,
// so definitions may use full ARNs (FunctionARN builds one). State names
// must be unique across the whole definition, nested ones included (Step
// Functions requires that too; the override map depends on it).
//
// # Error names
//
// A handler's error becomes a Lambda function error exactly as aws-lambda-go
// reports it (ErrorResponse mirrors lambda.NewHandler's runtime): a
// messages.InvokeResponse_Error value keeps its Type (NamedError builds
// one), any other error is named after its Go type, pointer or not
// (*RunnerFault → "RunnerFault"). The name is taken from the returned error
// itself, not from what it wraps: fmt.Errorf("...: %w", err) is "wrapError".
// A panic is named after the panic value's type (panic("x") → "string",
// panic(errors.New("x")) → "errorString"; PanicResponse), with a stack
// trace. An ErrorType() method is ignored, because Lambda ignores it.
//
// The error travels as a non-2xx response with the body
// {"errorMessage","errorType"[,"stackTrace"]}; the script throws an Error
// whose name is errorType ("Lambda.Unknown" when it is empty), so Retry and
// Catch ErrorEquals match it; the Cause is that JSON body, as in Step
// Functions. States.TaskFailed and States.ALL match every Task error except
// States.Timeout.
//
// Timeouts: WithTimeout gives a handler a Lambda function timeout (default
// DefaultFunctionTimeout). Its context carries the deadline; if it has not
// returned by then the Task fails with TimeoutErrorType ("Sandbox.Timedout",
// message "RequestId: ... Error: Task timed out after N.NN seconds", what
// current Lambda runtimes report; older documentation calls the same
// failure "Lambda.Unknown": match it with States.TaskFailed). A Task's own
// TimeoutSeconds (the library defaults it to 60) fails the state with
// States.Timeout, which States.TaskFailed does not catch.
//
// # Transitions
//
// Result.Transitions counts state transitions as Standard workflows bill
// them: every state entered (root machine, every Map iteration, every
// Parallel branch) plus every Retry attempt. The script counts
// StateEntered and StateRetried events synchronously on each execution's
// own event logger (the library forwards nested events to the root log
// asynchronously); Result.States has per-state entered/retried/failed/caught
// counts and Result.Invocations calls per handler.
//
// Not emulated: payload size limits (States.DataLimitExceeded), Lambda
// service errors other than those a handler returns by name (NamedError
// "Lambda.ServiceException" and the like), cold starts, and the process
// exit after a panic.
package sfnlocal
