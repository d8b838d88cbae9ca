// Command demo is what `make run` runs: it starts a real Alertmanager (built
// from the pinned version) wired to deliver to the run's sink, runs
// `journeygate run` of the example journeys that Alertmanager serves
// (alertmanager.Examples and InboxExamples, by name) against it, prints the verdict, stops what it started
// and exits with journeygate's exit code. -fault starts a really broken
// Alertmanager setup instead of a healthy one.
//
// The sink's address and its SMTP listener's are picked here (free
// loopback ports) and passed to journeygate as JOURNEYGATE_SINK_LISTEN and
// JOURNEYGATE_SMTP_LISTEN, since Alertmanager must know its webhook URL and
// its email receiver's smarthost before journeygate starts.
//
// Interrupts: journeygate and Alertmanager run in process groups of their
// own, so a terminal's Ctrl-C reaches only this process (and make), which
// passes each SIGINT or SIGTERM on to journeygate and waits for it:
// journeygate stops its journeys, runs their cleanups against the still
// running Alertmanager and records its verdict; a second signal aborts it.
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
	"sync"
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
		fmt.Fprintf(os.Stderr, "usage: demo [-journeygate BIN] [-fault NAME] [-v] [-- journeygate run flags]\n"+
			"runs the example journeys %s unless the run flags select journeys (--journey, --tier)\nfaults:\n",
			strings.Join(append(alertmanager.Examples, alertmanager.InboxExamples...), ", "))
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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fwd := newForwarder(cancel)
	defer fwd.stop()

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
	smtpAddr, err := alertmanager.FreeAddr()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 2
	}
	opts := alertmanager.Options{Binary: amBin, Webhooks: []string{"http://" + sinkAddr + "/"}, Smarthost: smtpAddr, Fault: *fault}
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
	fmt.Fprint(os.Stderr, banner(am, setup, sinkAddr, smtpAddr)+"\n\n")

	// The examples it serves, by name: a journey added to the catalogue
	// (against another target, say) is not run against this Alertmanager
	// unless the flags after -- select journeys themselves.
	args := []string{"run", "--env", "local"}
	if !selectsJourneys(flag.Args()) {
		args = append(args, alertmanager.DemoArgs()...)
	}
	args = append(args, flag.Args()...)
	cmd := exec.Command(*bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		"JOURNEYGATE_ALERTMANAGER_URL="+am.URL,
		"JOURNEYGATE_SINK_LISTEN="+sinkAddr,
		"JOURNEYGATE_SMTP_LISTEN="+smtpAddr,
	)
	// Its own process group: signals reach it only through the forwarder,
	// once each. It gets SIGTERM should this process die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := fwd.start(ctx, cmd); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 2
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "demo: journeygate:", err)
		return 1 // no verdict: fail closed
	}
}

// banner says what the demo started and where Alertmanager delivers: the
// webhook URLs and smarthost it was given, each with the run's sink or SMTP
// listener it should reach, so a fault that points it elsewhere shows.
func banner(am *alertmanager.Instance, setup, sinkAddr, smtpAddr string) string {
	var hooks []string
	for _, u := range am.Webhooks {
		if strings.TrimSuffix(strings.TrimPrefix(u, "http://"), "/") == sinkAddr {
			hooks = append(hooks, u+" (the run's sink)")
		} else {
			hooks = append(hooks, u+" (not the run's sink "+sinkAddr+")")
		}
	}
	s := fmt.Sprintf("demo: Alertmanager %s at %s (%s), delivering to %s", alertmanager.Version, am.URL, setup, strings.Join(hooks, ", "))
	switch {
	case am.Smarthost == "":
	case am.Smarthost == smtpAddr:
		s += " and mailing smarthost " + am.Smarthost + " (the run's SMTP listener)"
	default:
		s += " and mailing smarthost " + am.Smarthost + " (not the run's SMTP listener " + smtpAddr + ")"
	}
	return s
}

// selectsJourneys reports whether journeygate run flags choose the
// journeys (--journey or --tier, in any of the flag package's spellings).
func selectsJourneys(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && (name == "journey" || name == "tier") {
			return true
		}
	}
	return false
}

// forwarder passes SIGINT and SIGTERM on to journeygate once it runs;
// before that, a signal cancels the set-up.
type forwarder struct {
	sigs   chan os.Signal
	mu     sync.Mutex
	child  *os.Process
	cancel context.CancelFunc
	done   chan struct{}
}

func newForwarder(cancel context.CancelFunc) *forwarder {
	f := &forwarder{sigs: make(chan os.Signal, 4), cancel: cancel, done: make(chan struct{})}
	signal.Notify(f.sigs, os.Interrupt, syscall.SIGTERM)
	go f.loop()
	return f
}

func (f *forwarder) loop() {
	for {
		select {
		case s := <-f.sigs:
			f.mu.Lock()
			if f.child != nil {
				_ = f.child.Signal(s) // it may have exited just now
			} else {
				f.cancel()
			}
			f.mu.Unlock()
		case <-f.done:
			return
		}
	}
}

// start starts cmd unless ctx ended (a signal came first); signals from
// then on go to it.
func (f *forwarder) start(ctx context.Context, cmd *exec.Cmd) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ctx.Err() != nil {
		return errors.New("interrupted before journeygate started")
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	f.child = cmd.Process
	return nil
}

func (f *forwarder) stop() {
	signal.Stop(f.sigs)
	close(f.done)
}
