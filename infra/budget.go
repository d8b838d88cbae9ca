package infra

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/journey"
)

// CodeDeployHookLimit is how long CodeDeploy waits for a lifecycle hook's
// status before it fails the deployment: a run that may take longer can
// leave a deployment failed by the timeout instead of by its verdict.
const CodeDeployHookLimit = time.Hour

// Budget is the worst case of one run's time in the state machine, part by
// part, as RunBudget computes it from the catalogue and the definition's
// timeouts. Lambda service retries (rare, and bounded by the retry policy)
// are not in it.
type Budget struct {
	// Plan is the Plan Task's timeout.
	Plan time.Duration
	// Rounds is ⌈journeys ÷ concurrency⌉: how many times the Map may have
	// to wait for its slowest Task, each Round long.
	Journeys, Concurrency, Rounds int
	Round                         time.Duration
	// Slowest names the journeys whose Task timeout is Round.
	Slowest []string
	// Decide is every Decide attempt's timeout and the waits between them;
	// LastResort the last resort's timeout.
	Decide, LastResort time.Duration
}

// Total is the whole worst case.
func (b Budget) Total() time.Duration {
	return b.Plan + time.Duration(b.Rounds)*b.Round + b.Decide + b.LastResort
}

// String shows the arithmetic.
func (b Budget) String() string {
	return fmt.Sprintf("plan %s + ⌈%d journeys ÷ %d at once⌉ = %d × %s (slowest: %s) + decide %s (%d attempts of %s and their retry waits) + last resort %s = %s",
		b.Plan, b.Journeys, b.Concurrency, b.Rounds, b.Round, strings.Join(b.Slowest, ", "),
		b.Decide, flow.DecideRetryAttempts+1, seconds(flow.GateTimeoutSeconds), b.LastResort, b.Total())
}

// RunBudget is the worst case of one run of every journey in js with
// concurrency journeys at once, each Task bounded by flow.JourneyTimeout.
func RunBudget(js []journey.Journey, margin time.Duration, concurrency int) Budget {
	if concurrency <= 0 {
		concurrency = flow.DefaultMaxConcurrency
	}
	b := Budget{
		Plan:        seconds(flow.PlanTimeoutSeconds),
		Journeys:    len(js),
		Concurrency: concurrency,
		Rounds:      (len(js) + concurrency - 1) / concurrency,
		LastResort:  seconds(flow.LastResortTimeoutSeconds),
	}
	for _, j := range js {
		// The Task's timeout is whole seconds, rounded up (flow.Plan).
		d := flow.JourneyTimeout(j, margin).Round(time.Second)
		if d < flow.JourneyTimeout(j, margin) {
			d += time.Second
		}
		switch {
		case d > b.Round:
			b.Round, b.Slowest = d, []string{j.Name}
		case d == b.Round:
			b.Slowest = append(b.Slowest, j.Name)
		}
	}
	slices.Sort(b.Slowest)
	b.Decide = time.Duration(flow.DecideRetryAttempts+1) * seconds(flow.GateTimeoutSeconds)
	wait := seconds(flow.DecideRetryIntervalSeconds)
	for range flow.DecideRetryAttempts {
		b.Decide += wait
		wait *= flow.DecideRetryBackoff
	}
	return b
}

// checkBudget refuses a deployment of journeys js whose run may outlast what waits for it:
// CodeDeploy's lifecycle hook (CodeDeployHookLimit). CodePipeline jobs are
// answered with continuation tokens, so no single job waits out a run.
func checkBudget(p Props, js []journey.Journey) error {
	if len(p.DeploymentGroups) == 0 || len(js) == 0 {
		return nil
	}
	b := RunBudget(js, p.TimeoutMargin, p.MaxConcurrency)
	if b.Total() <= CodeDeployHookLimit {
		return nil
	}
	fix := "shorten the slowest journeys' SLAs or retries"
	if b.Concurrency < flow.MaxInlineMapConcurrency && b.Rounds > 1 {
		fix = fmt.Sprintf("raise MaxConcurrency (at most %d), ", flow.MaxInlineMapConcurrency) + fix
	}
	return fmt.Errorf("run budget: a run may take %s, over the %s CodeDeploy waits for a lifecycle hook (%s): %s, or gate fewer journeys per deployment group",
		b.Total(), CodeDeployHookLimit, b, fix)
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }
