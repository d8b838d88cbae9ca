package sink

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/journeygate/journeygate/shared/journey"
)

// TokenHeader carries the sink token for senders that cannot set
// Authorization.
const TokenHeader = "X-Journeygate-Token"

// DefaultMaxBody bounds a delivery body when Config.MaxBody is zero.
const DefaultMaxBody = 1 << 20

// DefaultMaxPerRun bounds the deliveries kept per run when
// Config.MaxPerRun is zero.
const DefaultMaxPerRun = 1000

// CloseGrace bounds how long Close waits for deliveries in flight.
const CloseGrace = 2 * time.Second

// maxRunID bounds the length of a run ID, so a sender cannot make the sink
// keep arbitrarily large keys.
const maxRunID = 256

// ErrClosed is returned by Next once the sink is closed.
var ErrClosed = errors.New("sink closed")

// secretHeaders are never stored with a delivery.
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", TokenHeader, SignatureHeader}

// Config configures a Sink.
type Config struct {
	// Token, when set, must accompany every delivery as
	// "Authorization: Bearer <token>" or in the X-Journeygate-Token header.
	Token string
	// MaxBody bounds a delivery body in bytes (default 1 MiB); larger is 413.
	MaxBody int64
	// Correlate lists JSON Pointers (RFC 6901) tried in order on a JSON body
	// to find the run ID, e.g. "/groupLabels/jg_run".
	Correlate []string
	// MaxPerRun bounds the deliveries kept per run (default 1000); the
	// oldest are dropped first.
	MaxPerRun int
}

// Sink receives notifications over HTTP and serves them to journeys; it
// implements journey.SinkReader.
type Sink struct {
	cfg Config

	mu           sync.Mutex
	runs         map[string]*run
	unattributed int
	closing      bool
	closed       bool
	done         chan struct{}
	srv          *http.Server
	base         string

	// The SMTP listener (ListenSMTP): its server, domain and address, the
	// inboxes opened on it, and the recipients it refused.
	smtp        *smtp.Server
	smtpDomain  string
	smtpAddr    string
	inboxes     map[string]bool
	refusedMail int
	// refusedTo holds the last maxRefusedTo recipients refused, as sent.
	refusedTo []string

	// refusedSMS counts the texts the SMS route refused as malformed
	// (sms.go).
	refusedSMS int

	// unauthorized counts the deliveries refused for a missing or wrong
	// token, by kind of key (keyKind); challenged holds the texts the SMS
	// route challenged for credentials and that did not come back with
	// them (yet), as Twilio's do once challenged (sms.go).
	unauthorized map[string]int
	challenged   map[[sha256.Size]byte]bool
}

// run holds one run's retained deliveries. first is the absolute index of
// deliveries[0]; total counts every delivery ever received.
type run struct {
	deliveries []journey.Delivery
	first      int
	total      int
	wake       chan struct{} // closed and replaced on every arrival
}

var _ journey.SinkReader = (*Sink)(nil)

// New returns a sink configured by cfg.
func New(cfg Config) *Sink {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxPerRun <= 0 {
		cfg.MaxPerRun = DefaultMaxPerRun
	}
	cfg.Correlate = slices.Clone(cfg.Correlate)
	return &Sink{cfg: cfg, runs: map[string]*run{}, done: make(chan struct{})}
}

// Handler returns the HTTP handler that receives deliveries.
func (s *Sink) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Listen starts serving on addr (e.g. "127.0.0.1:0") and returns the base
// URL deliveries are sent to.
func (s *Sink) Listen(addr string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.closing {
		return "", ErrClosed
	}
	if s.srv != nil {
		return "", fmt.Errorf("sink already listening on %s", s.base)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sink listen on %s: %w", addr, err)
	}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.base = "http://" + ln.Addr().String()
	go s.srv.Serve(ln) //nolint:errcheck // Serve always returns ErrServerClosed after Close.
	return s.base, nil
}

