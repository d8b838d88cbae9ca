package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/codepipeline"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	gatefn "github.com/journeygate/journeygate/functions/gate/handler"
	hookfn "github.com/journeygate/journeygate/functions/hook/handler"
	runnerfn "github.com/journeygate/journeygate/functions/runner/handler"
	sinkfn "github.com/journeygate/journeygate/functions/sink/handler"
	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/backend"
)

const invokeUsage = `Usage: journeygate invoke FUNCTION --event FILE [flags]

Runs one Lambda function's handler in this process with the event in FILE,
through aws-lambda-go's JSON path (as Lambda would), and prints the response
JSON on stdout. A function error is printed on stderr with the error type
Step Functions would see, and exits 1.

FUNCTION is one of:
  runner  plan a run ({"action":"plan",...}) or run one journey of it
          ({"action":"run",...}) against the --env environment's targets,
          recording into --store. Journeys awaiting notifications get an
          in-process sink, as "journeygate run" starts. Run a plan event
          before a run event of the same run.
  gate    decide, record and report a run's verdict from --store, with
          the freeze configured by --config (as the Lambda reads its
          environments file).
  hook    turn a CodeDeploy, CodePipeline, schedule or manual event into a
          run: prints the StartExecution it would send.
  sink    store a function URL request's delivery into --store; needs
          --sink-token, --sink-secret or the environment's sink.token.

Nothing here calls AWS. CodeDeploy, CodePipeline, Step Functions and
EventBridge calls are dry runs by default: printed on stderr as
"dry run: Service Operation {input}" and answered as if accepted
(GetDeployment answers with a placeholder deployment). --endpoint
SERVICE=URL sends one service's calls to a local stand-in instead, with
dummy credentials (SERVICE: codedeploy, codepipeline, stepfunctions,
eventbridge).

Sample events are in events/: codedeploy-hook.json, codepipeline-job.json,
schedule.json, manual.json (hook); runner-plan.json, runner-run.json;
gate-decide.json, gate-forced-failure.json; sink-delivery.json, sink-sms.json.

Flags:
`

// invokeServices are the services --endpoint can point at a stand-in.
var invokeServices = []string{"codedeploy", "codepipeline", "stepfunctions", "eventbridge"}

// endpointList is the repeatable --endpoint SERVICE=URL flag.
type endpointList map[string]string

