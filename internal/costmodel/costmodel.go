package costmodel

import (
	"math"
	"time"

	"github.com/journeygate/journeygate/shared/poll"
)

// Public us-east-1 prices in US dollars, as the AWS pricing pages publish
// them (checked for issue 7 in November 2026; the DynamoDB on-demand prices
// are those since AWS halved them on 1 November 2024). Free tiers are
// ignored: they are per account, not per run.
const (
	// LambdaARMGBSecond is Lambda compute on arm64 per GB-second (first
	// 7.5 billion GB-seconds a month): https://aws.amazon.com/lambda/pricing/.
	LambdaARMGBSecond = 0.0000133334
	// LambdaRequest is $0.20 per million Lambda requests (same page).
	LambdaRequest = 0.20 / 1e6
	// StandardTransition is $0.025 per 1,000 Step Functions Standard state
	// transitions, retries included: https://aws.amazon.com/step-functions/pricing/.
	StandardTransition = 0.025 / 1000
	// ExpressRequest is $1.00 per million Express workflow requests (same page).
	ExpressRequest = 1.00 / 1e6
	// ExpressGBSecond is Express workflow duration per GB-second (first
	// 1,000K GB-hours), billed in ExpressChunkMB chunks of memory and in
	// ExpressRounding steps of time (same page).
	ExpressGBSecond = 0.00001667
	// ExpressChunkMB is the memory step Express duration is billed in.
	ExpressChunkMB = 64
	// ExpressRounding is the time step Express duration is rounded up to.
	ExpressRounding = 100 * time.Millisecond
	// DynamoWRU is $0.625 per million on-demand write request units (one
	// write of up to 1 KB): https://aws.amazon.com/dynamodb/pricing/on-demand/.
	DynamoWRU = 0.625 / 1e6
	// DynamoRRU is $0.125 per million on-demand read request units (one
	// strongly consistent read, or two eventually consistent ones, of up
	// to 4 KB) (same page).
	DynamoRRU = 0.125 / 1e6
	// SchedulerInvocation is $1.00 per million EventBridge Scheduler
	// invocations: https://aws.amazon.com/eventbridge/pricing/.
	SchedulerInvocation = 1.00 / 1e6
	// EventBridgeEvent is $1.00 per million custom events published (same page).
	EventBridgeEvent = 1.00 / 1e6
	// LogsIngestGB is CloudWatch Logs standard ingestion per GB; EMF
	// metrics are log events: https://aws.amazon.com/cloudwatch/pricing/.
	LogsIngestGB = 0.50
	// XRayTrace is $5.00 per million X-Ray traces recorded (the functions
	// and the state machine trace actively): https://aws.amazon.com/xray/pricing/.
	XRayTrace = 5.00 / 1e6
	// SyntheticsCanaryRun is $0.0012 per CloudWatch Synthetics canary run
	// (https://aws.amazon.com/cloudwatch/pricing/), the comparison.
	SyntheticsCanaryRun = 0.0012
	// LambdaX86GBSecond is Lambda compute on x86_64 per GB-second (first
	// 6 billion GB-seconds a month): https://aws.amazon.com/lambda/pricing/.
	// The browser runner runs on x86_64: @sparticuz/chromium, the Chromium
	// it ships, is built for x86-64 only (issue 17).
	LambdaX86GBSecond = 0.0000166667
	// S3Put is $0.005 per 1,000 S3 Standard PUT requests: a browser
	// journey's screenshot put into the reports bucket when a step does
	// not pass: https://aws.amazon.com/s3/pricing/.
	S3Put = 0.005 / 1000
	// ChecklyBrowserCheckRun is $0.005 per Checkly browser check run
	// (https://www.checklyhq.com/pricing/, as issue 17 gives it), the
	// comparison for a UI journey.
	ChecklyBrowserCheckRun = 0.005
)

