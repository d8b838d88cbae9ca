// Command app is journeygate's CDK app (cdk.json runs it from the
// repository root): one stack per environment of infra/deploy.yaml, named
// journeygate-ENV, with the functions from dist/ (`make build`).
//
// `make synth` runs it directly and writes cdk.out; `make deploy ENV=...`
// runs it through the CDK CLI.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/journeys"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "journeygate app:", err)
		os.Exit(1)
	}
}

func run() error {
	deployments, err := infra.LoadConfig(".")
	if err != nil {
		return err
	}
	// The registry the runner binary registers: the construct sizes and
	// alarms from it, and the runner refuses another.
	catalogue, err := journeys.Registry()
	if err != nil {
		return err
	}
	props := &awscdk.AppProps{}
	if os.Getenv("CDK_OUTDIR") == "" { // run directly, not by the CDK CLI
		props.Outdir = jsii.String("cdk.out")
	}
	app := awscdk.NewApp(props)
	for _, d := range deployments {
		d.Props.Catalogue = catalogue
		if _, _, err := infra.NewStack(app, d); err != nil {
			return fmt.Errorf("stack %s: %w", d.StackName(), err)
		}
	}
	app.Synth(nil)
	return nil
}
