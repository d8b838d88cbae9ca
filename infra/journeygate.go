package infra

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/internal/chromiumlayer"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// JourneyGate is one journeygate deployment: table, functions, state
// machine, schedules, sink, events, alarms, dashboard and the reports
// bucket.
type JourneyGate struct {
	constructs.Construct
	props *resolved

	table        awsdynamodb.ITable
	runnerGroups []awsec2.ISecurityGroup
	vpcPolicy    awsiam.Policy
	functions    map[string]awslambda.Function
	// chromiumLayer is the browser runner's Chromium (nil without one).
	chromiumLayer awslambda.LayerVersion
	stateMachine  awsstepfunctions.StateMachine
	sinkURL       awslambda.FunctionUrl
	sinkSecret    awssecretsmanager.Secret
	topicKey      awskms.Key
	topic         awssns.Topic
	verdictLogs   awslogs.LogGroup
	reports       awss3.Bucket
	reportLogs    awss3.Bucket

	codePipelinePolicies []awsiam.Policy
	codeDeployPolicies   []awsiam.Policy
	deployments          deployments
	schedules            map[journey.Tier]awsscheduler.Schedule
	alarms               []awscloudwatch.Alarm
	alarmNames           []string
	unreportedAlarm      awscloudwatch.Alarm
	dashboard            awscloudwatch.Dashboard
}

// NewJourneyGate adds journeygate to scope. It returns every problem with
// props at once rather than a half-built construct.
func NewJourneyGate(scope constructs.Construct, id string, props Props) (*JourneyGate, error) {
	p, err := props.resolve()
	if err != nil {
		return nil, err
	}
	j := &JourneyGate{
		Construct: constructs.NewConstruct(scope, jsii.String(id)),
		props:     p,
		functions: map[string]awslambda.Function{},
		schedules: map[journey.Tier]awsscheduler.Schedule{},
	}
	j.addTable()
	j.addTopic()
	if err := j.addFunctions(); err != nil {
		return nil, err
	}
	if err := j.addStateMachine(); err != nil {
		return nil, err
	}
	j.addSink()
	j.addEvents()
	j.addReports()
	j.grant()
	j.addDeployments()
	j.addSchedules()
	j.addAlarms()
	j.addDashboard()
	j.addOutputs()
	j.suppressFindings()
	return j, nil
}

// Table is the store's DynamoDB table: Props.Table, or the one the
// construct created.
func (j *JourneyGate) Table() awsdynamodb.ITable { return j.table }

// RunnerSecurityGroups are the runner's security groups when it is
// attached to Props.Vpc (Props.SecurityGroups, or the one the construct
// created), else none.
func (j *JourneyGate) RunnerSecurityGroups() []awsec2.ISecurityGroup { return j.runnerGroups }

// CatalogueFingerprint is the fingerprint of Props.Catalogue
// (journey.Fingerprint) set on the runner, which refuses to start with
// another catalogue compiled in.
func (j *JourneyGate) CatalogueFingerprint() string { return j.props.fingerprint }

// NamePrefix starts the deployment's fixed names (Props.NamePrefix).
func (j *JourneyGate) NamePrefix() string { return j.props.NamePrefix }

// StateMachine runs the journeys of one run and decides its verdict.
func (j *JourneyGate) StateMachine() awsstepfunctions.StateMachine { return j.stateMachine }

// HookFunction is the function CodeDeploy hooks, Amazon ECS lifecycle
// hooks (with EcsHookRole) and CodePipeline invoke.
func (j *JourneyGate) HookFunction() awslambda.Function { return j.functions[FunctionHook] }

// RunnerFunction runs one journey (and plans runs).
func (j *JourneyGate) RunnerFunction() awslambda.Function { return j.functions[FunctionRunner] }

// BrowserRunnerFunction runs one journey that drives a browser, with
// Chromium from its layer; nil when no journey that runs in the
// environment drives a browser.
func (j *JourneyGate) BrowserRunnerFunction() awslambda.Function {
	return j.functions[FunctionBrowserRunner]
}

// ChromiumLayer is the browser runner's Chromium layer; nil without a
// browser runner.
func (j *JourneyGate) ChromiumLayer() awslambda.LayerVersion { return j.chromiumLayer }

// runners are the functions that run journeys: the runner, and the
// browser runner when there is one. They share configuration and grants.
func (j *JourneyGate) runners() []awslambda.Function {
	out := []awslambda.Function{j.RunnerFunction()}
	if fn := j.BrowserRunnerFunction(); fn != nil {
		out = append(out, fn)
	}
	return out
}

