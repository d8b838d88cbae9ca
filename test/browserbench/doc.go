// Package browserbench measures what UI journeys cost in time, memory and
// money for `make bench` (issue 17; docs/performance.md): Chromium's start
// to its first navigation, the peak memory of the example UI journey, a
// UI journey's overhead over the page's own waits, and the cost per UI
// journey run from package costmodel. The benchmarks drive the real
// Chromium through package browser; they live in this package's tests.
//
// The package itself reads a process tree's memory from /proc (Sample,
// Sampler): the memory a UI journey takes is Chromium's browser, GPU,
// utility and renderer processes together, plus the Go process driving
// them.
package browserbench