func (l endpointList) String() string {
	var parts []string
	for k, v := range l {
		parts = append(parts, k+"="+v)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (l endpointList) Set(v string) error {
	svc, u, ok := strings.Cut(v, "=")
	if !ok || u == "" {
		return fmt.Errorf("%q is not SERVICE=URL", v)
	}
	if !slices.Contains(invokeServices, svc) {
		return fmt.Errorf("unknown service %q (known: %s)", svc, strings.Join(invokeServices, ", "))
	}
	l[svc] = u
	return nil
}

func cmdInvoke(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("invoke", e.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), invokeUsage)
		fs.PrintDefaults()
	}
	var c common
	c.register(fs, e)
	eventFile := fs.String("event", "", "the event `FILE` (JSON) to invoke the function with")
	envName := fs.String("env", "local", "environment: the runner's targets, the hook's default, the sink's token")
	stateMachine := fs.String("state-machine", "arn:aws:states:us-east-1:000000000000:stateMachine:journeygate", "hook: the state machine `ARN` runs start")
	sinkToken := fs.String("sink-token", "", "sink: the secret token deliveries must carry (default: the environment's sink.token)")
	sinkSecret := fs.String("sink-secret", "", "sink: the HMAC-SHA256 key of X-Journeygate-Signature")
	timeout := durationVar(fs, "timeout", 15*time.Minute, "the invocation's deadline, as the function's timeout (a `duration`)")
	verbose := fs.Bool("v", false, "log the handler's structured logs to stderr")
	endpoints := endpointList{}
	fs.Var(endpoints, "endpoint", "send `SERVICE=URL` calls to a local stand-in instead of a dry run (repeatable)")

	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return flag.ErrHelp
		}
		return usagef("name the function: journeygate invoke runner|gate|hook|sink --event FILE")
	}
	function := args[0]
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *timeout <= 0 {
		return usagef("--timeout %s: must be positive", *timeout)
	}
	if *eventFile == "" {
		return usagef("--event FILE is required (samples are in events/)")
	}
	payload, err := os.ReadFile(*eventFile)
	if err != nil {
		return usagef("--event: %v", err)
	}
	if !json.Valid(payload) {
		return usagef("--event %s is not valid JSON", *eventFile)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	clients := invokeAWS{out: e.stderr, endpoints: endpoints}

	var handler any
	var cleanup []func()
	defer func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}()
	openStore := func() (store.Store, error) {
		st, err := backend.Open(ctx, c.storePath)
		if err != nil {
			return nil, usagef("--store: %v", err)
		}
		cleanup = append(cleanup, func() { st.Close() })
		return st, nil
	}
	switch function {
	case "runner":
		reg, err := e.registry()
		if err != nil {
			return err
		}
		cfg, err := c.loadConfig(e)
		if err != nil {
			return err
		}
		environment, err := cfg.Get(*envName)
		if err != nil {
			return usagef("--env: %v", err)
		}
		listen := environment.Sink.Listen
		if listen == "" {
			listen = "127.0.0.1:0"
		}
		sk := sink.New(sink.Config{Token: environment.Sink.Token, Correlate: environment.Sink.Correlate})
		if _, err := sk.Listen(listen); err != nil {
			return usagef("notification sink cannot listen on %s: %v", listen, err)
		}
		cleanup = append(cleanup, func() { sk.Close() })
		st, err := openStore()
		if err != nil {
			return err
		}
		leases, err := newLeases(ctx, st, cfg, e.getenv, logger)
		if err != nil {
			return err
		}
		h, err := runnerfn.New(reg, cfg, st, runnerfn.WithSink(sk), runnerfn.WithLogger(logger), runnerfn.WithEvents(clients.eventBridge(), ""), runnerfn.WithLeases(leases))
		if err != nil {
			return err
		}
		handler = h.Handle
	case "gate":
		cfg, err := c.loadConfig(e)
		if err != nil {
			return err
		}
		st, err := openStore()
		if err != nil {
			return err
		}
		h, err := gatefn.New(st, clients.codeDeploy(), clients.codePipeline(), gatefn.WithEvents(clients.eventBridge(), ""), gatefn.WithLogger(logger), gatefn.WithEnvironments(cfg))
		if err != nil {
			return err
		}
		handler = h.Handle
	case "hook":
		st, err := openStore()
		if err != nil {
			return err
		}
		runs, ok := st.(hookfn.Runs)
		if !ok {
			return usagef("--store %s cannot record reports", c.storePath)
		}
		h, err := hookfn.New(hookfn.Config{StateMachineArn: *stateMachine, Environment: *envName}, clients.stepFunctions(), clients.codeDeploy(), clients.codePipeline(), runs, hookfn.WithLogger(logger))
		if err != nil {
			return usagef("%v", err)
		}
		handler = h.Handle
	case "sink":
		token := *sinkToken
		if token == "" && *sinkSecret == "" {
			cfg, err := c.loadConfig(e)
			if err != nil {
				return err
			}
			environment, err := cfg.Get(*envName)
			if err != nil {
				return usagef("--env: %v", err)
			}
			token = environment.Sink.Token
		}
		if token == "" && *sinkSecret == "" {
			return usagef("the sink accepts no anonymous deliveries: pass --sink-token or --sink-secret, or set sink.token for environment %q", *envName)
		}
		st, err := openStore()
		if err != nil {
			return err
		}
		ds, ok := st.(sinkfn.DeliveryWriter)
		if !ok {
			return usagef("--store %s cannot store sink deliveries", c.storePath)
		}
		h, err := sinkfn.New(sinkfn.Config{Token: token, HMACSecret: *sinkSecret}, ds, sinkfn.WithLogger(logger))
		if err != nil {
			return usagef("%v", err)
		}
		handler = h.Handle
	default:
		return usagef("unknown function %q: want runner, gate, hook or sink", function)
	}

	ictx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	out, err := lambda.NewHandler(handler).Invoke(ictx, payload)
	if err != nil {
		fmt.Fprintf(e.stderr, "journeygate invoke %s: function error %s: %v\n", function, lambdaErrorType(err), err)
		return errFailed
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(out)
	}
	fmt.Fprintln(e.stdout, strings.TrimSpace(pretty.String()))
	return nil
}

// lambdaErrorType is the error name Lambda reports for err: its Go type's
// name, a pointer's element type's name.
func lambdaErrorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// invokeAWS builds the AWS clients of a local invocation: a stand-in's
// client when --endpoint names one, otherwise a dry run that prints.
type invokeAWS struct {
	out       io.Writer
	endpoints map[string]string
}

// config is a local-only SDK configuration: dummy credentials, fixed region.
func (a invokeAWS) config() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
}

func (a invokeAWS) codeDeploy() interface {
	gatefn.CodeDeployAPI
	hookfn.CodeDeployAPI
} {
	if u, ok := a.endpoints["codedeploy"]; ok {
		return codedeploy.NewFromConfig(a.config(), func(o *codedeploy.Options) { o.BaseEndpoint = aws.String(u) })
	}
	return dryRun{out: a.out}
}

func (a invokeAWS) codePipeline() interface {
	gatefn.CodePipelineAPI
	hookfn.CodePipelineAPI
} {
	if u, ok := a.endpoints["codepipeline"]; ok {
		return codepipeline.NewFromConfig(a.config(), func(o *codepipeline.Options) { o.BaseEndpoint = aws.String(u) })
	}
	return dryRun{out: a.out}
}

