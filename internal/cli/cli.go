package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/journeygate/journeygate/shared/journey"
)

// Exit codes: the contract with CI systems.
const (
	exitSucceeded = 0
	exitFailed    = 1
	exitUsage     = 2
)

// usageError is bad input: a flag, a name, a configuration file.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// failedError is a run that ended Failed; its explanation is already printed.
var errFailed = errors.New("verdict: Failed")

const usageText = `journeygate runs critical customer journeys and turns them into a deployment verdict.

Usage:
  journeygate list    [--tier global|domain] [--json]
  journeygate run     [--env NAME] [--journey NAME]... [--tier global|domain]
                      [--concurrency N] [--junit FILE] [--json] [--deployment ID]
                      [--report FILE.html] [--browser-concurrency N]
                      [--chromium PATH] [--artifacts DIR]
                      [--sink-listen ADDR] [--smtp-listen ADDR]
                      [--stage STAGE] [--target-version VERSION] [-v]
  journeygate history [--journey NAME] [--env NAME] [--window 7d]
                      [--min-runs 20] [--max-flake-rate 5%%]
  journeygate show    RUN_ID [--json] [--html FILE.html]
  journeygate override --deployment ID --reason "..." [--by NAME] [--ttl 1h]
  journeygate decide  --run ID [--by NAME] [--endpoint SERVICE=URL]... [--json]
  journeygate leases  [--env NAME] [--pool NAME] [--json]
  journeygate invoke  runner|gate|hook|sink --event FILE [--env NAME] [--endpoint SERVICE=URL]...
  journeygate init    DIR --module PATH [--version VERSION | --replace DIR]

Common flags:
  --config FILE   environments file (default: %s)
  --store SPEC    result store: a file path (default .journeygate/journeygate.db)
                  or dynamodb://TABLE[?endpoint=URL&region=REGION&create=true]

Exit codes: 0 Succeeded, 1 Failed, 2 usage or configuration error.
Run "journeygate COMMAND -h" for a command's flags.
`

// Config is what a journeygate CLI is built with: its catalogue and the
// environments file it reads (package cli's Options, defaults applied).
type Config struct {
	// Catalogue returns the registry of journeys the commands list and run.
	Catalogue func() (*journey.Registry, error)
	// Environments is the environments file read without --config: a path
	// on disk, relative ones looked up from the working directory upwards
	// (see environmentsOrigin), unless Embedded holds its content.
	Environments string
	// Embedded, when not nil, is the environments file compiled into the
	// binary, read instead of the file on disk; errors then name it
	// "embedded PATH".
	Embedded []byte
}

// env is the process's outside world, passed in so tests can drive it.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	isTTY          bool
	// width is the live progress width (termWidth; 0: the default).
	width int
	// getwd is the working directory a relative Environments is looked
	// up from (nil: os.Getwd).
	getwd func() (string, error)
	cfg   Config
}

// Main runs the CLI on the process's arguments, standard streams and
// signals, and returns its exit code.
func Main(cfg Config) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	command := ""
	if len(os.Args) > 1 {
		command = os.Args[1]
	}
	go interrupts(sigs, command, cancel, os.Stderr, func() { os.Exit(exitFailed) })
	return run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTTY: isTerminal(os.Stdout), width: termWidth(os.Stdout, os.Getenv), cfg: cfg})
}

// usage is the CLI's help text.
func (e env) usage() string {
	return fmt.Sprintf(usageText, e.defaultEnvironments())
}

// interrupts turns the first SIGINT or SIGTERM into a cancelled context,
// with which a run stops its journeys' steps but still runs their cleanups,
// records and prints its verdict (Failed); the second aborts at once
// (exit 1), leaving the run without a verdict (abandoned, once its budget
// has passed).
func interrupts(sigs <-chan os.Signal, command string, cancel context.CancelCauseFunc, w io.Writer, abort func()) {
	s := <-sigs
	doing := "stopping"
	if command == "run" || command == "invoke" {
		doing = "finishing cleanups"
	}
	fmt.Fprintf(w, "\njourneygate: interrupted (%s): %s (Ctrl-C again to abort)\n", signalName(s), doing)
	cancel(fmt.Errorf("interrupted (%s)", signalName(s)))
	s = <-sigs
	fmt.Fprintf(w, "journeygate: aborted (%s): cleanups not finished, no verdict recorded\n", signalName(s))
	abort()
}

// signalName is the name people know a signal by, e.g. SIGINT.
func signalName(s os.Signal) string {
	switch s {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, e.usage())
		return exitUsage
	}
	var err error
	switch args[0] {
	case "list":
		err = cmdList(args[1:], e)
	case "run":
		err = cmdRun(ctx, args[1:], e)
	case "history":
		err = cmdHistory(ctx, args[1:], e)
	case "invoke":
		err = cmdInvoke(ctx, args[1:], e)
	case "show":
		err = cmdShow(ctx, args[1:], e)
	case "override":
		err = cmdOverride(ctx, args[1:], e)
	case "decide":
		err = cmdDecide(ctx, args[1:], e)
	case "leases":
		err = cmdLeases(ctx, args[1:], e)
	case "init":
		err = cmdInit(args[1:], e)
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, e.usage())
		return exitSucceeded
	default:
		fmt.Fprintf(e.stderr, "journeygate: unknown command %q\n\n%s", args[0], e.usage())
		return exitUsage
	}
	var ue *usageError
	switch {
	case err == nil:
		return exitSucceeded
	case errors.Is(err, flag.ErrHelp):
		return exitSucceeded
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "journeygate %s: %s\n", args[0], ue.msg)
		return exitUsage
	case errors.Is(err, errFailed):
		return exitFailed
	default:
		fmt.Fprintf(e.stderr, "journeygate %s: %v\n", args[0], err)
		return exitFailed
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
