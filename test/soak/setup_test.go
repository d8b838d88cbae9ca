package soak

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/lease"
	"github.com/journeygate/journeygate/internal/runner"
	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/backend"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/alertmanager"
)

// setup is one real Alertmanager (healthy, or broken by a fault) and what
// `journeygate run` composes around it: the environments file's local
// environment pointed at it, the in-process sink it delivers to, an
// embedded store, the lease manager, and the examples Alertmanager serves.
type setup struct {
	env      envconfig.Environment
	journeys []journey.Journey
	sink     *sink.Sink
	store    store.Store
	deps     runner.Deps
}

// newSetup starts Alertmanager with fault ("" is healthy) the way `make
// run` does (test/cmd/demo) and wires the rest the way the CLI's run
// command does (internal/cli/run.go). observe, when set, sees every
// journey's progress. Everything stops when t ends. It may be called from
// any goroutine: it reports, rather than fails the test.
func newSetup(t *testing.T, fault string, observe func(journey.Event)) (*setup, error) {
	ctx := t.Context()
	bin, err := alertmanager.EnsureBinary(ctx)
	if err != nil {
		return nil, err
	}
	sinkAddr, err := alertmanager.FreeAddr()
	if err != nil {
		return nil, err
	}
	smtpAddr, err := alertmanager.FreeAddr()
	if err != nil {
		return nil, err
	}
	token := randomHex(16)
	am, err := alertmanager.Start(ctx, alertmanager.Options{
		Binary: bin, Webhooks: []string{"http://" + sinkAddr + "/"}, Smarthost: smtpAddr, Fault: fault, BearerToken: token,
	})
	if err != nil {
		return nil, fmt.Errorf("alertmanager (fault %q): %w", fault, err)
	}
	t.Cleanup(am.Stop)

	// The variables `make run` sets for journeygate, read through the
	// shipped environments file as the CLI reads them.
	vars := map[string]string{
		"JOURNEYGATE_ALERTMANAGER_URL": am.URL,
		"JOURNEYGATE_SINK_LISTEN":      sinkAddr,
		"JOURNEYGATE_SINK_TOKEN":       token,
		"JOURNEYGATE_SMTP_LISTEN":      smtpAddr,
	}
	getenv := func(k string) string { return vars[k] }
	cfg, err := envconfig.Parse(journeys.EnvironmentsPath, journeys.EnvironmentsFile, getenv)
	if err != nil {
		return nil, err
	}
	env, err := cfg.Get("local")
	if err != nil {
		return nil, err
	}
	// The examples Alertmanager serves, by name, never the whole catalogue;
	// its email receiver mails this set-up's SMTP listener, so the inbox
	// examples too, as `make run` runs them.
	reg, err := alertmanager.DemoRegistry()
	if err != nil {
		return nil, err
	}
	selected := reg.All()
	if err := cfg.Check(selected); err != nil {
		return nil, err
	}

	sk := sink.New(sink.Config{Token: env.Sink.Token, Correlate: env.Sink.Correlate})
	if _, err := sk.Listen(env.Sink.Listen); err != nil {
		return nil, err
	}
	t.Cleanup(func() { sk.Close() })
	if _, err := sk.ListenSMTP(env.Inbox.Listen, sink.SMTPConfig{Domain: env.Inbox.Domain}); err != nil {
		return nil, err
	}
	st, err := backend.Open(ctx, filepath.Join(t.TempDir(), "journeygate.db"))
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { st.Close() })
	ls, ok := st.(store.LeaseStore)
	if !ok {
		return nil, fmt.Errorf("the store %T cannot lease test resources", st)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	res := secrets.New(secrets.WithGetenv(getenv))
	leases, err := lease.NewManager(ls, cfg, res, lease.WithLogger(secrets.NewLogger(logger, res.Redactor())))
	if err != nil {
		return nil, err
	}
	logger = secrets.NewLogger(logger, leases.Redactor())
	return &setup{
		env: env, journeys: selected, sink: sk, store: st,
		deps: runner.Deps{Store: st, Sink: sk, InboxDomain: sk.InboxDomain(), Observe: observe, Logger: logger, Leases: leases},
	}, nil
}

// run runs the whole catalogue once, as `journeygate run --env local
// --concurrency N` does, with its own run ID.
func (s *setup) run(ctx context.Context, concurrency int) runner.Outcome {
	return runner.Run(ctx, runner.Plan{
		RunID: runner.NewRunID(time.Now()), Environment: s.env.Name,
		Targets: s.env.Targets, Settings: s.env.Settings,
		Journeys: s.journeys, Concurrency: concurrency, Trigger: trigger.Trigger{Type: trigger.CLI},
		FreezeWindow: s.env.Gate.Freeze.EffectiveWindow(),
	}, s.deps)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
