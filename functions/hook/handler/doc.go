// Package handler is the hook Lambda: the entry point that turns a
// deployment, a schedule or a person's request into one execution of the
// state machine.
//
// It accepts, recognised by shape:
//
//   - a CodeDeploy lifecycle hook event ({"DeploymentId",
//     "LifecycleEventHookExecutionId"}, CodeDeployHookEvent). GetDeployment
//     supplies the application and deployment group and, from the
//     revision's AppSpec, the Lambda function and TargetVersion (or the ECS
//     TaskDefinition), so journeys can address the new version before
//     traffic shifts. The services are the application, the deployment
//     group, the AppSpec's function names and Config.Services.
//   - a CodePipeline job event ({"CodePipeline.job"}); the action's
//     UserParameters may be a JSON object PipelineParameters (environment,
//     services, tier, journeys).
//   - a journeygate request ({"journeygate": Request}) with trigger
//     "schedule" (what an EventBridge Scheduler target sends; it must carry
//     the scheduled time) or "manual".
//
// Anything else is rejected with an InvalidEventError naming what was
// missing.
//
// Idempotent: the execution name, which is also the run ID, is derived
// from the event: cd-DEPLOYMENT-HASH (HASH from the hook execution ID),
// cp-JOBID, sched-ENV-TIME[-HASH of the schedule], manual-REQUESTID (or a
// fresh ID when the request has none), sanitised to [0-9A-Za-z_-] and at
// most 80 characters. A redelivered event therefore starts no second run:
// ExecutionAlreadyExists means already started, not an error.
//
// Fail closed: when a CodeDeploy event's deployment cannot be looked up or
// its execution cannot be started, the hook reports Failed to CodeDeploy
// itself (PutLifecycleEventHookExecutionStatus) before returning the error;
// for CodePipeline it calls PutJobFailureResult. A deferred guard does the
// same for a panic before the execution started (after, the gate reports).
package handler
