// Command journeygate is journeygate's command line for this repository's
// example catalogue (package journeys) and its environments file,
// journeys/environments.yaml, read from disk: the same few lines a team's
// cmd/journeygate/main.go has (package cli).
package main

import (
	"os"

	"github.com/journeygate/journeygate/cli"
	"github.com/journeygate/journeygate/journeys"
)

func main() {
	os.Exit(cli.Main(cli.Options{Catalogue: journeys.Registry, Environments: journeys.EnvironmentsPath}))
}