// DefaultBrowserRunnerMB is the browser runner's memory the cost model
// assumes when the template has no browser runner to read it from: a
// headless Chromium's browser, GPU and renderer processes take several
// hundred MB, and Lambda gives CPU in proportion to memory (1,769 MB is
// one vCPU). An assumption, named as such where it is used.
const DefaultBrowserRunnerMB = 2048

// FullCPUMB is the memory at which a Lambda function has one full vCPU;
// below it, CPU is in proportion to memory
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html).
const FullCPUMB = 1769

// ItemTransitions is what one Map item of a run bills (internal/flow): its
// one Task, RunJourney, which invokes the function the plan gave the
// journey (issue 19; a RouteJourney Choice before a Task per runner cost 2
// since issue 17).
const ItemTransitions = 1

// The DynamoDB requests of the cloud path, as functions.TestStoreCallsPerRun
// and store.TestDynamoRequestCounts pin them, and the indexes that list an
// item (internal/store/doc.go): a write to such an item is also a write to
// each index.
const (
	// ResultWritesPerAttempt: the runner's PutItem of each attempt's result.
	ResultWritesPerAttempt = 1
	// RunnerReadsPerJourney: the runner's Query of the run (LoadRun) and
	// its GetItem of the run's environment, both strongly consistent.
	RunnerReadsPerJourney = 2
	// WritesPerDelivery: the sink's PutItem of each notification.
	WritesPerDelivery = 1
	// WritesPerRun: the plan's PutItem of the run and the gate's
	// UpdateItem of its verdict.
	WritesPerRun = 2
	// ReportWritesPerDeployment: the UpdateItem that marks a deployment
	// run's verdict reported (store.ReportMarker), so a later "already
	// completed" tells a redelivery from a late report.
	ReportWritesPerDeployment = 1
	// GateQueriesScheduled: the gate's Query of the run and its results.
	GateQueriesScheduled = 1
	// GateQueriesDeployment: that, and the deployment's overrides and the
	// environment's recent scheduled runs and their results (the freeze).
	GateQueriesDeployment = 4
	// ResultIndexes is how many indexes list a result (GSI1-4).
	ResultIndexes = 4
	// RunIndexes is how many indexes list a run (GSI2, GSI4).
	RunIndexes = 2
	// IndexWriteUnits is what a new item costs in each index that lists
	// it: the indexes project keys only (dynamo.TableInput), an entry far
	// under 1 KB. An update that changes no key (the verdict, the report
	// mark) writes no index.
	IndexWriteUnits = 1
	// KeyBytes is what keys and bookkeeping attributes add to a record's
	// JSON size in its item (PK, SK, four GSI keys, kind, expiresAt).
	KeyBytes = 256
)

// Trigger says what started a run.
type Trigger string

const (
	// Deployment is a run gating a CodeDeploy or CodePipeline deployment:
	// the hook starts it, and the gate applies the freeze and overrides.
	Deployment Trigger = "deployment"
	// Schedule is a run the EventBridge Scheduler starts.
	Schedule Trigger = "schedule"
)

// Memory is each function's memory size in MB, as the template sets it;
// BrowserRunner is the browser runner's (DefaultBrowserRunnerMB while the
// template has none).
type Memory struct{ Hook, Runner, Gate, Sink, BrowserRunner int }

// Model holds what is assumed rather than measured.
type Model struct {
	// Memory comes from the synthesized template.
	Memory Memory
	// HookDuration, PlanDuration, GateDuration and SinkDuration are the
	// billed durations of the short invocations (assumed).
	HookDuration, PlanDuration, GateDuration, SinkDuration time.Duration
	// PlatformLogBytes is what Lambda logs per invocation (START, END and
	// REPORT lines, with the X-Ray trace ID).
	PlatformLogBytes int
	// StateLogBytesPerTransition estimates the state machine's log (level
	// ALL with execution data): two events per transition with the state's
	// input or output.
	StateLogBytesPerTransition int
	// SinkPoll paces the runner's reads of the sink table while a journey
	// waits (store.DeliveryPollBackoff).
	SinkPoll poll.Backoff
	// FreezeItemBytes are the sizes of the items a deployment decision's
	// freeze reads (the environment's scheduled runs and their results in
	// the window): the indexes list their keys, and each is one
	// eventually consistent GetItem from the table.
	FreezeItemBytes []int
}

