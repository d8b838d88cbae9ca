// Command runner is the runner Lambda for this repository's example
// catalogue (package journeys): the same line a team's runner main has
// (package lambda/runner, which documents its environment).
package main

import (
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/lambda/runner"
)

func main() { runner.Start(journeys.Registry) }
