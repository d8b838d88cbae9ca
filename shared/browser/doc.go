// Package browser lets a journey step drive a headless Chromium page, so a
// team can gate a deployment on its web UI with the same steps, SLAs and
// classes as its API journeys.
//
// A journey that uses it sets journey.Journey.Browser and declares the
// targets it opens in journey.Journey.Targets. Open returns the attempt's
// page bound to a target (the stage's target, as T.HTTP uses); the
// attempt's one Chromium starts, with a fresh profile, on the first Open
// and is closed by a cleanup:
//
//	Do: func(ctx context.Context, t *journey.T) error {
//		page, err := browser.Open(ctx, t, "alertmanager")
//		if err != nil {
//			return err
//		}
//		if err := page.Navigate(ctx, "/#/alerts"); err != nil {
//			return err
//		}
//		return page.WaitText(ctx, ".alert-row", t.Unique())
//	},
//
// Every action runs under the step's context, its SLA. The classes follow
// the SDK's rules:
//
//   - a selector that never matches (or never shows, or never holds the
//     text) by the deadline is sla-breach; the message says what was
//     awaited and what was last on the page (URL, title, a DOM excerpt
//     near where it was expected or the page's text);
//   - an element found with a wrong text (WaitText at its deadline), a
//     document answered with a 4xx, or a journey's own assertion on
//     Text or Attribute (journey.Failf) is failed;
//   - a browser that crashed or would not start, a navigation that could
//     not reach the target (DNS, refused, TLS: net::ERR_*) or a document
//     answered with a 5xx is error.
//
// Waits are on conditions, polled as journey.Eventually polls (the step's
// Step.Poll applies), never on sleeps.
//
// When a step does not pass, the attempt's pages are captured as evidence
// of that step: a screenshot (PNG, at most MaxScreenshotBytes, kept with
// the run's artifact store, journey.Options.Artifacts), the URL and title,
// the console errors, the failed network requests with their status, and
// a DOM excerpt around what was awaited. Text evidence is redacted like
// all evidence, and every value typed with Type is registered as a secret
// (T.Secret); in the screenshot, inputs holding a typed value are masked.
//
// Chromium is found by Executable: $JOURNEYGATE_CHROMIUM, else chromium,
// chromium-browser or google-chrome on PATH. It runs headless with a
// temporary profile removed when it closes, and without its sandbox only
// as root or with JOURNEYGATE_CHROMIUM_NO_SANDBOX=1 (AWS Lambda needs it).
// JOURNEYGATE_CHROMIUM_ARGS adds flags ("--single-process --no-zygote").
package browser
