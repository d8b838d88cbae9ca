package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	gatefn "github.com/journeygate/journeygate/functions/gate/handler"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
)

const decideUsage = `Usage: journeygate decide --run ID [--store SPEC] [--config FILE] [--by NAME]
                        [--endpoint SERVICE=URL]... [--json] [-v]

Re-evaluates a finished run with the gate's own decision (the gate
Lambda's handler, in this process): the run's results from the store, the
overrides recorded for its deployment now, and its environment's health
now (the freeze, per --config). A Failed verdict that now decides
Succeeded (an override, or an environment no longer frozen) replaces the
recorded one; the replaced verdict is kept in the run's revisions with when,
by whom (--by, default $USER) and why. A Succeeded verdict is never
replaced.

The verdict in force is then reported like the gate reports it: a
CodeDeploy hook or CodePipeline job still waiting receives it now; one that
already has a status is not reported twice. Like "journeygate invoke",
CodeDeploy, CodePipeline and EventBridge calls are dry runs (printed on
stderr with -v) unless --endpoint SERVICE=URL points one at a stand-in; against AWS
use --endpoint codedeploy=https://codedeploy.REGION.amazonaws.com.

Exit codes: 0 the verdict in force is Succeeded, 1 Failed (or it could not
be reported), 2 usage error, unknown run, or a run not decided yet.

Flags:
`

func cmdDecide(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("decide", e.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), decideUsage)
		fs.PrintDefaults()
	}
	var c common
	c.register(fs, e)
	runID := fs.String("run", "", "the finished run's `ID`")
	by := fs.String("by", "", "who re-decides, recorded if the verdict changes (default: $USER)")
	asJSON := fs.Bool("json", false, "print the re-decision as JSON")
	verbose := fs.Bool("v", false, "log the gate's structured logs and the dry-run calls to stderr")
	endpoints := endpointList{}
	fs.Var(endpoints, "endpoint", "send `SERVICE=URL` calls to a local stand-in or a real endpoint instead of a dry run (repeatable)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *runID == "" {
		return usagef("--run ID is required: the finished run to re-decide")
	}
	who, _, err := userOf(*by, e.getenv)
	if err != nil {
		return err
	}
	cfg, err := c.loadConfig(e)
	if err != nil {
		return err
	}
	st, err := c.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	// A dry-run call is detail for whoever debugs it, not output a person
	// deciding a run needs: shown with -v only.
	dryOut := io.Discard
	if *verbose {
		dryOut = e.stderr
	}
	clients := invokeAWS{out: dryOut, endpoints: endpoints}
	h, err := gatefn.New(st, clients.codeDeploy(), clients.codePipeline(),
		gatefn.WithEvents(clients.eventBridge(), ""), gatefn.WithLogger(logger), gatefn.WithEnvironments(cfg))
	if err != nil {
		return err
	}
	out, err := h.Redecide(ctx, *runID, who)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return usagef("no run %q in %s", *runID, c.storePath)
	case errors.Is(err, gatefn.ErrNotDecided), errors.Is(err, store.ErrInvalid):
		return usagef("%v", err)
	case err != nil && out.Reported == gatefn.ReportedNone:
		return err
	}
	if *asJSON {
		b, jerr := json.MarshalIndent(out, "", "  ")
		if jerr != nil {
			return jerr
		}
		fmt.Fprintln(e.stdout, string(b))
	} else {
		printRedecision(e, out, err)
	}
	if err != nil {
		return errFailed
	}
	if out.Verdict.Status != gate.Succeeded {
		return errFailed
	}
	return nil
}

func printRedecision(e env, out gatefn.Redecision, reportErr error) {
	w := e.stdout
	if out.Changed {
		fmt.Fprintf(w, "run %s: verdict %s -> %s\n", out.RunID, out.Previous.Status, out.Verdict.Status)
		fmt.Fprintf(w, "  %s\n", out.Verdict.Summary)
		fmt.Fprintf(w, "  the replaced verdict is kept in the run's revisions\n")
	} else {
		fmt.Fprintf(w, "run %s: verdict %s stands\n", out.RunID, out.Verdict.Status)
		fmt.Fprintf(w, "  %s\n", out.Verdict.Summary)
		if out.Verdict.Status != gate.Succeeded {
			fmt.Fprintf(w, "  to let it through: journeygate override --deployment ID --reason \"...\", then decide again\n")
		}
	}
	if o := out.Verdict.Overridden; o != nil {
		fmt.Fprintf(w, "  overridden by %s until %s: %s\n", o.By, o.ExpiresAt.Format("2006-01-02T15:04:05Z07:00"), indent(o.Reason, "    "))
	}
	switch {
	case reportErr != nil:
		fmt.Fprintf(w, "not reported: %v\n", reportErr)
	case out.NotReported != "":
		fmt.Fprintf(w, "not reported: %s\n", out.NotReported)
	case out.Reported == gatefn.ReportedNone:
		fmt.Fprintf(w, "nothing to report: the run gates no CodeDeploy or CodePipeline deployment\n")
	case out.AlreadyReported:
		fmt.Fprintf(w, "not reported again: the %s deployment already has a status (it never receives two reports)\n", out.Reported)
	default:
		fmt.Fprintf(w, "reported %s to %s\n", out.Verdict.Status, out.Reported)
	}
	fmt.Fprintf(w, "details: %s\n", flow.InspectCommand(out.RunID))
}