// Close stops the server (if listening), letting deliveries in flight
// finish for up to CloseGrace, and wakes every Next with ErrClosed.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed || s.closing {
		s.mu.Unlock()
		return nil
	}
	s.closing = true
	srv, mailSrv := s.srv, s.smtp
	s.mu.Unlock()
	var err error
	if mailSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), CloseGrace)
		if mailSrv.Shutdown(ctx) != nil {
			mailSrv.Close() //nolint:errcheck // closing anyway
		}
		cancel()
	}
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), CloseGrace)
		if err = srv.Shutdown(ctx); err != nil {
			err = srv.Close()
		}
		cancel()
	}
	s.mu.Lock()
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	return err
}

// URL returns the endpoint the system under test delivers to for runID.
func (s *Sink) URL(runID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base + "/run/" + url.PathEscape(runID)
}

// Unattributed returns how many deliveries could not be attributed to a run.
func (s *Sink) Unattributed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unattributed
}

var _ journey.SinkTally = (*Sink)(nil)

// Elsewhere returns how many deliveries the sink received for runs other
// than runID, and for no run, so a journey's wait that times out can say
// whether notifications arrived at all (journey.SinkTally).
func (s *Sink) Elsewhere(runID string) (otherRuns, unattributed int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// An inbox counts other inboxes' mail and the recipients refused; a
	// number other numbers' texts and the texts refused; a run other
	// runs' webhooks and those for no run.
	kind := keyKind(runID)
	for id, r := range s.runs {
		if id != runID && keyKind(id) == kind {
			otherRuns += r.total
		}
	}
	switch kind {
	case journey.InboxKeyPrefix:
		return otherRuns, s.refusedMail
	case journey.SMSKeyPrefix:
		return otherRuns, s.refusedSMS
	}
	return otherRuns, s.unattributed
}

// Next returns runID's deliveries after cursor ("" = from the start) and
// the cursor to continue from, blocking until at least one exists or ctx
// ends. Deliveries dropped by the MaxPerRun bound are skipped.
func (s *Sink) Next(ctx context.Context, runID, cursor string) ([]journey.Delivery, string, error) {
	pos := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return nil, cursor, fmt.Errorf("invalid sink cursor %q: want a non-negative decimal index", cursor)
		}
		pos = n
	}
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, cursor, ErrClosed
		}
		r := s.run(runID)
		if pos > r.total {
			s.mu.Unlock()
			return nil, cursor, fmt.Errorf("sink cursor %d is ahead of run %q's %d deliveries", pos, runID, r.total)
		}
		if pos < r.total {
			from := max(pos, r.first) - r.first
			out := make([]journey.Delivery, 0, len(r.deliveries)-from)
			for _, d := range r.deliveries[from:] {
				out = append(out, clone(d))
			}
			next := strconv.Itoa(r.total)
			s.mu.Unlock()
			return out, next, nil
		}
		wake := r.wake
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, cursor, ctx.Err()
		case <-s.done:
		case <-wake:
		}
	}
}

// run returns runID's entry, creating it; s.mu must be held.
func (s *Sink) run(runID string) *run {
	r, ok := s.runs[runID]
	if !ok {
		r = &run{wake: make(chan struct{})}
		s.runs[runID] = r
	}
	return r
}

// store appends d to runID's deliveries, drops the oldest past the bound
// and wakes the run's readers.
func (s *Sink) store(runID string, header http.Header, body []byte) (journey.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return journey.Delivery{}, ErrClosed
	}
	r := s.run(runID)
	d := journey.Delivery{
		ID:         runID + "#" + strconv.Itoa(r.total+1),
		RunID:      runID,
		ReceivedAt: time.Now().UTC(),
		Header:     header,
		Body:       body,
	}
	if len(r.deliveries) >= s.cfg.MaxPerRun {
		drop := len(r.deliveries) - s.cfg.MaxPerRun + 1
		n := copy(r.deliveries, r.deliveries[drop:])
		clear(r.deliveries[n:])
		r.deliveries = r.deliveries[:n]
		r.first += drop
	}
	r.deliveries = append(r.deliveries, d)
	r.total++
	close(r.wake)
	r.wake = make(chan struct{})
	return d, nil
}