// Defaults fills in the assumptions: hook 100 ms, plan 100 ms, gate 300 ms,
// sink 20 ms per delivery, 350 bytes of platform log per invocation, 1 KB
// of state machine log per transition, and the sink poll pace given.
func Defaults(m Memory, sinkPoll poll.Backoff) Model {
	return Model{
		Memory:       m,
		HookDuration: 100 * time.Millisecond, PlanDuration: 100 * time.Millisecond,
		GateDuration: 300 * time.Millisecond, SinkDuration: 20 * time.Millisecond,
		PlatformLogBytes: 350, StateLogBytesPerTransition: 1024,
		SinkPoll: sinkPoll,
	}
}

// JourneyRun is what one journey of a run did in the cloud.
type JourneyRun struct {
	// Name is the journey's.
	Name string
	// Duration is the runner invocation's, every attempt included.
	Duration time.Duration
	// Waiting is the time the journey polled the sink table.
	Waiting time.Duration
	// Attempts is how many results it stored.
	Attempts int
	// TaskRetries counts Step Functions retries of its Task (each one more
	// transition and invocation).
	TaskRetries int
	// ResultBytes is one result item's size (the mean of its attempts).
	ResultBytes int
	// Deliveries is how many notifications the sink stored for it, and
	// DeliveryBytes one delivery item's size.
	Deliveries, DeliveryBytes int
	// LogBytes is what the runner logs for it: log lines and EMF records.
	LogBytes int
	// Browser says it ran on the browser runner (x86_64, Memory.BrowserRunner)
	// rather than the arm64 runner.
	Browser bool
	// Screenshots is how many screenshots of its pages were put into the
	// reports bucket: one per page of an attempt whose step did not pass,
	// none when it passed.
	Screenshots int
	// Transitions is what its Map item bills per invocation, retries
	// aside: ItemTransitions; 0 counts 1, the Task alone.
	Transitions int
	// CPU is the CPU time its runner invocations used, measured with a
	// full core at hand (Duration includes it). With less, as below
	// FullCPUMB, the same work takes CPU × (FullCPUMB/MB − 1) longer:
	// RunnerDuration adds that, an upper bound (it assumes none of the
	// CPU work overlaps a wait).
	CPU time.Duration
}

// RunnerDuration is what a journey's runner invocations last at mb MB:
// its measured Duration, plus the stretch of its CPU time when mb gives
// less than one vCPU.
func RunnerDuration(j JourneyRun, mb int) time.Duration {
	if mb <= 0 || mb >= FullCPUMB || j.CPU <= 0 {
		return j.Duration
	}
	return j.Duration + time.Duration(float64(j.CPU)*(float64(FullCPUMB)/float64(mb)-1))
}

// Run is one execution of the state machine.
type Run struct {
	Trigger Trigger
	// Journeys are the run's journeys.
	Journeys []JourneyRun
	// Transitions is the execution's state transitions (Result.Transitions).
	Transitions int
	// Elapsed is the execution's duration, which Express workflows bill.
	Elapsed time.Duration
	// RunItemBytes is the run item's size with its verdict.
	RunItemBytes int
	// LogBytes is what the plan, the gate and the hook log, EMF included.
	LogBytes int
}

// Cost is an amount in US dollars, by service.
type Cost struct {
	Lambda, StepFunctions, DynamoDB, Logs, Other float64
}

// Total is the sum over services.
func (c Cost) Total() float64 { return c.Lambda + c.StepFunctions + c.DynamoDB + c.Logs + c.Other }

