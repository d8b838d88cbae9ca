// Package fuzzcheck holds the checks the fuzz targets (the fuzz_test.go
// files next to each decoder of outside input) share: what makes a
// rejection a clear error, and how to find the sample inputs that seed
// them.
package fuzzcheck