func (a invokeAWS) stepFunctions() hookfn.StepFunctionsAPI {
	if u, ok := a.endpoints["stepfunctions"]; ok {
		return sfn.NewFromConfig(a.config(), func(o *sfn.Options) { o.BaseEndpoint = aws.String(u) })
	}
	return dryRun{out: a.out}
}

func (a invokeAWS) eventBridge() gatefn.EventsAPI {
	if u, ok := a.endpoints["eventbridge"]; ok {
		return eventbridge.NewFromConfig(a.config(), func(o *eventbridge.Options) { o.BaseEndpoint = aws.String(u) })
	}
	return dryRun{out: a.out}
}

// dryRun prints each AWS call it receives and answers as if accepted.
type dryRun struct{ out io.Writer }

var dryMu sync.Mutex

func (d dryRun) print(service, op string, in any) {
	b, err := json.Marshal(in)
	if err != nil {
		b = []byte(fmt.Sprintf("%+v", in))
	}
	dryMu.Lock()
	defer dryMu.Unlock()
	fmt.Fprintf(d.out, "dry run: %s %s %s\n", service, op, b)
}

func (d dryRun) GetDeployment(_ context.Context, in *codedeploy.GetDeploymentInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentOutput, error) {
	d.print("CodeDeploy", "GetDeployment", in)
	return &codedeploy.GetDeploymentOutput{DeploymentInfo: &cdtypes.DeploymentInfo{
		DeploymentId:        in.DeploymentId,
		ApplicationName:     aws.String("dry-run-application"),
		DeploymentGroupName: aws.String("dry-run-deployment-group"),
	}}, nil
}

func (d dryRun) ListDeploymentTargets(_ context.Context, in *codedeploy.ListDeploymentTargetsInput, _ ...func(*codedeploy.Options)) (*codedeploy.ListDeploymentTargetsOutput, error) {
	d.print("CodeDeploy", "ListDeploymentTargets", in)
	return &codedeploy.ListDeploymentTargetsOutput{TargetIds: []string{"dry-run-function:live"}}, nil
}

// GetDeploymentTarget answers a Lambda target at AfterAllowTraffic, the
// stage that tests the live targets.
func (d dryRun) GetDeploymentTarget(_ context.Context, in *codedeploy.GetDeploymentTargetInput, _ ...func(*codedeploy.Options)) (*codedeploy.GetDeploymentTargetOutput, error) {
	d.print("CodeDeploy", "GetDeploymentTarget", in)
	return &codedeploy.GetDeploymentTargetOutput{DeploymentTarget: &cdtypes.DeploymentTarget{
		DeploymentTargetType: cdtypes.DeploymentTargetTypeLambdaTarget,
		LambdaTarget: &cdtypes.LambdaTarget{LifecycleEvents: []cdtypes.LifecycleEvent{
			{LifecycleEventName: aws.String("AfterAllowTraffic"), Status: cdtypes.LifecycleEventStatusInProgress},
		}},
	}}, nil
}

func (d dryRun) PutLifecycleEventHookExecutionStatus(_ context.Context, in *codedeploy.PutLifecycleEventHookExecutionStatusInput, _ ...func(*codedeploy.Options)) (*codedeploy.PutLifecycleEventHookExecutionStatusOutput, error) {
	d.print("CodeDeploy", "PutLifecycleEventHookExecutionStatus", in)
	return &codedeploy.PutLifecycleEventHookExecutionStatusOutput{LifecycleEventHookExecutionId: in.LifecycleEventHookExecutionId}, nil
}

func (d dryRun) PutJobSuccessResult(_ context.Context, in *codepipeline.PutJobSuccessResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobSuccessResultOutput, error) {
	d.print("CodePipeline", "PutJobSuccessResult", in)
	return &codepipeline.PutJobSuccessResultOutput{}, nil
}

func (d dryRun) PutJobFailureResult(_ context.Context, in *codepipeline.PutJobFailureResultInput, _ ...func(*codepipeline.Options)) (*codepipeline.PutJobFailureResultOutput, error) {
	d.print("CodePipeline", "PutJobFailureResult", in)
	return &codepipeline.PutJobFailureResultOutput{}, nil
}

func (d dryRun) StartExecution(_ context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	d.print("StepFunctions", "StartExecution", in)
	arn := strings.Replace(aws.ToString(in.StateMachineArn), ":stateMachine:", ":execution:", 1) + ":" + aws.ToString(in.Name)
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String(arn), StartDate: aws.Time(time.Now())}, nil
}

func (d dryRun) DescribeExecution(_ context.Context, in *sfn.DescribeExecutionInput, _ ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	d.print("StepFunctions", "DescribeExecution", in)
	return &sfn.DescribeExecutionOutput{ExecutionArn: in.ExecutionArn, Status: sfntypes.ExecutionStatusRunning}, nil
}

func (d dryRun) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	d.print("EventBridge", "PutEvents", in)
	return &eventbridge.PutEventsOutput{}, nil
}