// GateFunction decides and reports verdicts.
func (j *JourneyGate) GateFunction() awslambda.Function { return j.functions[FunctionGate] }

// SinkFunction receives the target's notifications.
func (j *JourneyGate) SinkFunction() awslambda.Function { return j.functions[FunctionSink] }

// SinkURL is the sink's function URL, which the system under test
// delivers notifications to.
func (j *JourneyGate) SinkURL() awslambda.FunctionUrl { return j.sinkURL }

// SinkSecret holds the bearer token the target must send to the sink.
func (j *JourneyGate) SinkSecret() awssecretsmanager.Secret { return j.sinkSecret }

// Topic receives alarms and failed-journey events.
func (j *JourneyGate) Topic() awssns.Topic { return j.topic }

// Alarms are the journey alarms, for a deployment group's automatic
// rollback.
func (j *JourneyGate) Alarms() []awscloudwatch.Alarm { return j.alarms }

// UnreportedAlarm pages when an execution failed without a report.
func (j *JourneyGate) UnreportedAlarm() awscloudwatch.Alarm { return j.unreportedAlarm }

// Dashboard shows success rates, durations and recent verdicts.
func (j *JourneyGate) Dashboard() awscloudwatch.Dashboard { return j.dashboard }

// FunctionLogicalIDs maps each function's CloudFormation logical ID to its
// name (FunctionHook and so on), for reading a synthesized template.
func (j *JourneyGate) FunctionLogicalIDs() map[string]string {
	stack := awscdk.Stack_Of(j.Construct)
	out := map[string]string{}
	for name, fn := range j.functions {
		cfn := fn.Node().DefaultChild().(awscdk.CfnElement)
		id, _ := stack.Resolve(stack.GetLogicalId(cfn)).(string)
		out[id] = name
	}
	return out
}

// Schedule returns the tier's schedule, or nil when it is off.
func (j *JourneyGate) Schedule(tier journey.Tier) awsscheduler.Schedule { return j.schedules[tier] }

func (j *JourneyGate) addTable() {
	if j.props.Table != nil {
		j.table = j.props.Table
		return
	}
	in := dynamo.TableInput("")
	attr := func(name *string) *awsdynamodb.Attribute {
		return &awsdynamodb.Attribute{Name: name, Type: awsdynamodb.AttributeType_STRING}
	}
	table := awsdynamodb.NewTable(j.Construct, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: attr(in.KeySchema[0].AttributeName),
		SortKey:      attr(in.KeySchema[1].AttributeName),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		Encryption:   awsdynamodb.TableEncryption_AWS_MANAGED,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		TimeToLiveAttribute: jsii.String(dynamo.TTLAttribute),
		DeletionProtection:  jsii.Bool(j.props.Production),
		RemovalPolicy:       j.keptInProduction(),
	})
	for _, ix := range in.GlobalSecondaryIndexes {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      ix.IndexName,
			PartitionKey:   attr(ix.KeySchema[0].AttributeName),
			SortKey:        attr(ix.KeySchema[1].AttributeName),
			ProjectionType: awsdynamodb.ProjectionType(ix.Projection.ProjectionType), // the store's: KEYS_ONLY
		})
	}
	j.table = table
}

