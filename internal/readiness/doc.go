// Package readiness computes, from stored journey results, each journey's
// record over a window (runs, success rate, flake rate) and whether an
// observe-mode journey is ready to be enforced. It is pure: the caller
// reads the store and passes the catalogue's modes; `journeygate history`
// prints what it returns.
//
// Each journey run counts once, judged by its latest attempt; it passed
// when that attempt passed, and was flaky (class passed-flaky) when that
// pass came right after an attempt that did not (journey.Class).
//
// The rule (Policy): an observe-mode journey is ready to enforce when
//
//   - it ran at least MinRuns times in the window,
//   - its flake rate (flaky runs / runs) in the window is at most
//     MaxFlakeRate, and
//   - its latest MinRuns runs all passed (passed or passed-flaky): no
//     failure of any class (failed, sla-breach, error), since each of
//     them would block a deployment once the journey is enforced.
//
// A failure older than the latest MinRuns runs does not hold a journey
// back: it was fixed and has since proved itself. Every rule that is not
// met is named ("12/20 runs", "flake rate 8.0% > 5.0%").
package readiness
