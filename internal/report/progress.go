package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// Progress shows journey events as they happen. Observe is safe for
// concurrent use, since journeys run in parallel.
//
// In plain mode (for logs and pipes) it writes one line per journey start,
// finished step and journey end; step starts print nothing, so each step
// has exactly one line, carrying its outcome. In live mode (for a terminal)
// it keeps a block of one line per journey and redraws it in place with ANSI
// escapes, with a spinner and the running step's elapsed time; call Stop
// when the run ends to draw the final state and release the redraw timer.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	live  bool
	width int
	now   func() time.Time

	order  []string
	states map[string]*progressState
	// unpassed holds, per journey, how its last finished attempt ended
	// when it did not pass: a retry follows it, and a pass after it is
	// passed-flaky.
	unpassed map[string]journey.Outcome
	drawn    int // lines of the live block on screen
	frame    int

	started bool
	stopped bool
	done    chan struct{}
	wg      sync.WaitGroup
}

// progressState is what live mode knows about one journey.
type progressState struct {
	started   time.Time
	index     int // 0-based index of the running or last step
	count     int
	step      string
	stepStart time.Time
	result    *journey.Result
	attempt   int             // the running or last attempt
	after     journey.Outcome // how the attempt before it ended, if retried
}

// ProgressOption configures a Progress.
type ProgressOption func(*Progress)

// WithWidth bounds live-mode lines to n columns (default 80), so a narrow
// terminal does not wrap them and break the in-place redraw.
func WithWidth(n int) ProgressOption {
	return func(p *Progress) {
		if n > 0 {
			p.width = n
		}
	}
}

// liveInterval is how often live mode redraws to advance the spinner.
const liveInterval = 120 * time.Millisecond

// plainMessageRunes bounds a step message on a plain progress line.
const plainMessageRunes = 200

