// Package flow is the contract between the hook, runner and gate Lambdas
// and the Step Functions state machine that connects them: the execution
// input, each Task's payload and result, and Definition, which renders the
// state machine in Amazon States Language. infra/ synthesizes the same
// definition, so what the tests run is what AWS runs.
//
// # Shape
//
//	Start (Pass: {"input": <execution input>})
//	  -> Plan (Task, runner: {"action":"plan","input":...,"functions":
//	     {"api": runner ARN[, "browser": browser runner ARN]}} -> $.plan)
//	  -> RunJourneys (Map over $.plan.journeys, MaxConcurrency N -> $.items)
//	       item ({"FunctionName": the planned journey's Function,
//	             "Payload": RunRequest}):
//	             RunJourney (Task, lambda:invoke of FunctionName with
//	             Payload, output the answer, TimeoutSecondsPath
//	             $.Payload.timeoutSeconds) -> End
//	             on any error: JourneyFaulted (Pass: {journey, outcome:
//	             "error", error}) -> End
//	  -> Decide (Task, gate: {"input","plan","items"}) -> End
//	Plan or RunJourneys failing -> ForcedFailure (Pass: {"input","fault"})
//	  -> Decide
//	Decide failing every attempt -> LastResort (Task, hook:
//	  {"lastResort": {"input","error"}}) -> End
//	LastResort failing -> Unreported (Fail: VerdictUnreported)
//
// # Decisions
//
//   - JSONPath only, no JSONata: the definition must run unchanged under
//     aws-local-stepfunctions, which ignores JSONata silently.
//   - Plan, Decide and LastResort name the Lambda function ARN directly as
//     their Resource (the form CDK's LambdaInvoke emits with
//     payloadResponseOnly), so a Task's input is the function's payload
//     and its result is the function's response, with no Payload
//     envelope. RunJourney invokes the function the plan gave its journey
//     (lambda:invoke, FunctionName from the item): the plan routes, so an
//     item is one state, one billed transition per journey (issue 19),
//     where a Choice before a Task per runner cost two. A journey whose
//     runner the state machine has no function for (a browser journey
//     without the browser runner) fails the plan (ErrNoRunner), before
//     any journey runs. aws-local-stepfunctions keys its
//     taskResourceLocalHandlers override on the state name; the state
//     names are the exported State* constants.
//   - Every Task retries Lambda service errors (LambdaServiceErrors) as AWS
//     recommends for Lambda Tasks: LambdaRetryAttempts retries with backoff
//     and full jitter. Nothing else is retried, except by Decide: a journey
//     that fails is a result, and a runner fault must reach the gate at
//     once, not be retried into the hook's one-hour timeout.
//   - Decide is idempotent (the verdict is recorded once and reported
//     again), so it retries its own errors DecideRetryAttempts times
//     (a panic, a report that failed, a timeout, an out-of-memory crash).
//     Then its Catch hands the run to LastResort, which reports Failed
//     through the hook, with the same reporter the gate uses. Only when
//     that fails too does the execution fail (Unreported): no deployment
//     is left waiting in silence, and the stack's ExecutionsFailed alarm
//     pages.
//   - Paths in Parameters and ItemSelector read only fields that always
//     exist (Input.RunID, Input.Environment, Input.Trigger, Plan.Journeys
//     and each PlannedJourney's fields, Runner included), because a JSONPath that matches
//     nothing is a States.Runtime error that no Catch can catch. The Go
//     types marshal those fields even when empty (PlannedJourney.Function
//     too), and the hook validates
//     the input before starting an execution.
//   - No state may pass StateDataLimit (States.DataLimitExceeded is
//     caught by nothing, not even States.ALL), and JSONPath cannot shorten
//     a string, so what enters the state is bounded where it is made
//     (limits.go): the input (MaxInputBytes), journey names
//     (journey.MaxNameLen), the journeys per run (MaxJourneysPerRun, Plan
//     refuses more), summary messages and the runner's error messages (Cut
//     in the middle to MaxSummaryMessage and MaxErrorMessage, names kept).
//     Decide's input, the largest state, then stays within MaxDecideInput,
//     half the limit.
//   - There is no execution-level TimeoutSeconds: an execution that timed
//     out would never reach the gate. Each runner Task is bounded by its
//     journey's TimeoutSeconds (JourneyTimeout: the summed SLAs of every
//     attempt its retry policy allows, the waits between them, plus a
//     margin), Plan by
//     PlanTimeoutSeconds, Decide by GateTimeoutSeconds and LastResort by
//     LastResortTimeoutSeconds; infra/ checks the worst case of a whole run
//     against the deployment's own limits at synth.
//   - The gate reads the plan from the run record the Plan Task wrote, so
//     ForcedFailure passes only the input and the error.
//
// # Events
//
// The Lambdas publish to EventBridge with source EventSource: the gate a
// DetailRunCompleted event (detail RunCompleted) after every verdict, the
// runner a DetailJourneyFailed event (detail JourneyFailed) after every
// recorded result that did not pass. infra/ matches its rules on these
// constants and reads the details' JSON fields, so they are named here
// once; package eventbus puts them on a bus.
package flow