// keptInProduction is the removal policy of what holds the record of runs
// (the table, the verdict log group) or is shared with the target (the
// sink token): kept when a production stack is deleted.
func (j *JourneyGate) keptInProduction() awscdk.RemovalPolicy {
	if j.props.Production {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
}

func (j *JourneyGate) addTopic() {
	// A customer managed key: CloudWatch alarms and EventBridge can only
	// publish to an encrypted topic whose key lets them. The Journey Failed
	// rule's topic target grants EventBridge its part (topic and key);
	// alarms are not grantees, so CloudWatch's is written here, on both.
	j.topicKey = awskms.NewKey(j.Construct, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("journeygate alarm topic (" + j.props.Environment + ")"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	// In a key policy, the resource is the key itself.
	j.topicKey.AddToResourcePolicy(j.alarmsMay("AlarmsUseKey", jsii.String("*"), "kms:Decrypt", "kms:GenerateDataKey*"), nil)
	// Grants of this key only to AWS services acting for AWS resources
	// (Control Tower's CT.KMS.PR.3): nothing here needs a grant, and an
	// organisation that enforces the control can deploy the stack.
	j.topicKey.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("GrantsOnlyForAWSResources"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("kms:CreateGrant"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"BoolIfExists": map[string]any{
			"kms:GrantIsForAWSResource": "false",
			"aws:PrincipalIsAWSService": "false",
		}},
	}), nil)
	j.topic = awssns.NewTopic(j.Construct, jsii.String("AlarmTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("journeygate " + j.props.Environment),
		MasterKey:   j.topicKey,
		EnforceSSL:  jsii.Bool(true),
	})
	// The topic policy EnforceSSL creates replaces SNS's default one (which
	// let anything acting for this account publish): without this
	// statement no alarm could page anyone.
	j.topic.AddToResourcePolicy(j.alarmsMay("AlarmsPublish", j.topic.TopicArn(), "sns:Publish"))
	if j.props.PagerDutyURL != "" {
		j.topic.AddSubscription(awssnssubscriptions.NewUrlSubscription(jsii.String(j.props.PagerDutyURL), &awssnssubscriptions.UrlSubscriptionProps{
			Protocol: awssns.SubscriptionProtocol_HTTPS,
		}))
	}
}

// alarmsMay is a statement letting CloudWatch make these calls on
// resource for this stack's alarms only (this account and region, named
// with alarmNamePrefix): no other account's alarm, nor another gate's, can use it as a
// confused deputy.
func (j *JourneyGate) alarmsMay(sid string, resource *string, actions ...string) awsiam.PolicyStatement {
	stack := awscdk.Stack_Of(j.Construct)
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(sid),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings(actions...),
		Resources:  &[]*string{resource},
		Conditions: &map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": stack.Account()},
			"ArnLike": map[string]any{"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"),
				ResourceName: jsii.String(alarmNamePrefix(j.props.NamePrefix, j.props.Environment) + "*"),
				ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
			})},
		},
	})
}

// functionSpec is what differs between the functions.
type functionSpec struct {
	name        string
	description string
	timeout     time.Duration
	memory      float64
	env         map[string]string
}

