// Command browser-runner is the browser runner Lambda for this
// repository's example catalogue (package journeys): the runner for the
// journeys that drive a browser, with Chromium (package
// lambda/browserrunner, which documents its environment). `make build`
// builds it for linux/amd64.
package main

import (
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/lambda/browserrunner"
)

func main() { browserrunner.Start(journeys.Registry) }