var spinner = []string{"|", "/", "-", `\`}

// NewProgress returns a Progress writing to w: live redraws in place (use it
// only when w is a terminal), otherwise one line per event.
func NewProgress(w io.Writer, live bool, opts ...ProgressOption) *Progress {
	p := &Progress{
		w: w, live: live, width: 80, now: time.Now,
		states: map[string]*progressState{}, unpassed: map[string]journey.Outcome{}, done: make(chan struct{}),
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Observe records one event; it has the signature journey.Options.Observe
// expects.
func (p *Progress) Observe(e journey.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	after := p.unpassed[e.Journey]
	if e.Kind == journey.JourneyFinished {
		if e.Result != nil && e.Result.Outcome.OK() {
			delete(p.unpassed, e.Journey)
		} else {
			p.unpassed[e.Journey] = journey.Errored
			if e.Result != nil {
				p.unpassed[e.Journey] = e.Result.Outcome
			}
		}
	}
	if !p.live {
		if line, ok := plainLine(e, after); ok {
			io.WriteString(p.w, termSafe(line)+"\n")
		}
		return
	}
	p.update(e, after)
	if p.stopped {
		return
	}
	if !p.started {
		p.started = true
		p.wg.Add(1)
		go p.tick()
	}
	p.redraw()
}

// Stop ends live mode: it stops the redraw timer and draws the final state
// once more. Later events are recorded but not drawn. It is safe to call
// more than once, and does nothing in plain mode.
func (p *Progress) Stop() {
	p.mu.Lock()
	if !p.live || p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	close(p.done)
	p.mu.Unlock()
	p.wg.Wait()

	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.order) > 0 {
		p.redraw()
	}
}

// tick advances the spinner until Stop.
func (p *Progress) tick() {
	defer p.wg.Done()
	t := time.NewTicker(liveInterval)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			p.mu.Lock()
			if !p.stopped {
				p.frame++
				p.redraw()
			}
			p.mu.Unlock()
		}
	}
}

// update folds an event into the live state; after is how the journey's
// previous attempt ended when it did not pass. The caller holds p.mu.
func (p *Progress) update(e journey.Event, after journey.Outcome) {
	st, ok := p.states[e.Journey]
	if !ok {
		st = &progressState{started: p.now(), index: -1}
		p.states[e.Journey] = st
		p.order = append(p.order, e.Journey)
	}
	st.count = e.StepCount
	switch e.Kind {
	case journey.JourneyStarted:
		st.started = p.now()
		st.attempt, st.after, st.result, st.index = e.Attempt, after, nil, -1
	case journey.StepStarted:
		st.index, st.step, st.stepStart = e.Index, e.StepName, p.now()
	case journey.StepFinished:
		st.index, st.step = e.Index, e.StepName
	case journey.JourneyFinished:
		if e.Result != nil {
			res := *e.Result
			st.result = &res
		} else {
			st.result = &journey.Result{Journey: e.Journey, Outcome: journey.Errored, Elapsed: p.now().Sub(st.started)}
		}
	}
}

// redraw moves the cursor to the top of the block and rewrites every line.
// The block only grows, so each redraw covers all earlier lines. The caller
// holds p.mu.
func (p *Progress) redraw() {
	nameWidth := 0
	for _, name := range p.order {
		nameWidth = max(nameWidth, len([]rune(name)))
	}
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, name := range p.order {
		b.WriteString("\r\x1b[2K")
		b.WriteString(clip(termSafe(p.liveLine(name, nameWidth)), p.width))
		b.WriteString("\n")
	}
	p.drawn = len(p.order)
	io.WriteString(p.w, b.String())
}

// liveLine renders one journey's line of the live block.
func (p *Progress) liveLine(name string, nameWidth int) string {
	st := p.states[name]
	pad := name + strings.Repeat(" ", nameWidth-len([]rune(name)))
	if res := st.result; res != nil {
		mark := "ok  "
		if res.Outcome != journey.Passed {
			mark = "FAIL"
		}
		line := fmt.Sprintf("%s %s  %s in %s", mark, pad, class(res.Outcome, st.after), dur(res.Elapsed))
		if i := res.FailedStep(); i >= 0 {
			line += fmt.Sprintf(" at %d/%d %s", i+1, len(res.Steps), res.Steps[i].Name)
		}
		if st.attempt > 1 {
			line += fmt.Sprintf(" (attempt %d)", st.attempt)
		}
		return line
	}
	spin := spinner[p.frame%len(spinner)]
	if p.stopped {
		spin = "?"
	}
	elapsed := dur(p.now().Sub(st.started).Truncate(100 * time.Millisecond))
	if st.index < 0 {
		line := fmt.Sprintf("%s    %s  starting (%s)", spin, pad, elapsed)
		if p.stopped {
			line += ", did not finish"
		}
		return line
	}
	line := fmt.Sprintf("%s    %s  %d/%d %s (%s)", spin, pad, st.index+1, st.count, st.step, elapsed)
	if st.attempt > 1 {
		line += fmt.Sprintf(", attempt %d after %s", st.attempt, orDash(string(st.after)))
	}
	if p.stopped {
		line += ", did not finish"
	}
	return line
}

// class is how a journey attempt that ended in outcome reads: passed-flaky
// when it passed right after an attempt that did not (after is set).
func class(outcome, after journey.Outcome) journey.Outcome {
	if outcome == journey.Passed && after != "" {
		return journey.PassedFlaky
	}
	return outcome
}

// plainLine renders one event for plain mode; step starts print nothing.
// after is how the journey's previous attempt ended when it did not pass.
func plainLine(e journey.Event, after journey.Outcome) (string, bool) {
	switch e.Kind {
	case journey.JourneyStarted:
		unit := "steps"
		if e.StepCount == 1 {
			unit = "step"
		}
		if e.Attempt > 1 {
			return fmt.Sprintf("retry %s: attempt %d after %s (%d %s)", e.Journey, e.Attempt, orDash(string(after)), e.StepCount, unit), true
		}
		return fmt.Sprintf("start %s (%d %s)", e.Journey, e.StepCount, unit), true
	case journey.StepFinished:
		if e.Step == nil {
			return "", false
		}
		s := e.Step
		mark := "ok  "
		switch s.Outcome {
		case journey.Passed:
		case journey.Errored:
			mark = "ERR "
		default:
			mark = "FAIL"
		}
		line := fmt.Sprintf("  %s %s %d/%d %s", mark, e.Journey, e.Index+1, e.StepCount, e.StepName)
		if s.Outcome == journey.Passed {
			return line + fmt.Sprintf(" (%s, SLA %s)", overrun(s.Elapsed, s.SLA), dur(s.SLA)), true
		}
		line += fmt.Sprintf(": %s (%s, SLA %s)", s.Outcome, overrun(s.Elapsed, s.SLA), dur(s.SLA))
		if s.Message != "" {
			line += ": " + oneLine(s.Message, plainMessageRunes)
		}
		return line, true
	case journey.JourneyFinished:
		if e.Result == nil {
			return fmt.Sprintf("done  %s", e.Journey), true
		}
		line := fmt.Sprintf("done  %s %s in %s", e.Journey, class(e.Result.Outcome, after), dur(e.Result.Elapsed))
		if c := e.Result.CleanupElapsed; c > 0 {
			line += ", cleanup " + dur(c)
		}
		if e.Attempt > 1 {
			line += fmt.Sprintf(" (attempt %d)", e.Attempt)
		}
		return line, true
	default:
		return "", false
	}
}