func (j *JourneyGate) addFunctions() error {
	// Each runner's timeout fits the journeys it runs (and the plan).
	runnerTO, err := runnerTimeout(j.props.runnerJourneys(false), j.props.TimeoutMargin)
	if err != nil {
		return err
	}
	// The runner takes its environment from each execution's input.
	runnerEnv := map[string]string{
		"JOURNEYGATE_TIMEOUT_MARGIN": j.props.TimeoutMargin.String(),
		envFileVariable:              BundledEnvironmentsFile,
		catalogueVariable:            j.props.fingerprint,
	}
	for k, v := range j.props.RunnerEnvironment {
		runnerEnv[k] = v
	}
	// The gate applies the freeze policy of the same file, expanded alike.
	gateEnv := map[string]string{envFileVariable: BundledEnvironmentsFile}
	for k, v := range j.props.gateEnv {
		gateEnv[k] = v
	}
	// The run budget tells an ECS lifecycle hook when to ask again.
	budget := RunBudget(j.props.journeys, j.props.TimeoutMargin, j.props.MaxConcurrency).Total()
	hookEnv := map[string]string{
		"JOURNEYGATE_ENVIRONMENT":        j.props.Environment,
		"JOURNEYGATE_SERVICES":           strings.Join(j.props.Services, ","),
		"JOURNEYGATE_RUN_BUDGET_SECONDS": strconv.Itoa(int((budget + time.Second - 1) / time.Second)),
	}
	if len(j.props.DeploymentServices) > 0 {
		b, err := json.Marshal(j.props.DeploymentServices) // keys sorted: a stable template
		if err != nil {
			return fmt.Errorf("DeploymentServices: %w", err)
		}
		hookEnv["JOURNEYGATE_DEPLOYMENT_SERVICES"] = string(b)
	}
	specs := []functionSpec{
		{FunctionHook, "Starts a journeygate run for a CodeDeploy hook, a CodePipeline job or a request", 30 * time.Second, 256, hookEnv},
		{FunctionRunner, "Plans a journeygate run and runs one journey", runnerTO, RunnerMemoryMB, runnerEnv},
		{FunctionGate, "Decides a journeygate run's verdict and reports it", 2 * time.Minute, 256, gateEnv},
		{FunctionSink, "Receives the system under test's notifications for journeys", 10 * time.Second, 256, map[string]string{
			"JOURNEYGATE_SINK_CORRELATE": strings.Join(j.props.env.Sink.Correlate, ","),
		}},
	}
	if j.props.browser() {
		browserTO, err := runnerTimeout(j.props.runnerJourneys(true), j.props.TimeoutMargin)
		if err != nil {
			return err
		}
		// The same configuration as the runner, and where its Chromium
		// is: unpacked at cold start from the layer (/opt/chromium) to
		// /tmp/chromium (package chromiumlayer), run without a sandbox
		// (Lambda has none to give it) in one process with no zygote, as
		// Chromium for Lambda must.
		browserEnv := map[string]string{
			"JOURNEYGATE_CHROMIUM_LAYER":      chromiumlayer.LayerDir,
			"JOURNEYGATE_CHROMIUM":            chromiumlayer.DefaultDir + "/" + chromiumlayer.Executable,
			"JOURNEYGATE_CHROMIUM_NO_SANDBOX": "1",
			"JOURNEYGATE_CHROMIUM_ARGS":       BrowserRunnerChromiumArgs,
		}
		for k, v := range runnerEnv {
			browserEnv[k] = v
		}
		specs = append(specs, functionSpec{FunctionBrowserRunner, "Runs one journeygate journey that drives a browser (Chromium)", browserTO, BrowserRunnerMemoryMB, browserEnv})
		j.chromiumLayer = awslambda.NewLayerVersion(j.Construct, jsii.String("ChromiumLayer"), &awslambda.LayerVersionProps{
			Code:                    awslambda.Code_FromAsset(jsii.String(filepath.Join(j.props.DistDir, ChromiumLayerDir)), nil),
			CompatibleArchitectures: &[]awslambda.Architecture{awslambda.Architecture_X86_64()},
			CompatibleRuntimes:      &[]awslambda.Runtime{awslambda.Runtime_PROVIDED_AL2023()},
			Description:             jsii.String("Chromium for the journeygate browser runner: @sparticuz/chromium's brotli files, unpacked by the runner at cold start (" + j.props.Environment + ")"),
			RemovalPolicy:           awscdk.RemovalPolicy_DESTROY,
		})
	}
	retention := retentionDays(j.props.LogRetention)
	for _, s := range specs {
		env := map[string]*string{"JOURNEYGATE_TABLE": j.table.TableName()}
		for k, v := range s.env {
			env[k] = jsii.String(v)
		}
		id := functionID(s.name)
		logs := awslogs.NewLogGroup(j.Construct, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
			Retention:     retention,
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		// Its own role without AWSLambdaBasicExecutionRole: writing to its
		// own log group only, not to every log group in the account.
		role := awsiam.NewRole(j.Construct, jsii.String(id+"Role"), &awsiam.RoleProps{
			AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
			Description: jsii.String("journeygate " + s.name + " function (" + j.props.Environment + ")"),
		})
		logs.GrantWrite(role)
		var name *string
		if s.name == FunctionHook {
			// CodeDeploy's managed service roles (AWSCodeDeployRoleForLambda,
			// ...ForECS) may invoke functions named CodeDeployHook_* only.
			name = jsii.String(HookFunctionName(j.props.NamePrefix, j.props.Environment))
		}
		code, staged, err := j.functionCode(s.name)
		if err != nil {
			return err
		}
		fp := &awslambda.FunctionProps{
			FunctionName: name,
			Role:         role,
			Description:  jsii.String(s.description + " (" + j.props.Environment + ")"),
			Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
			Architecture: awslambda.Architecture_ARM_64(),
			Handler:      jsii.String("bootstrap"),
			Code:         code,
			Timeout:      awscdk.Duration_Seconds(jsii.Number(s.timeout.Seconds())),
			MemorySize:   jsii.Number(s.memory),
			Tracing:      awslambda.Tracing_ACTIVE,
			LogGroup:     logs,
			Environment:  &env,
		}
		if s.name == FunctionBrowserRunner {
			// @sparticuz/chromium ships Chromium for x86-64 only.
			fp.Architecture = awslambda.Architecture_X86_64()
			fp.EphemeralStorageSize = awscdk.Size_Mebibytes(jsii.Number(BrowserRunnerEphemeralMB))
			fp.Layers = &[]awslambda.ILayerVersion{j.chromiumLayer}
		}
		runsJourneys := s.name == FunctionRunner || s.name == FunctionBrowserRunner
		if runsJourneys && j.props.Vpc != nil {
			j.attachRunner(fp, role)
		}
		fn := awslambda.NewFunction(j.Construct, jsii.String(id), fp)
		staged() // the asset is in the cloud assembly now
		if j.vpcPolicy != nil && runsJourneys {
			// Lambda checks the role may manage the network interfaces
			// when the function is created.
			fn.Node().AddDependency(j.vpcPolicy)
		}
		j.functions[s.name] = fn
	}
	// CodeDeploy, CodePipeline and the Scheduler invoke the hook
	// asynchronously, and Lambda retries an invocation that returns an
	// error. The hook returns one only when it neither started the run nor
	// reported Failed (a report that failed too), so a retry is that
	// deployment's second chance, and harmless when the first attempt did
	// start the run: the execution is named after the run, so the retry
	// starts none. One retry, a minute later: the hook's calls have already
	// retried their throttles, and a fault that outlasts both needs a
	// person (it is logged), not Lambda's second retry two minutes on.
	j.HookFunction().ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{RetryAttempts: jsii.Number(HookRetryAttempts)})
	return nil
}

