package infra

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// tiers in a stable order (maps iterate randomly; templates must not).
var tiers = []journey.Tier{journey.TierGlobal, journey.TierDomain}

// ScheduleInput is the event a tier's schedule sends the hook: a
// journeygate schedule request, which the Scheduler completes with its
// context attributes. The hook names the run after the scheduled time and
// a short hash of the schedule's ARN, as for any scheduled event: a retried
// delivery of one tick starts no second run (the execution is named after
// the run), and the run ID stays within trigger.MaxRunIDLen whatever the
// environment's name.
func ScheduleInput(environment string, tier journey.Tier) map[string]any {
	return map[string]any{"journeygate": map[string]any{
		"trigger":       string(trigger.Schedule),
		"environment":   environment,
		"tier":          string(tier),
		"schedule":      *awsscheduler.ContextAttribute_ScheduleArn(),
		"scheduledTime": *awsscheduler.ContextAttribute_ScheduledTime(),
	}}
}

func (j *JourneyGate) addSchedules() {
	scheduled := j.scheduledTiers()
	if len(scheduled) == 0 {
		return
	}
	// A role of the construct's own for the Scheduler, allowed to invoke
	// the hook and nothing else: the target's default role would be
	// stack-wide, and its grant would add every version of the hook
	// (ARN:*) too. The target gets it without policy updates for that.
	stack := awscdk.Stack_Of(j.Construct)
	role := awsiam.NewRole(j.Construct, jsii.String("SchedulerRole"), &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), nil).WithConditions(&map[string]any{
			"StringEquals": map[string]any{
				"aws:SourceAccount": stack.Account(),
				"aws:SourceArn": stack.FormatArn(&awscdk.ArnComponents{
					Service: jsii.String("scheduler"), Resource: jsii.String("schedule-group"), ResourceName: jsii.String("default"),
					ArnFormat: awscdk.ArnFormat_SLASH_RESOURCE_NAME,
				}),
			},
		}),
		Description: jsii.String("journeygate " + j.props.Environment + " schedules: invoke the hook"),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("lambda:InvokeFunction"),
		Resources: &[]*string{j.HookFunction().FunctionArn()},
	}))
	for _, tier := range scheduled {
		every := j.props.Schedules[tier]
		j.schedules[tier] = awsscheduler.NewSchedule(j.Construct, jsii.String(tierID(tier)+"Schedule"), &awsscheduler.ScheduleProps{
			Description: jsii.String(fmt.Sprintf("journeygate %s: run the %s journeys every %s", j.props.Environment, tier, minutes(every))),
			Schedule:    awsscheduler.ScheduleExpression_Rate(awscdk.Duration_Minutes(jsii.Number(every.Minutes()))),
			Target: awsschedulertargets.NewLambdaInvoke(j.HookFunction(), &awsschedulertargets.ScheduleTargetBaseProps{
				Role:          role.WithoutPolicyUpdates(nil),
				Input:         awsscheduler.ScheduleTargetInput_FromObject(ScheduleInput(j.props.Environment, tier)),
				RetryAttempts: jsii.Number(2),
				MaxEventAge:   awscdk.Duration_Minutes(jsii.Number(min(every.Minutes(), 60))),
			}),
		})
	}
}

// scheduled is the Trigger dimension of the live environment's scheduled
// runs, which alarms, pages and the dashboard watch; a deployment gate's
// runs report through the deployment (hook status, Run Completed event).
var scheduled = jsii.String(string(trigger.Schedule))

func (j *JourneyGate) journeyMetric(name, statistic string, period time.Duration, dims map[string]*string) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(metrics.Namespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &dims,
		Statistic:     jsii.String(statistic),
		Period:        awscdk.Duration_Seconds(jsii.Number(period.Seconds())),
	})
}

// alarmNamePrefix starts the name of each of the deployment's alarms
// (PREFIX-ENV-); the alarm topic lets CloudWatch publish for alarms named
// so.
func alarmNamePrefix(prefix, environment string) string { return prefix + "-" + environment + "-" }

