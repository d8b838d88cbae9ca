// Package lambdatarget lets a journey exercise the version of a Lambda
// function a deployment is about to shift traffic to, before the alias
// moves: Invoke calls lambda:InvokeFunction with the run's target version
// (journey.T.TargetVersion) as the qualifier, synchronously
// (RequestResponse).
//
// A function error (X-Amz-Function-Error) is a failed assertion naming the
// function, the version and the error's type and message: the version
// under test is broken. An API error (throttled past the SDK's retries, no
// such version, access denied) is an infrastructure fault. Every
// invocation is kept as the step's evidence, as T.HTTP keeps its requests.
//
// The default client is the AWS SDK's default configuration (region,
// credentials and AWS_ENDPOINT_URL_LAMBDA or AWS_ENDPOINT_URL from the
// environment), loaded on first use. The runner's role needs
// lambda:InvokeFunction on the function's versions.
//
// The journey SDK does not import this package, so journeys that never
// invoke a function do not carry the AWS SDK.
package lambdatarget