func (j *JourneyGate) addStateMachine() error {
	o := flow.Options{
		RunnerArn:      *j.RunnerFunction().FunctionArn(),
		GateArn:        *j.GateFunction().FunctionArn(),
		HookArn:        *j.hookArn(),
		MaxConcurrency: j.props.MaxConcurrency,
	}
	invoked := []*string{j.RunnerFunction().FunctionArn(), j.GateFunction().FunctionArn(), j.hookArn()}
	if fn := j.BrowserRunnerFunction(); fn != nil {
		o.BrowserRunnerArn = *fn.FunctionArn()
		invoked = append(invoked, fn.FunctionArn())
	}
	def, err := flow.Definition(o)
	if err != nil {
		return err
	}
	logs := awslogs.NewLogGroup(j.Construct, jsii.String("StateMachineLogs"), &awslogs.LogGroupProps{
		Retention:     retentionDays(j.props.LogRetention),
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	j.stateMachine = awsstepfunctions.NewStateMachine(j.Construct, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		Comment:          jsii.String("journeygate " + j.props.Environment + ": run the journeys, then decide and report the verdict"),
		DefinitionBody:   awsstepfunctions.DefinitionBody_FromString(jsii.String(def)),
		StateMachineType: awsstepfunctions.StateMachineType_STANDARD,
		TracingEnabled:   jsii.Bool(true),
		Logs: &awsstepfunctions.LogOptions{
			Destination:          logs,
			Level:                awsstepfunctions.LogLevel_ALL,
			IncludeExecutionData: jsii.Bool(true),
		},
	})
	// The definition calls the functions by their unqualified ARNs:
	// nothing else (GrantInvoke would add every version, ARN:*).
	j.stateMachine.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &invoked,
	}))
	j.HookFunction().AddEnvironment(jsii.String("JOURNEYGATE_STATE_MACHINE_ARN"), j.stateMachine.StateMachineArn(), nil)
	return nil
}