// addAlarms adds one alarm per scheduled tier and one per global journey:
// any failed journey in AlarmPeriods consecutive schedule periods, or none
// reported at all (a schedule that stopped running is not healthy).
func (j *JourneyGate) addAlarms() {
	env, prefix := j.props.Environment, alarmNamePrefix(j.props.NamePrefix, j.props.Environment)
	add := func(id, name, desc string, period time.Duration, dims map[string]*string) {
		a := awscloudwatch.NewAlarm(j.Construct, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(name),
			AlarmDescription:   jsii.String(desc),
			Metric:             j.journeyMetric(metrics.JourneySuccess, "Minimum", period, dims),
			Threshold:          jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(float64(j.props.AlarmPeriods)),
			DatapointsToAlarm:  jsii.Number(float64(j.props.AlarmPeriods)),
			TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
		})
		a.AddAlarmAction(awscloudwatchactions.NewSnsAction(j.topic))
		a.AddOkAction(awscloudwatchactions.NewSnsAction(j.topic))
		j.alarms = append(j.alarms, a)
		j.alarmNames = append(j.alarmNames, name)
	}
	for _, tier := range j.scheduledTiers() {
		period := j.props.Schedules[tier]
		add(tierID(tier)+"TierAlarm", fmt.Sprintf("%s%s-journeys", prefix, tier),
			fmt.Sprintf("A %s journey failed in %s (or none ran) in %d consecutive %s periods. Investigate: journeygate history; journeygate show RUN_ID.", tier, env, j.props.AlarmPeriods, minutes(period)),
			period, map[string]*string{metrics.DimEnvironment: jsii.String(env), metrics.DimTier: jsii.String(string(tier)), metrics.DimTrigger: scheduled})
	}
	j.addUnreportedAlarm()
	if period := j.props.Schedules[journey.TierGlobal]; period != 0 {
		for _, name := range globalJourneys(j.props.journeys) {
			add("JourneyAlarm"+pascal(name), prefix+name,
				fmt.Sprintf("Global journey %s failed in %s (or did not run) in %d consecutive %s periods. Investigate: journeygate history --journey %s.", name, env, j.props.AlarmPeriods, minutes(period), name),
				period, map[string]*string{
					metrics.DimJourney: jsii.String(name), metrics.DimEnvironment: jsii.String(env),
					metrics.DimTier: jsii.String(string(journey.TierGlobal)), metrics.DimTrigger: scheduled,
				})
		}
	}
}

func (j *JourneyGate) addDashboard() {
	env := j.props.Environment
	period := 5 * time.Minute
	var success, p50, p99 []awscloudwatch.IMetric
	for i, jr := range j.props.journeys {
		dims := map[string]*string{
			metrics.DimJourney: jsii.String(jr.Name), metrics.DimEnvironment: jsii.String(env),
			metrics.DimTier: jsii.String(string(jr.Tier)), metrics.DimTrigger: scheduled,
		}
		ok := j.journeyMetric(metrics.JourneySuccess, "Average", period, dims)
		success = append(success, awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression:   jsii.String(fmt.Sprintf("100 * ok%d", i)),
			UsingMetrics: &map[string]awscloudwatch.IMetric{fmt.Sprintf("ok%d", i): ok},
			Label:        jsii.String(jr.Name),
			Period:       awscdk.Duration_Seconds(jsii.Number(period.Seconds())),
		}))
		p50 = append(p50, j.journeyMetric(metrics.JourneyDuration, "p50", period, dims).With(&awscloudwatch.MetricOptions{Label: jsii.String(jr.Name + " p50")}))
		p99 = append(p99, j.journeyMetric(metrics.JourneyDuration, "p99", period, dims).With(&awscloudwatch.MetricOptions{Label: jsii.String(jr.Name + " p99")}))
	}
	j.dashboard = awscloudwatch.NewDashboard(j.Construct, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String(j.name("")),
	})
	j.dashboard.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String("Journey success rate (%)"), Left: &success, Width: jsii.Number(24),
			LeftYAxis: &awscloudwatch.YAxisProps{Min: jsii.Number(0), Max: jsii.Number(100)},
		}),
	)
	j.dashboard.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("Journey duration p50 (ms)"), Left: &p50, Width: jsii.Number(12)}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{Title: jsii.String("Journey duration p99 (ms)"), Left: &p99, Width: jsii.Number(12)}),
	)
	j.dashboard.AddWidgets(
		awscloudwatch.NewLogQueryWidget(&awscloudwatch.LogQueryWidgetProps{
			Title:         jsii.String("Recent verdicts"),
			LogGroupNames: jsii.Strings(*j.verdictLogs.LogGroupName()),
			QueryLines: jsii.Strings(
				"fields @timestamp, detail.status as verdict, detail.trigger.type as trigger, detail.runId as run, detail.summary as summary",
				"sort @timestamp desc",
				"limit 20",
			),
			View:  awscloudwatch.LogQueryVisualizationType_TABLE,
			Width: jsii.Number(24), Height: jsii.Number(8),
		}),
		awscloudwatch.NewAlarmStatusWidget(&awscloudwatch.AlarmStatusWidgetProps{
			Title: jsii.String("Journey alarms"), Alarms: alarmsOf(j.alarms), Width: jsii.Number(24),
		}),
	)
}

