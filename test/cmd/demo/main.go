// Command demo is what `make run` runs: it starts a real Alertmanager (built
// from the pinned version) wired to deliver to the run's sink, runs
// `journeygate run` against it, prints the verdict, stops what it started
// and exits with journeygate's exit code. -fault starts a really broken
// Alertmanager setup instead of a healthy one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/journeygate/journeygate/test/alertmanager"
)

func main() {
	os.Exit(run())
}

func run() int {
	bin := flag.String("journeygate", "bin/journeygate", "journeygate binary")
	verbose := flag.Bool("v", false, "show Alertmanager's log")
	fault := flag.String("fault", "", "broken setup to run against: "+strings.Join(alertmanager.FaultNames(), ", "))
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: demo [-journeygate BIN] [-fault NAME] [-v] [-- journeygate run flags]\nfaults:\n")
		for _, n := range alertmanager.FaultNames() {
			fmt.Fprintf(os.Stderr, "  %-20s %s\n", n, alertmanager.Faults[n])
		}
	}
	flag.Parse()
	if *fault != "" {
		if _, ok := alertmanager.Faults[*fault]; !ok {
			fmt.Fprintf(os.Stderr, "demo: unknown fault %q (known: %s)\n", *fault, strings.Join(alertmanager.FaultNames(), ", "))
			return 2
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Fprintf(os.Stderr, "demo: preparing Alertmanager %s (built once into .tools/)\n", alertmanager.Version)
	amBin, err := alertmanager.EnsureBinary(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 2
	}
	sinkAddr, err := alertmanager.FreeAddr()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 2
	}
	opts := alertmanager.Options{Binary: amBin, Webhooks: []string{"http://" + sinkAddr + "/"}, Fault: *fault}
	if *verbose {
		// Quiet by default: once the run ends and its sink closes,
		// Alertmanager logs failed deliveries of the cleanup's resolutions.
		opts.Stderr = os.Stderr
	}
	am, err := alertmanager.Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 2
	}
	defer am.Stop()
	setup := "healthy setup"
	if *fault != "" {
		setup = "FAULT " + *fault + ": " + alertmanager.Faults[*fault]
	}
	fmt.Fprintf(os.Stderr, "demo: Alertmanager %s at %s (%s), delivering to sink %s\n\n", alertmanager.Version, am.URL, setup, sinkAddr)

	args := append([]string{"run", "--env", "local"}, flag.Args()...)
	cmd := exec.CommandContext(ctx, *bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		"JOURNEYGATE_ALERTMANAGER_URL="+am.URL,
		"JOURNEYGATE_SINK_LISTEN="+sinkAddr,
	)
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 2
	}
}