func (j *JourneyGate) addSink() {
	j.sinkSecret = awssecretsmanager.NewSecret(j.Construct, jsii.String("SinkToken"), &awssecretsmanager.SecretProps{
		Description: jsii.String("Bearer token the system under test sends to the journeygate sink (" + j.props.Environment + ")"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(48),
			ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: j.keptInProduction(),
	})
	sink := j.SinkFunction()
	j.sinkSecret.GrantRead(sink, nil)
	sink.AddEnvironment(jsii.String("JOURNEYGATE_SINK_TOKEN_SECRET"), j.sinkSecret.SecretArn(), nil)
	// Its URL is public, so its concurrency is its own: a flood is
	// throttled (429) at this many, and never takes the concurrency the
	// runner and the gate need.
	sink.Node().DefaultChild().(awslambda.CfnFunction).SetReservedConcurrentExecutions(jsii.Number(float64(j.props.SinkReservedConcurrency)))
	// The sink authenticates every request itself (bearer token or HMAC),
	// as webhook senders cannot sign requests with SigV4.
	j.sinkURL = sink.AddFunctionUrl(&awslambda.FunctionUrlOptions{AuthType: awslambda.FunctionUrlAuthType_NONE})
	for _, fn := range j.runners() {
		fn.AddEnvironment(jsii.String("JOURNEYGATE_SINK_URL"), j.sinkURL.Url(), nil)
	}
}

func (j *JourneyGate) addEvents() {
	bus := j.props.EventBus
	if bus == nil {
		bus = awsevents.EventBus_FromEventBusName(j.Construct, jsii.String("DefaultBus"), jsii.String("default"))
	}
	for _, fn := range append([]awslambda.Function{j.GateFunction()}, j.runners()...) {
		bus.GrantPutEventsTo(fn, nil)
		fn.AddEnvironment(jsii.String("JOURNEYGATE_EVENT_BUS"), bus.EventBusName(), nil)
	}
	// Every verdict goes to a log group: an audit trail, and the
	// dashboard's recent verdicts. Production's outlives the stack, as its
	// table does.
	j.verdictLogs = awslogs.NewLogGroup(j.Construct, jsii.String("VerdictLogs"), &awslogs.LogGroupProps{
		Retention:     retentionDays(max(j.props.LogRetention, 365*24*time.Hour)),
		RemovalPolicy: j.keptInProduction(),
	})
	j.addVerdictLogRule()
	journeyFailed := awsevents.NewRule(j.Construct, jsii.String("JourneyFailedRule"), &awsevents.RuleProps{
		EventBus:    j.props.EventBus, // nil: the default bus
		Description: jsii.String("journeygate " + j.props.Environment + ": an enforced journey failed in a scheduled run (once per failing streak); tell on-call through the alarm topic"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings(flow.EventSource),
			DetailType: jsii.Strings(flow.DetailJourneyFailed),
			// Observe-mode journeys are still proving themselves: their
			// failures are on the dashboard and in history, not paged. A
			// deployment gate's failures go to the deployment (its hook
			// status, the Run Completed event): a gate that rightly fails
			// a broken new version is not production being broken. A
			// repeat of a failing streak that already paged (package
			// paging) is published for dashboards and history, not paged.
			Detail: &map[string]any{"environment": []string{j.props.Environment}, "mode": []string{string(journey.ModeEnforce)},
				"trigger": map[string]any{"type": []string{string(trigger.Schedule)}}, "repeat": []bool{false}},
		},
	})
	journeyFailed.AddTarget(newTopicTarget(j.topic))
}

func (j *JourneyGate) grant() {
	// Exactly the calls internal/store/dynamo makes (dynamo.API), on the table
	// and its named indexes, no wildcards.
	for _, fn := range j.runners() {
		j.grantTable(fn, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query")
		j.grantPoolSecrets(fn)
	}
	j.grantTable(j.GateFunction(), "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query")
	j.grantTable(j.SinkFunction(), "dynamodb:GetItem", "dynamodb:PutItem")
	// The hook reads a CodePipeline run's verdict, marks reports and
	// records the last resort's verdict.
	j.grantTable(j.HookFunction(), "dynamodb:GetItem", "dynamodb:UpdateItem")
	j.stateMachine.GrantStartExecution(j.HookFunction())
	// Re-invoked by CodePipeline with a run's token, the hook asks whether
	// the run's execution still goes: this state machine's executions only.
	awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
		Grantee: j.HookFunction(), Actions: jsii.Strings("states:DescribeExecution"),
		ResourceArns: jsii.Strings(*awscdk.Stack_Of(j.Construct).FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("states"), Resource: jsii.String("execution"),
			ResourceName: jsii.String(*j.stateMachine.StateMachineName() + ":*"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		})),
	})
	reporters := []awslambda.Function{j.HookFunction(), j.GateFunction()}
	if len(j.props.DeploymentGroups) > 0 {
		var arns []*string
		for _, g := range j.props.DeploymentGroups {
			arns = append(arns, awscdk.Stack_Of(j.Construct).FormatArn(&awscdk.ArnComponents{
				Service:      jsii.String("codedeploy"),
				Resource:     jsii.String("deploymentgroup"),
				ResourceName: jsii.String(g),
				ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
			}))
		}
		// The hook looks the deployment up (application, group, revision).
		awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee: j.HookFunction(), Actions: jsii.Strings("codedeploy:GetDeployment"), ResourceArns: &arns,
		})
		// PutLifecycleEventHookExecutionStatus has no resource types (the
		// Service Authorization Reference lists it wildcard-only): scoped
		// to deployment groups it may be denied on every report. On * in
		// a policy of its own, so its finding's suppression is about it.
		for _, fn := range reporters {
			j.codeDeployPolicies = append(j.codeDeployPolicies, awsiam.NewPolicy(j.Construct, jsii.String(*fn.Node().Id()+"CodeDeployStatus"), &awsiam.PolicyProps{
				Roles: &[]awsiam.IRole{fn.Role()},
				Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Actions:   jsii.Strings("codedeploy:PutLifecycleEventHookExecutionStatus"),
					Resources: jsii.Strings("*"),
				})},
			}))
		}
	}
	if j.props.CodePipeline {
		// In a policy of its own, so its finding's suppression says why
		// about this statement alone. Only the hook answers jobs (with
		// continuation tokens, then the recorded verdict).
		for _, fn := range []awslambda.Function{j.HookFunction()} {
			j.codePipelinePolicies = append(j.codePipelinePolicies, awsiam.NewPolicy(j.Construct, jsii.String(*fn.Node().Id()+"CodePipeline"), &awsiam.PolicyProps{
				Roles: &[]awsiam.IRole{fn.Role()},
				Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
					Actions:   jsii.Strings("codepipeline:PutJobSuccessResult", "codepipeline:PutJobFailureResult"),
					Resources: jsii.Strings("*"),
				})},
			}))
		}
	}
}

