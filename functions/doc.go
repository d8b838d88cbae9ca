// Package functions holds the four Lambda functions (hook, runner, gate,
// sink), one directory each: main.go only reads the environment into a
// typed configuration, builds the SDK clients once and starts the handler,
// whose logic lives in the importable NAME/handler package.
//
// `make build` cross-compiles each main package to dist/NAME/bootstrap for
// the provided.al2023 runtime on arm64; TestBootstrapSize keeps each binary
// within 15 MB.
package functions
