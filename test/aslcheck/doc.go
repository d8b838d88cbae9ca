// Package aslcheck validates Amazon States Language definitions with
// asl-validator (npm, pinned in test/package.json), run as its CLI on a
// temporary file (exit 0 valid, 1 invalid, 2 program error), and checks a
// definition stays in JSONPath, the only query language aws-local-stepfunctions
// runs (it ignores JSONata silently).
package aslcheck