// grantTable lets fn make these calls on the table, and Query (the one
// call of these that reads an index) on its named indexes too: item calls
// granted on an index ARN would do nothing.
func (j *JourneyGate) grantTable(fn awslambda.Function, actions ...string) {
	items := slices.DeleteFunc(slices.Clone(actions), func(a string) bool { return a == "dynamodb:Query" })
	if len(items) > 0 {
		awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee: fn, Actions: jsii.Strings(items...), ResourceArns: &[]*string{j.table.TableArn()},
		})
	}
	if len(items) < len(actions) {
		resources := []*string{j.table.TableArn()}
		for _, ix := range dynamo.TableInput("").GlobalSecondaryIndexes {
			resources = append(resources, jsii.String(*j.table.TableArn()+"/index/"+*ix.IndexName))
		}
		awsiam.Grant_AddToPrincipal(&awsiam.GrantOnPrincipalOptions{
			Grantee: fn, Actions: jsii.Strings("dynamodb:Query"), ResourceArns: &resources,
		})
	}
}

// addVerdictLogRule sends every run-completed event to the verdict log
// group. Written as the CloudFormation rule and a log resource policy, as
// the L2 log-group target would add a custom-resource Lambda to do the same.
func (j *JourneyGate) addVerdictLogRule() {
	stack := awscdk.Stack_Of(j.Construct)
	logArn := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"),
		ResourceName: j.verdictLogs.LogGroupName(), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	awslogs.NewResourcePolicy(j.Construct, jsii.String("VerdictLogsPolicy"), &awslogs.ResourcePolicyProps{
		PolicyStatements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Principals: &[]awsiam.IPrincipal{
				awsiam.NewServicePrincipal(jsii.String("events.amazonaws.com"), nil),
				awsiam.NewServicePrincipal(jsii.String("delivery.logs.amazonaws.com"), nil),
			},
			Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
			Resources: &[]*string{j.verdictLogs.LogGroupArn()},
		})},
	})
	awsevents.NewCfnRule(j.Construct, jsii.String("RunCompletedRule"), &awsevents.CfnRuleProps{
		Description: jsii.String("journeygate " + j.props.Environment + ": every run's verdict, kept in the verdict log group"),
		EventPattern: map[string]any{
			"source":      []string{flow.EventSource},
			"detail-type": []string{flow.DetailRunCompleted},
			"detail":      map[string]any{"environment": []string{j.props.Environment}},
		},
		EventBusName: j.eventBusName(),
		State:        jsii.String("ENABLED"),
		Targets:      &[]any{&awsevents.CfnRule_TargetProperty{Id: jsii.String("VerdictLogs"), Arn: logArn}},
	})
}