func alarmsOf(as []awscloudwatch.Alarm) *[]interfacesawscloudwatch.IAlarmRef {
	out := make([]interfacesawscloudwatch.IAlarmRef, len(as))
	for i, a := range as {
		out[i] = a
	}
	return &out
}

// newTopicTarget tells on-call, in words, which journey failed and how to
// look at the evidence.
func newTopicTarget(topic awssns.ITopic) awsevents.IRuleTarget {
	f := func(path string) string { return *awsevents.EventField_FromPath(jsii.String(path)) }
	msg := fmt.Sprintf("journeygate %s: journey %s failed (%s) at step %s: %s. Trigger: %s. Evidence: journeygate show %s",
		f("$.detail.environment"), f("$.detail.journey"), f("$.detail.outcome"), f("$.detail.step"), f("$.detail.message"),
		f("$.detail.trigger.type"), f("$.detail.runId"))
	return awseventstargets.NewSnsTopic(topic, &awseventstargets.SnsTopicProps{
		Message: awsevents.RuleTargetInput_FromText(jsii.String(msg)),
	})
}

// scheduledTiers are the tiers that run on a schedule: switched on and with
// at least one journey (an alarm on a tier without journeys would breach
// for ever on missing data).
func (j *JourneyGate) scheduledTiers() []journey.Tier {
	var out []journey.Tier
	for _, tier := range tiers {
		if j.props.Schedules[tier] == 0 {
			continue
		}
		for _, jr := range j.props.journeys {
			if jr.Tier == tier {
				out = append(out, tier)
				break
			}
		}
	}
	return out
}

// minutes writes a whole number of minutes for people: "5 minutes".
func minutes(d time.Duration) string {
	if n := int(d.Minutes()); n != 1 {
		return fmt.Sprintf("%d minutes", n)
	}
	return "1 minute"
}

// tierID is a tier's construct ID part: "global" -> "Global".
func tierID(t journey.Tier) string { return pascal(string(t)) }

// pascal turns "alert-to-notification" into "AlertToNotification".
func pascal(s string) string {
	out := make([]byte, 0, len(s))
	up := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_' || c == ' ':
			up = true
			continue
		case up && c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		up = false
		out = append(out, c)
	}
	return string(out)
}

// UnreportedAlarmName is the alarm that pages when an execution failed:
// the gate and its last resort could not report (flow.StateUnreported), so
// a deployment may be waiting for its own timeout. prefix is
// Props.NamePrefix (DefaultNamePrefix unless set).
func UnreportedAlarmName(prefix, environment string) string {
	return alarmNamePrefix(prefix, environment) + "executions-failed"
}

// addUnreportedAlarm pages on any failed execution of the state machine.
// Every path of the definition ends in a report, so a failed execution
// means nobody reported: a person must look, at once. It is not among
// Alarms(): a fault of journeygate is not a reason to roll a deployment
// back.
func (j *JourneyGate) addUnreportedAlarm() {
	a := awscloudwatch.NewAlarm(j.Construct, jsii.String("ExecutionsFailedAlarm"), &awscloudwatch.AlarmProps{
		AlarmName: jsii.String(UnreportedAlarmName(j.props.NamePrefix, j.props.Environment)),
		AlarmDescription: jsii.String(fmt.Sprintf("A journeygate %s run ended without anyone reporting its verdict (VerdictUnreported): its deployment may wait for its own timeout. "+
			"Investigate: the state machine's failed executions, then journeygate show RUN_ID.", j.props.Environment)),
		Metric:             j.stateMachine.MetricFailed(&awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(1)), Statistic: jsii.String("Sum")}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
		EvaluationPeriods:  jsii.Number(1),
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	a.AddAlarmAction(awscloudwatchactions.NewSnsAction(j.topic))
	j.unreportedAlarm = a
}
