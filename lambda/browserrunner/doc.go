// Package browserrunner is the browser runner Lambda's main for a
// catalogue of your own: the runner (package lambda/runner, same handler,
// same environment) for the journeys that drive a browser
// (journey.Journey.Browser), which the state machine routes to it. A
// team's functions/browser-runner/main.go is
//
//	func main() { browserrunner.Start(journeys.Registry) }
//
// built as `make build` builds it, for linux/amd64 (Chromium for Lambda,
// @sparticuz/chromium, is x86-64 only), into the bootstrap the construct
// deploys beside its Chromium layer. It is a main of its own so the
// runner's arm64 binary links neither the Chromium unpacking nor S3.
//
// Before serving any event it unpacks the layer's Chromium
// (JOURNEYGATE_CHROMIUM_LAYER, the construct sets /opt/chromium; package
// chromiumlayer) to where JOURNEYGATE_CHROMIUM names its executable
// (/tmp/chromium/chromium) and sets LD_LIBRARY_PATH, FONTCONFIG_PATH and
// HOME for it; a layer it cannot unpack stops it, so its journeys end as
// errors. With JOURNEYGATE_REPORT_BUCKET it keeps screenshots there, as
// JOURNEYGATE_ARTIFACT_PREFIX + RUN/NAME (the construct sets reports/ENV/,
// beside the run's report reports/ENV/RUN.html).
package browserrunner