func (j *JourneyGate) addOutputs() {
	prefix := pascal(*j.Node().Id())
	out := func(id string, value *string, desc string) {
		o := awscdk.NewCfnOutput(j.Construct, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(desc)})
		// A stable name (no hash) that scripts can read: JourneyGateSinkUrl.
		o.OverrideLogicalId(jsii.String(prefix + id))
	}
	out("HookFunctionArn", j.HookFunction().FunctionArn(), "Lambda for CodeDeploy lifecycle hooks (BeforeAllowTraffic, AfterAllowTraffic), CodePipeline invoke actions and Amazon ECS lifecycle hooks (hookTargetArn)")
	out("EcsHookRoleArn", j.EcsHookRole().RoleArn(), "role Amazon ECS assumes to invoke the hook at a service deployment's lifecycle stages (roleArn of a lifecycleHooks entry)")
	out("StateMachineArn", j.stateMachine.StateMachineArn(), "state machine that runs the journeys")
	out("TableName", j.table.TableName(), "DynamoDB table: runs, results, verdicts (journeygate history --store dynamodb://TABLE)")
	out("SinkUrl", j.sinkURL.Url(), "where the system under test sends notifications")
	out("SinkTokenSecretArn", j.sinkSecret.SecretArn(), "Secrets Manager secret with the sink's bearer token")
	out("AlarmTopicArn", j.topic.TopicArn(), "SNS topic for journey alarms")
	out("ReportBucketName", j.reports.BucketName(), "S3 bucket with the gate's HTML run reports (reports/ENV/RUN.html)")
	var arns []string
	for _, a := range j.alarms {
		arns = append(arns, *a.AlarmArn())
	}
	out("AlarmNames", jsii.String(strings.Join(j.alarmNames, ",")), "journey alarms for a CodeDeploy deployment group's automatic rollback")
	out("AlarmArns", jsii.String(strings.Join(arns, ",")), "journey alarm ARNs")
}

// HookRetryAttempts is how many times Lambda retries an asynchronous
// invocation of the hook that returned an error.
const HookRetryAttempts = 1

// HookFunctionName is the hook function's name for a name prefix
// (Props.NamePrefix, DefaultNamePrefix unless set) and an environment:
// CodeDeploy's managed service roles may invoke hooks named
// CodeDeployHook_* without more IAM.
func HookFunctionName(prefix, environment string) string {
	return "CodeDeployHook_" + prefix + "-" + environment
}

// name is a fixed name of this deployment: PREFIX-ENV, then suffix.
func (j *JourneyGate) name(suffix string) string {
	return j.props.NamePrefix + "-" + j.props.Environment + suffix
}

// functionID is a function's construct ID: "hook" -> "HookFunction",
// "browser-runner" -> "BrowserRunnerFunction".
func functionID(name string) string {
	return pascal(name) + "Function"
}

// retentionDays is the shortest CloudWatch Logs retention at least d.
func retentionDays(d time.Duration) awslogs.RetentionDays {
	days := int(d.Hours()/24 + 0.999)
	for _, r := range []struct {
		days int
		v    awslogs.RetentionDays
	}{
		{1, awslogs.RetentionDays_ONE_DAY}, {3, awslogs.RetentionDays_THREE_DAYS}, {5, awslogs.RetentionDays_FIVE_DAYS},
		{7, awslogs.RetentionDays_ONE_WEEK}, {14, awslogs.RetentionDays_TWO_WEEKS}, {30, awslogs.RetentionDays_ONE_MONTH},
		{60, awslogs.RetentionDays_TWO_MONTHS}, {90, awslogs.RetentionDays_THREE_MONTHS}, {120, awslogs.RetentionDays_FOUR_MONTHS},
		{150, awslogs.RetentionDays_FIVE_MONTHS}, {180, awslogs.RetentionDays_SIX_MONTHS}, {365, awslogs.RetentionDays_ONE_YEAR},
		{400, awslogs.RetentionDays_THIRTEEN_MONTHS}, {545, awslogs.RetentionDays_EIGHTEEN_MONTHS}, {731, awslogs.RetentionDays_TWO_YEARS},
		{1096, awslogs.RetentionDays_THREE_YEARS}, {1827, awslogs.RetentionDays_FIVE_YEARS}, {3653, awslogs.RetentionDays_TEN_YEARS},
	} {
		if days <= r.days {
			return r.v
		}
	}
	return awslogs.RetentionDays_INFINITE
}

// eventBusName is Props.EventBus's name, or nil for the default bus.
func (j *JourneyGate) eventBusName() *string {
	if j.props.EventBus == nil {
		return nil
	}
	return j.props.EventBus.EventBusName()
}

// hookArn is the hook's ARN built from its fixed name, not read from the
// function: the hook's configuration names the state machine, so a state
// machine that named the hook function resource would make a cycle.
func (j *JourneyGate) hookArn() *string {
	return awscdk.Stack_Of(j.Construct).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("lambda"), Resource: jsii.String("function"),
		ResourceName: jsii.String(HookFunctionName(j.props.NamePrefix, j.props.Environment)), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}
