// Package awslocal serves local HTTP endpoints that speak the AWS JSON 1.1
// protocol of CodeDeploy (GetDeployment,
// PutLifecycleEventHookExecutionStatus), CodePipeline (PutJobSuccessResult,
// PutJobFailureResult, GetJobDetails), Step Functions (StartExecution,
// DescribeExecution), Secrets Manager (GetSecretValue) and SSM Parameter
// Store (GetParameter), the last two backed by in-memory maps, and
// CloudWatch (DescribeAlarms, GetMetricData) over Smithy RPC v2 CBOR, which
// the v1.75 client speaks (rpcv2cbor.go), and S3 (PutObject over its REST
// protocol, path-style, objects kept in memory; s3.go), EventBridge
// (PutRule, PutTargets, PutEvents: rules' event patterns matched and input
// transformers applied to each put event, targets handed their input;
// eventbridge.go), so the real
// aws-sdk-go-v2 clients, pointed at them with BaseEndpoint and dummy static
// credentials in us-east-1, exercise their real serialisation, error mapping
// and retries without an AWS account.
//
// Each endpoint runs on a free loopback port and stops when the test ends.
// Errors are answered the way the services answer them (HTTP 400,
// X-Amzn-ErrorType header and {"__type","message"} body), so the SDK returns
// its typed errors: *types.DeploymentDoesNotExistException,
// *types.LifecycleEventAlreadyCompletedException (a second report for the
// same hook execution), *types.InvalidJobStateException (a second result for
// the same job), *types.JobNotFoundException,
// *types.ResourceNotFoundException (an unknown secret),
// *types.ParameterNotFound (an unknown parameter), and so on. ThrottleNext
// answers ThrottlingException, which the SDK's standard retryer retries as a
// throttle (aws/retry DefaultThrottleErrorCodes); FailNext injects any other
// code. Every call is logged (Requests), rejected ones included, and every
// accepted report recorded (Reports), so tests can assert exactly-once
// delivery. Operations are applied one at a time.
//
// SNS (sns.go) is no API endpoint: its topics are published to by a Go
// call, as EventBridge's delivery to a topic target is, and it speaks
// SNS's HTTP/HTTPS delivery protocol to subscribers (subscription
// confirmation, then Notification posts), so a page can be followed to a
// local HTTPS subscriber.
package awslocal
