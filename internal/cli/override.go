package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/backend"
)

const overrideUsage = `Usage: journeygate override --deployment ID --reason "..." [--by NAME] [--ttl 1h] [--store SPEC]

Records an audited override in the store: the gate of deployment ID (a
CodeDeploy deployment ID, a CodePipeline job ID, or the --deployment of a
local run) then reports Succeeded despite failures, until the override
expires. The verdict, the Run Completed event and the GateOverridden metric
record that it was overridden, by whom and why; the verdict keeps every
failure it overrode.

A reason is required. --by defaults to $USER. The override lasts --ttl
(default 1h, at most 24h). For a run already decided Failed whose
deployment still waits, re-decide it: journeygate decide --run RUN_ID.

Flags:
`

// userOf returns --by, or $USER when --by is empty, and says which it used.
func userOf(by string, getenv func(string) string) (name, source string, err error) {
	if strings.TrimSpace(by) != "" {
		return by, "--by", nil
	}
	if u := strings.TrimSpace(getenv("USER")); u != "" {
		return u, "$USER", nil
	}
	return "", "", usagef("--by NAME is required: $USER is not set (an override and a re-decision name who made them)")
}

func cmdOverride(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("override", e.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), overrideUsage)
		fs.PrintDefaults()
	}
	var c common
	c.register(fs, e)
	deployment := fs.String("deployment", "", "the deployment `ID` (CodeDeploy deployment or CodePipeline job) to let through")
	reason := fs.String("reason", "", "why the gate may be bypassed (required; recorded with every verdict it changes)")
	by := fs.String("by", "", "who overrides (default: $USER)")
	ttl := durationVar(fs, "ttl", gate.DefaultOverrideTTL, fmt.Sprintf("how long the override applies: a `duration` of at most %s", gate.MaxOverrideTTL))
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(*deployment) == "":
		return usagef("--deployment ID is required: the deployment or job the override lets through")
	case strings.TrimSpace(*reason) == "":
		return usagef(`refused: an override needs --reason "...": say why the gate may be bypassed; it is recorded with the verdict`)
	}
	if err := checkTTL(*ttl); err != nil {
		return err
	}
	who, source, err := userOf(*by, e.getenv)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	o := gate.Override{Deployment: *deployment, By: who, Reason: *reason, At: now, ExpiresAt: now.Add(*ttl)}
	if err := o.Validate(); err != nil {
		return usagef("%v", err)
	}

	st, err := backend.Open(ctx, c.storePath)
	if errors.Is(err, store.ErrInvalid) {
		return usagef("--store: %v", err)
	}
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	os, ok := st.(store.OverrideStore)
	if !ok {
		return usagef("--store %s cannot record overrides", c.storePath)
	}
	if err := os.PutOverride(ctx, o); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return usagef("%v", err)
		}
		return fmt.Errorf("record override: %w", err)
	}
	fmt.Fprintf(e.stdout, "override recorded for deployment %s\n", o.Deployment)
	fmt.Fprintf(e.stdout, "  by:      %s (from %s)\n", o.By, source)
	fmt.Fprintf(e.stdout, "  reason:  %s\n", indent(o.Reason, "           "))
	fmt.Fprintf(e.stdout, "  applies: until %s (%s)\n", o.ExpiresAt.Format(time.RFC3339), *ttl)
	fmt.Fprintf(e.stdout, "Gate decisions of this deployment report Succeeded despite failures until then, and record this override.\n")
	fmt.Fprintf(e.stdout, "A run already decided Failed: journeygate decide --run RUN_ID\n")
	return nil
}

// checkTTL rejects an override lifetime outside (0, gate.MaxOverrideTTL].
func checkTTL(ttl time.Duration) error {
	if ttl <= 0 || ttl > gate.MaxOverrideTTL {
		return usagef("--ttl %s: must be more than 0 and at most %s", ttl, gate.MaxOverrideTTL)
	}
	return nil
}

// indent indents every non-empty line of s after the first.
func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i] != "" {
			lines[i] = prefix + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}
