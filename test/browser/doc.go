// Package browser tests the HTML run report in a real browser: headless
// Chromium (Debian's chromium package, installed by `make browser-tools`,
// which `make test` runs) driven from Go with chromedp, kept off the
// network by its flags.
//
// The test runs the example journeys against a healthy and then a broken
// Alertmanager (fault drop-notifications) into one store, renders the
// failed run's report as `journeygate run --report` does, and opens it at
// 1280×800 and 390×844. It takes screenshots into test/out/ (git-ignored;
// with -docs, the overview also to docs/report-failed.png) and checks what
// the page shows: the verdict, the failing journey and step with their SLA
// and elapsed time, the failure told apart by text and pattern, no
// horizontal scrolling, text contrast of at least 4.5:1, the history
// chart, the evidence opening on a click, and that the page requested
// nothing but itself. A missing Chromium fails the test, saying how to
// install it.
//
// TestReportShowsTheFailingStepsScreenshot runs the UI journey
// silence-through-ui against an Alertmanager whose web UI is not routed
// (fault ui-not-routed), keeping its screenshot as a file, renders that
// run's report and checks that Chromium shows the screenshot beside the
// failing step (decoded: natural width above 0, before the collapsed
// evidence, captioned with its location) and loads nothing but the page
// and its embedded image.
package browser