func (s *Sink) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	if path == "/healthz" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			reject(w, http.StatusMethodNotAllowed, "method %s not allowed on /healthz: use GET", r.Method)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n") //nolint:errcheck
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reject(w, http.StatusMethodNotAllowed, "method %s not allowed: the sink accepts deliveries by POST", r.Method)
		return
	}
	if s.cfg.Token != "" && !s.authorized(r) && !s.authorizedSMS(r, path) {
		s.refuseUnauthorized(r, path)
		w.Header().Set("WWW-Authenticate", Challenge(path))
		reject(w, http.StatusUnauthorized, "missing or wrong sink token: send \"Authorization: Bearer <token>\" or the %s header (on %s, also the token as a Basic password)", TokenHeader, SMSPath)
		return
	}
	// A malformed path is answered before the body is read; Attribute
	// applies every rule once the body is in.
	if _, _, err := pathRunID(path); err != nil {
		reject(w, http.StatusBadRequest, "%v", err)
		return
	}
	if r.ContentLength > s.cfg.MaxBody {
		reject(w, http.StatusRequestEntityTooLarge, "body of %d bytes exceeds the sink's limit of %d bytes", r.ContentLength, s.cfg.MaxBody)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			reject(w, http.StatusRequestEntityTooLarge, "body exceeds the sink's limit of %d bytes", s.cfg.MaxBody)
			return
		}
		reject(w, http.StatusBadRequest, "reading body: %v", err)
		return
	}
	if provider, ok, err := SMSRoute(path); ok {
		s.serveSMS(w, r.Header, body, provider, err)
		return
	}
	runID, _, err := Attribute(path, r.Header, body, s.cfg.Correlate)
	if err != nil {
		reject(w, http.StatusBadRequest, "%v", err)
		return
	}
	if runID == "" {
		s.mu.Lock()
		s.unattributed++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, "accepted but not attributed to any run (no /run/{runID} path, no %s header, %s); not stored\n", journey.RunHeader, pointers(s.cfg.Correlate)) //nolint:errcheck
		return
	}
	d, err := s.store(runID, storedHeader(r.Header), body)
	if err != nil {
		reject(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	w.Header().Set("X-Journeygate-Delivery", d.ID)
	w.WriteHeader(http.StatusNoContent)
}

// authorized reports whether r carries the sink token.
func (s *Sink) authorized(r *http.Request) bool {
	want := []byte(s.cfg.Token)
	if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) == 1 {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(r.Header.Get(TokenHeader)), want) == 1
}

// correlate returns the first non-empty string the Correlate pointers find
// in body, or "".
func (s *Sink) correlate(body []byte) string {
	if len(s.cfg.Correlate) == 0 {
		return ""
	}
	doc, err := journey.ParseJSON(body)
	if err != nil {
		return ""
	}
	for _, p := range s.cfg.Correlate {
		if id := strings.TrimSpace(doc.String(p)); id != "" {
			return id
		}
	}
	return ""
}

// pathRunID extracts the run ID from an escaped path /run/{runID}.
func pathRunID(escaped string) (runID string, ok bool, err error) {
	rest, found := strings.CutPrefix(escaped, "/run/")
	if !found {
		return "", false, nil
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return "", false, errors.New("empty run ID in path: deliver to /run/{runID}")
	}
	if strings.Contains(rest, "/") {
		return "", false, fmt.Errorf("path %q has extra segments: deliver to /run/{runID} (escape a / in the ID as %%2F)", "/run/"+rest)
	}
	id, err := url.PathUnescape(rest)
	if err != nil {
		return "", false, fmt.Errorf("run ID in path: %v", err)
	}
	// Trimmed as a header's or a body's run ID is: every route names a
	// run the same way.
	if id = strings.TrimSpace(id); id == "" {
		return "", false, errors.New("empty run ID in path: deliver to /run/{runID}")
	}
	return id, true, nil
}

// storedHeader copies h without credentials.
func storedHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, k := range secretHeaders {
		out.Del(k)
	}
	return out
}

func clone(d journey.Delivery) journey.Delivery {
	d.Header = d.Header.Clone()
	d.Body = slices.Clone(d.Body)
	return d
}

func pointers(ps []string) string {
	if len(ps) == 0 {
		return "no correlate pointers configured"
	}
	return "no run ID at " + strings.Join(ps, ", ")
}

func reject(w http.ResponseWriter, status int, format string, args ...any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	fmt.Fprintf(w, format+"\n", args...) //nolint:errcheck
}
