// Package cli is the journeygate command line for a catalogue of your own:
// every command of journeygate (list, run, history, show, override,
// decide, invoke, leases, init) with all its flags, exit codes and
// output, for the journeys you register and the environments file you
// keep beside them. A team's cmd/journeygate/main.go is
//
//	func main() {
//		os.Exit(cli.Main(cli.Options{Catalogue: journeys.Registry}))
//	}
//
// The environments file is read from disk (Options.Environments, default
// journeys/environments.yaml, found from the working directory upwards)
// unless the binary embeds it (Options.EmbeddedEnvironments); every error
// about it names the origin that was read. `journeygate init DIR --module
// PATH` writes a new team repository built on this package.
package cli
