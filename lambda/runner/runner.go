package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/journeygate/journeygate/functions/runner/handler"
	"github.com/journeygate/journeygate/internal/awsenv"
	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/metrics"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/secrets/awssecrets"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/poll"
)

// Start runs the runner Lambda with catalogue, the registry of the
// journeys it runs (the one the stack was synthesized from: see
// JOURNEYGATE_CATALOGUE_FINGERPRINT), configured from the process's
// environment. It never returns: a runner that cannot start (a missing
// variable, an unreadable environments file, an invalid or mismatched
// catalogue) logs why and exits 1 before serving any event.
func Start(catalogue func() (*journey.Registry, error)) { StartWith(catalogue, nil) }

// Setup prepares what one kind of runner needs before its handler is
// built, and returns the handler options that come of it.
type Setup func(ctx context.Context, getenv func(string) string, log *slog.Logger) ([]handler.Option, error)

// StartWith is Start with setup run first (nil: none), as the browser
// runner's main (package browserrunner) starts: a setup that fails stops
// the runner before it serves any event, as any start fault does.
func StartWith(catalogue func() (*journey.Registry, error), setup Setup) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	var extra []handler.Option
	if setup != nil {
		var err error
		if extra, err = setup(context.Background(), os.Getenv, log); err != nil {
			log.Error("runner cannot start", "err", err)
			os.Exit(1)
		}
	}
	h, err := build(context.Background(), catalogue, os.Getenv, log, extra...)
	if err != nil {
		log.Error("runner cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(h.Handle)
}

// build reads the configuration and wires the handler.
func build(ctx context.Context, catalogue func() (*journey.Registry, error), getenv func(string) string, log *slog.Logger, extra ...handler.Option) (*handler.Handler, error) {
	table := getenv("JOURNEYGATE_TABLE")
	if table == "" {
		return nil, errors.New("JOURNEYGATE_TABLE is not set")
	}
	envs, err := environments(getenv)
	if err != nil {
		return nil, err
	}
	if catalogue == nil {
		return nil, errors.New("no catalogue: runner.Start needs the registry of the journeys to run")
	}
	reg, err := catalogue()
	if err != nil {
		return nil, fmt.Errorf("invalid journey definitions: %w", err)
	}
	if reg == nil {
		return nil, errors.New("no catalogue: its function returned no registry")
	}
	if err := checkCatalogue(reg, getenv("JOURNEYGATE_CATALOGUE_FINGERPRINT")); err != nil {
		return nil, err
	}
	opts := []handler.Option{handler.WithLogger(log), handler.WithMetrics(&metrics.Emitter{W: os.Stdout})}
	if m := getenv("JOURNEYGATE_TIMEOUT_MARGIN"); m != "" {
		d, err := time.ParseDuration(m)
		if err != nil {
			return nil, fmt.Errorf("JOURNEYGATE_TIMEOUT_MARGIN: %w", err)
		}
		opts = append(opts, handler.WithTimeoutMargin(d))
	}
	awsCfg, err := awsenv.Config(getenv)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	st := dynamo.New(dynamodb.NewFromConfig(awsCfg), table)
	resolver := secrets.New(
		secrets.WithSecretsManager(awssecrets.SecretsManager(secretsmanager.NewFromConfig(awsCfg))),
		secrets.WithParameterStore(awssecrets.ParameterStore(ssm.NewFromConfig(awsCfg))),
		secrets.WithGetenv(getenv),
	)
	leases, err := lease.NewManager(st, envs, resolver, lease.WithLogger(secrets.NewLogger(log, resolver.Redactor())))
	if err != nil {
		return nil, err
	}
	opts = append(opts, handler.WithLeases(leases))
	opts = append(opts, handler.WithEvents(eventbridge.NewFromConfig(awsCfg), getenv("JOURNEYGATE_EVENT_BUS")))
	if u := getenv("JOURNEYGATE_SINK_URL"); u != "" {
		base, err := url.Parse(u)
		if err != nil || base.Scheme != "https" && base.Scheme != "http" || base.Host == "" {
			return nil, fmt.Errorf("JOURNEYGATE_SINK_URL %q is not an absolute http(s) URL", u)
		}
		urlFor := func(runID string) string { return strings.TrimRight(u, "/") + "/run/" + url.PathEscape(runID) }
		opts = append(opts, handler.WithSink(store.NewSinkReader(st, urlFor, poll.Backoff{})))
	}
	if d := getenv("JOURNEYGATE_INBOX_DOMAIN"); d != "" {
		// The stack's SES receipt rule receives the domain's mail and the
		// sink stores it where the sink reader reads it (T.Inbox).
		opts = append(opts, handler.WithInboxDomain(d))
	}
	return handler.New(reg, envs, st, append(opts, extra...)...)
}

// environments reads the environments file JOURNEYGATE_ENVIRONMENTS_FILE
// names (the construct bundles Props.EnvironmentsFile with the function),
// expanding its variables with getenv.
func environments(getenv func(string) string) (*envconfig.Config, error) {
	path := getenv("JOURNEYGATE_ENVIRONMENTS_FILE")
	if path == "" {
		return nil, errors.New("JOURNEYGATE_ENVIRONMENTS_FILE is not set: the environments file the construct bundles with the function (Props.EnvironmentsFile)")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("JOURNEYGATE_ENVIRONMENTS_FILE: %w", err)
	}
	return envconfig.Parse(path, data, getenv)
}

// checkCatalogue refuses a catalogue other than the one the stack was
// synthesized from (want, its fingerprint; "" when the runner was not
// deployed by the construct): the stack's runner timeout, alarms and
// dashboard were derived from that one.
func checkCatalogue(reg *journey.Registry, want string) error {
	if got := reg.Fingerprint(); want != "" && got != want {
		return fmt.Errorf("catalogue mismatch: this runner's compiled-in catalogue is %s (%d journeys: %s), but its stack was synthesized from catalogue %s (JOURNEYGATE_CATALOGUE_FINGERPRINT), so the stack's timeouts, alarms and dashboard describe other journeys; "+
			"build the functions and synthesize the stack from the same catalogue, then deploy both (make build && make deploy ENV=...)",
			got, len(reg.Names()), strings.Join(reg.Names(), ", "), want)
	}
	return nil
}