// Add returns the sum of c and d.
func (c Cost) Add(d Cost) Cost {
	return Cost{c.Lambda + d.Lambda, c.StepFunctions + d.StepFunctions, c.DynamoDB + d.DynamoDB, c.Logs + d.Logs, c.Other + d.Other}
}

// Estimate is a run's cost: what its journeys add, and what the run
// costs however many journeys it has.
type Estimate struct {
	Journeys int
	// PerJourney is each journey's own cost, in the run's order.
	PerJourney []Cost
	// JourneyRuns is their sum; Overhead the rest.
	JourneyRuns, Overhead Cost
}

// Total is the whole run's cost.
func (e Estimate) Total() float64 { return e.JourneyRuns.Total() + e.Overhead.Total() }

// PerJourneyRun is the run's cost shared out over its journeys.
func (e Estimate) PerJourneyRun() float64 {
	if e.Journeys == 0 {
		return 0
	}
	return e.Total() / float64(e.Journeys)
}

// MarginalPerJourneyRun is the mean of what one more journey adds.
func (e Estimate) MarginalPerJourneyRun() float64 {
	if e.Journeys == 0 {
		return 0
	}
	return e.JourneyRuns.Total() / float64(e.Journeys)
}

// Standard prices r on the deployed Standard workflow.
func (m Model) Standard(r Run) Estimate {
	e := Estimate{Journeys: len(r.Journeys)}
	journeyTransitions := 0
	for _, j := range r.Journeys {
		c := m.journey(j)
		n := max(1, j.Transitions) + j.TaskRetries
		c.StepFunctions = float64(n) * StandardTransition
		journeyTransitions += n
		e.PerJourney = append(e.PerJourney, c)
		e.JourneyRuns = e.JourneyRuns.Add(c)
	}
	e.Overhead = m.overhead(r)
	e.Overhead.StepFunctions = float64(max(0, r.Transitions-journeyTransitions)) * StandardTransition
	return e
}

// Express prices r as an Express workflow would run it: one request and
// the execution's duration in 64 MB chunks instead of transitions.
func (m Model) Express(r Run) Estimate {
	e := Estimate{Journeys: len(r.Journeys)}
	for _, j := range r.Journeys {
		c := m.journey(j)
		e.PerJourney = append(e.PerJourney, c)
		e.JourneyRuns = e.JourneyRuns.Add(c)
	}
	e.Overhead = m.overhead(r)
	steps := math.Ceil(float64(r.Elapsed) / float64(ExpressRounding))
	seconds := steps * ExpressRounding.Seconds()
	e.Overhead.StepFunctions = ExpressRequest + seconds*float64(ExpressChunkMB)/1024*ExpressGBSecond
	return e
}

// journey is what one journey run costs, but for its transitions.
func (m Model) journey(j JourneyRun) Cost {
	invocations := 1 + j.TaskRetries
	var c Cost
	runner := lambdaCompute(m.Memory.Runner, RunnerDuration(j, m.Memory.Runner))
	if j.Browser {
		runner = lambdaComputeAt(m.Memory.BrowserRunner, RunnerDuration(j, m.Memory.BrowserRunner), LambdaX86GBSecond)
	}
	c.Lambda = float64(invocations)*LambdaRequest + runner +
		float64(j.Deliveries)*(LambdaRequest+lambdaCompute(m.Memory.Sink, m.SinkDuration))
	c.Other = float64(j.Screenshots) * S3Put
	wru := float64(j.Attempts*ResultWritesPerAttempt)*(writeUnits(j.ResultBytes)+ResultIndexes*IndexWriteUnits) +
		float64(j.Deliveries*WritesPerDelivery)*writeUnits(j.DeliveryBytes)
	// The runner's two reads return the run item (Map starts the journeys
	// together, so few results are stored yet); each sink poll reads the
	// run's deliveries, a few KB at most.
	rru := RunnerReadsPerJourney*1.0 + float64(PollsWithin(j.Waiting, m.SinkPoll))
	c.DynamoDB = wru*DynamoWRU + rru*DynamoRRU
	logs := j.LogBytes + m.PlatformLogBytes*(invocations+j.Deliveries)
	c.Logs = logCost(logs)
	return c
}

// overhead is what a run costs beyond its journeys, but for the state
// transitions (Standard and Express differ there).
func (m Model) overhead(r Run) Cost {
	var c Cost
	invocations := 2 // plan and gate
	c.Lambda = 2*LambdaRequest + lambdaCompute(m.Memory.Runner, m.PlanDuration) + lambdaCompute(m.Memory.Gate, m.GateDuration)
	resultBytes := 0
	for _, j := range r.Journeys {
		resultBytes += j.Attempts * j.ResultBytes
	}
	// The plan's PutItem of the run is listed by its indexes; the gate's
	// UpdateItem of the verdict changes no key, so no index.
	wru := float64(WritesPerRun)*writeUnits(r.RunItemBytes) + RunIndexes*IndexWriteUnits
	// The gate reads the run with all its results, strongly consistent.
	rru := readUnits(r.RunItemBytes + resultBytes)
	// Every run starts at the hook: a deployment's event, or a schedule's
	// tick (the Scheduler invokes the hook, whose idempotent start names
	// the run).
	invocations++
	c.Lambda += LambdaRequest + lambdaCompute(m.Memory.Hook, m.HookDuration)
	switch r.Trigger {
	case Deployment:
		wru += ReportWritesPerDeployment * writeUnits(r.RunItemBytes) // no key changes
		// Overrides: a consistent Query of an (often empty) partition;
		// the freeze: two eventually consistent Queries of keys-only
		// indexes, then one eventually consistent GetItem per item.
		rru += 1 + math.Max(1, readUnits(len(m.FreezeItemBytes)*KeyBytes)/2)
		for _, n := range m.FreezeItemBytes {
			rru += readUnits(n) / 2
		}
	case Schedule:
		c.Other += SchedulerInvocation
	}
	c.DynamoDB = wru*DynamoWRU + rru*DynamoRRU
	// One Run Completed event; one X-Ray trace for the execution.
	c.Other += EventBridgeEvent + XRayTrace
	c.Logs = logCost(r.LogBytes + m.PlatformLogBytes*invocations + m.StateLogBytesPerTransition*r.Transitions)
	return c
}

// PollsWithin is how many reads a wait of d makes when paced by b: one at
// once, then one after each backoff interval, the last of which finds
// what was awaited.
func PollsWithin(d time.Duration, b poll.Backoff) int {
	if b.First <= 0 {
		b = poll.DefaultBackoff
	}
	n, at, wait := 1, time.Duration(0), b.First
	for at < d {
		at += wait
		n++
		wait = min(time.Duration(float64(wait)*max(b.Factor, 1)), max(b.Max, b.First))
	}
	return n
}

// lambdaCompute is the arm64 compute price of mb MB for d, billed by the ms.
func lambdaCompute(mb int, d time.Duration) float64 {
	return lambdaComputeAt(mb, d, LambdaARMGBSecond)
}

// lambdaComputeAt is the compute price of mb MB for d at perGBSecond,
// billed by the ms.
func lambdaComputeAt(mb int, d time.Duration, perGBSecond float64) float64 {
	ms := math.Ceil(float64(d) / float64(time.Millisecond))
	return float64(mb) / 1024 * ms / 1000 * perGBSecond
}

// writeUnits is the write request units of one write of an item of n
// bytes: one per started KB.
func writeUnits(n int) float64 { return math.Max(1, math.Ceil(float64(n)/1024)) }

// readUnits is the read request units of a strongly consistent read of n
// bytes: one per started 4 KB.
func readUnits(n int) float64 { return math.Max(1, math.Ceil(float64(n)/4096)) }

// logCost is the ingestion price of n bytes of logs (GB = 10^9 bytes).
func logCost(n int) float64 { return float64(n) / 1e9 * LogsIngestGB }
