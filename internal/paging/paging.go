package paging

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// ReminderInterval is how long a failing streak stays quiet after a page:
// a failure this long or longer after the last page pages again.
const ReminderInterval = 60 * time.Minute

// Store is what the pager reads and writes: the page records, the
// journey's results, and the runs they belong to.
type Store interface {
	store.PageStore
	History(ctx context.Context, q store.HistoryQuery) ([]journey.Result, error)
	GetRun(ctx context.Context, runID string) (store.RunRecord, error)
}

// Why a decision was taken, for logs.
const (
	WhyFirst     = "no page recorded"
	WhyRecovered = "the journey passed against live traffic since the last failure"
	WhyReminder  = "reminder"
	WhyStore     = "store error"
	WhyRepeat    = "repeat of a streak that paged"
)

// Decision is Decide's answer for one failure.
type Decision struct {
	// Repeat is true when the failure belongs to a streak that already
	// paged and needs no page.
	Repeat bool
	// Why says which rule decided (one of the Why constants).
	Why string
	// FailingSince is the StartedAt of the streak's first paged failure:
	// this failure's own for a new streak.
	FailingSince time.Time
	// next is the page record to write after the event is published.
	next store.PageRecord
}

// Pager decides whether failures page.
type Pager struct {
	st       Store
	reminder time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// Option configures a Pager.
type Option func(*Pager)

// WithReminder sets the reminder interval (default ReminderInterval).
func WithReminder(d time.Duration) Option { return func(p *Pager) { p.reminder = d } }

// WithClock sets the clock of PagedAt and of reminders (default time.Now).
func WithClock(now func() time.Time) Option { return func(p *Pager) { p.now = now } }

// WithLogger sets the logger of store errors (default: discard).
func WithLogger(l *slog.Logger) Option { return func(p *Pager) { p.log = l } }

// New returns a pager over st, which is required.
func New(st Store, opts ...Option) (*Pager, error) {
	if st == nil {
		return nil, errors.New("paging: no store")
	}
	p := &Pager{st: st, reminder: ReminderInterval, now: time.Now}
	for _, o := range opts {
		o(p)
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.reminder <= 0 {
		return nil, errors.New("paging: the reminder interval must be positive")
	}
	return p, nil
}

// Decide tells whether res, a failed result, repeats a streak that
// already paged. Any doubt (a store error) pages.
func (p *Pager) Decide(ctx context.Context, res journey.Result) Decision {
	now := p.now().UTC()
	page := func(why string, since time.Time) Decision {
		return Decision{Why: why, FailingSince: since, next: store.PageRecord{
			Environment: res.Environment, Journey: res.Journey, RunID: res.RunID,
			FailedAt: since, PagedAt: now, LastFailedAt: res.StartedAt,
		}}
	}
	rec, err := p.st.LastPage(ctx, res.Environment, res.Journey)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return page(WhyFirst, res.StartedAt)
	case err != nil:
		p.log.Error("page record not read: paging", "environment", res.Environment, "journey", res.Journey, "err", err)
		return page(WhyStore, res.StartedAt)
	case now.Sub(rec.PagedAt) >= p.reminder:
		// The streak goes on: it keeps its start.
		return page(WhyReminder, rec.FailedAt)
	}
	since := rec.LastFailedAt
	if since.IsZero() {
		since = rec.FailedAt
	}
	results, err := p.st.History(ctx, store.HistoryQuery{Journey: res.Journey, Environment: res.Environment, Since: since})
	if err != nil {
		p.log.Error("journey history not read: paging", "environment", res.Environment, "journey", res.Journey, "err", err)
		return page(WhyStore, res.StartedAt)
	}
	for _, r := range results {
		if r.Outcome.OK() && !r.StartedAt.Before(since) && p.sawLive(ctx, r) {
			return page(WhyRecovered, res.StartedAt)
		}
	}
	next := rec
	if res.StartedAt.After(next.LastFailedAt) {
		next.LastFailedAt = res.StartedAt
	}
	return Decision{Repeat: true, Why: WhyRepeat, FailingSince: rec.FailedAt, next: next}
}

// sawLive tells whether passed, a result that passed, ran against the
// live targets: a deployment gate's run at a pre-traffic stage checks the
// new version through the test targets, and its pass says nothing of what
// the streak is about. In doubt (the run unreadable) it counts, so the
// next failure pages.
func (p *Pager) sawLive(ctx context.Context, passed journey.Result) bool {
	run, err := p.st.GetRun(ctx, passed.RunID)
	if err != nil {
		p.log.Error("run of a pass not read: it ends the streak", "run", passed.RunID, "journey", passed.Journey, "err", err)
		return true
	}
	return run.Trigger.Stage.Traffic() == trigger.Live
}

// Record writes what d saw: a new page record when d paged, the last
// failure seen when it repeated. Call it for a page only once the page
// was published. A failed write is logged, never returned.
func (p *Pager) Record(ctx context.Context, d Decision) {
	if d.next.Journey == "" {
		return
	}
	if err := p.st.PutPage(ctx, d.next); err != nil {
		p.log.Error("page record not written", "environment", d.next.Environment, "journey", d.next.Journey, "repeat", d.Repeat, "err", err)
	}
}
