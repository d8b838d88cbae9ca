// Package costmodel prices journeygate's cloud path per journey run, per
// deployment gate and per scheduled run, from what a run does (Lambda
// invocations and their durations, Step Functions state transitions,
// DynamoDB requests and item sizes, log bytes) and public us-east-1 prices,
// and sets it beside a CloudWatch Synthetics canary run (issue 7). A UI
// journey (issue 17) is priced the same way on the browser runner (x86_64,
// its own memory) and, when a step did not pass, the S3 put of its
// screenshot, beside a canary run and a Checkly browser check run.
//
// The inputs are measured elsewhere: the contract test (test/contract,
// transitions_test.go) executes the deployed state machine definition with
// the example journeys and fills a Run from it (state transitions, runner
// durations and CPU, results and deliveries as stored); the functions'
// memory sizes come from the synthesized template (infra/infratest). The store
// requests per operation are the ones functions.TestStoreCallsPerRun and
// store.TestDynamoRequestCounts pin; this package names them once.
//
// What it simplifies, each stated where it is used: an item's size is its
// JSON encoding plus key overhead; a new item costs IndexWriteUnits in each
// index that lists it (the indexes hold keys only); a runner's CPU time
// is stretched in full below one vCPU (RunnerDuration); every wait of a
// journey is charged as sink polling (an upper bound: Eventually polls the
// target, not DynamoDB); short invocations (hook, plan, gate, sink) take
// assumed durations; the state machine's own log (level ALL with execution
// data) is estimated per transition. Free tiers are ignored.
package costmodel
