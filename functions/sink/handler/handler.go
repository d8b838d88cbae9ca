package handler

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/shared/trigger"
)

// DeliveryWriter stores a delivery (store.DeliveryStore's write half).
type DeliveryWriter interface {
	// PutDelivery stores d once.
	PutDelivery(ctx context.Context, d journey.Delivery) error
}

// Config is the sink's per-environment configuration. Token or HMACSecret
// (or both) must be set: a sink in the cloud never accepts anonymous
// deliveries.
type Config struct {
	// Token is the environment's secret token.
	Token string
	// HMACSecret is the key of X-Journeygate-Signature.
	HMACSecret string
	// MaxBody bounds a delivery body in bytes (default sink.DefaultMaxBody).
	MaxBody int64
	// Correlate lists JSON Pointers that find the run ID in a body.
	Correlate []string
}

// Handler is the sink Lambda's handler.
type Handler struct {
	cfg   Config
	w     DeliveryWriter
	log   *slog.Logger
	now   func() time.Time
	newID func() string
}

// Option configures optional dependencies of a Handler.
type Option func(*Handler)

// WithLogger sets the structured logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithClock sets the clock deliveries are stamped with (default time.Now).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithNewID sets how a delivery without a request ID gets one.
func WithNewID(f func() string) Option { return func(h *Handler) { h.newID = f } }

// New returns a sink storing through w.
func New(cfg Config, w DeliveryWriter, opts ...Option) (*Handler, error) {
	var errs []error
	if cfg.Token == "" && cfg.HMACSecret == "" {
		errs = append(errs, errors.New("neither a token nor an HMAC secret: refusing to accept anonymous deliveries"))
	}
	if w == nil {
		errs = append(errs, errors.New("no delivery store"))
	}
	if cfg.MaxBody < 0 {
		errs = append(errs, fmt.Errorf("max body %d is negative", cfg.MaxBody))
	}
	for i, p := range cfg.Correlate {
		if !strings.HasPrefix(p, "/") {
			errs = append(errs, fmt.Errorf("correlate entry %d %q is not a JSON Pointer", i+1, p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sink handler: %w", err)
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = sink.DefaultMaxBody
	}
	h := &Handler{cfg: cfg, w: w, now: time.Now, newID: func() string { return trigger.NewRunID(time.Now()) }}
	for _, o := range opts {
		o(h)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// Handle answers one function URL request.
func (h *Handler) Handle(ctx context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	method := req.RequestContext.HTTP.Method
	path := req.RawPath
	if path == "" {
		path = "/"
	}
	log := h.log.With("request", req.RequestContext.RequestID, "method", method, "path", path)
	if path == "/healthz" {
		if method != http.MethodGet && method != http.MethodHead {
			return respond(http.StatusMethodNotAllowed, map[string]string{"Allow": "GET, HEAD"}, "method %q not allowed on /healthz: use GET", method), nil
		}
		return respond(http.StatusOK, nil, "ok"), nil
	}
	if method != http.MethodPost {
		return respond(http.StatusMethodNotAllowed, map[string]string{"Allow": http.MethodPost}, "method %q not allowed: the sink accepts deliveries by POST", method), nil
	}
	header := http.Header{}
	for k, v := range req.Headers {
		header.Set(k, v)
	}
	if n, err := strconv.ParseInt(header.Get("Content-Length"), 10, 64); err == nil && n > h.cfg.MaxBody {
		return tooLarge(n, h.cfg.MaxBody), nil
	}
	body, status, err := h.body(req)
	if err != nil {
		if status == http.StatusRequestEntityTooLarge {
			return tooLarge(-1, h.cfg.MaxBody), nil
		}
		return respond(status, nil, "%v", err), nil
	}
	switch h.authenticateRoute(path, header, body) {
	case authMissing:
		log.Warn("delivery without credentials rejected")
		return respond(http.StatusUnauthorized, map[string]string{"WWW-Authenticate": sink.Challenge(path)},
			"missing credentials: send \"Authorization: Bearer <token>\", the %s header, an HMAC-SHA256 %s of the body, or on %s the token as a Basic password", sink.TokenHeader, sink.SignatureHeader, sink.SMSPath), nil
	case authWrong:
		log.Warn("delivery with wrong credentials rejected")
		return respond(http.StatusForbidden, nil, "wrong sink token or signature"), nil
	}
	if provider, ok, err := sink.SMSRoute(path); ok {
		return h.handleSMS(ctx, log, req, header, body, provider, err), nil
	}
	runID, how, err := sink.Attribute(path, header, body, h.cfg.Correlate)
	if err != nil {
		return respond(http.StatusBadRequest, nil, "%v", err), nil
	}
	if runID == "" {
		log.Info("delivery not attributed to any run; not stored")
		where := "no correlate pointers configured"
		if len(h.cfg.Correlate) > 0 {
			where = "no run ID at " + strings.Join(h.cfg.Correlate, ", ")
		}
		return respond(http.StatusAccepted, nil, "accepted but not attributed to any run (no /run/{runID} path, no %s header, %s); not stored", journey.RunHeader, where), nil
	}
	id := req.RequestContext.RequestID
	if id == "" {
		id = h.newID()
	}
	d := journey.Delivery{ID: id, RunID: runID, ReceivedAt: h.now().UTC(), Header: sink.StoredHeader(header), Body: body}
	err = h.w.PutDelivery(ctx, d)
	switch {
	case err == nil, errors.Is(err, store.ErrExists):
	case errors.Is(err, store.ErrTooLarge):
		return respond(http.StatusRequestEntityTooLarge, nil, "%v", err), nil
	case errors.Is(err, store.ErrInvalid):
		return respond(http.StatusBadRequest, nil, "%v", err), nil
	default:
		log.Error("delivery not stored", "run", runID, "err", err)
		return respond(http.StatusServiceUnavailable, map[string]string{"Retry-After": "1"}, "delivery not stored; retry"), nil
	}
	log.Info("delivery stored", "run", runID, "by", how, "delivery", id, "bytes", len(body))
	return events.LambdaFunctionURLResponse{StatusCode: http.StatusNoContent, Headers: map[string]string{"X-Journeygate-Delivery": id}}, nil
}

// body decodes the request body within the size bound.
func (h *Handler) body(req events.LambdaFunctionURLRequest) ([]byte, int, error) {
	if !req.IsBase64Encoded {
		if int64(len(req.Body)) > h.cfg.MaxBody {
			return nil, http.StatusRequestEntityTooLarge, errors.New("too large")
		}
		return []byte(req.Body), 0, nil
	}
	if int64(base64.StdEncoding.DecodedLen(len(req.Body))) > h.cfg.MaxBody+2 {
		return nil, http.StatusRequestEntityTooLarge, errors.New("too large")
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("body is not valid base64: %v", err)
	}
	if int64(len(b)) > h.cfg.MaxBody {
		return nil, http.StatusRequestEntityTooLarge, errors.New("too large")
	}
	return b, 0, nil
}

// auth is the result of checking a request's credentials.
type auth int

const (
	authOK auth = iota
	authMissing
	authWrong
)

// authenticate accepts the token or a valid signature; any credential
// presented that does not match makes the request wrong, not missing.
func (h *Handler) authenticate(header http.Header, body []byte) auth {
	presented := false
	if h.cfg.Token != "" {
		want := []byte(h.cfg.Token)
		if got, ok := strings.CutPrefix(header.Get("Authorization"), "Bearer "); ok {
			presented = true
			if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), want) == 1 {
				return authOK
			}
		}
		if got := header.Get(sink.TokenHeader); got != "" {
			presented = true
			if subtle.ConstantTimeCompare([]byte(got), want) == 1 {
				return authOK
			}
		}
	}
	if h.cfg.HMACSecret != "" {
		if sig := header.Get(sink.SignatureHeader); sig != "" {
			presented = true
			if hmac.Equal([]byte(strings.ToLower(strings.TrimSpace(sig))), []byte(Sign(h.cfg.HMACSecret, body))) {
				return authOK
			}
		}
	}
	if !presented && (header.Get("Authorization") != "" || header.Get(sink.TokenHeader) != "" || header.Get(sink.SignatureHeader) != "") {
		presented = true // a credential of a kind this sink does not accept
	}
	if presented {
		return authWrong
	}
	return authMissing
}

// Sign returns the X-Journeygate-Signature value of body under secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func tooLarge(n, limit int64) events.LambdaFunctionURLResponse {
	if n >= 0 {
		return respond(http.StatusRequestEntityTooLarge, nil, "body of %d bytes exceeds the sink's limit of %d bytes", n, limit)
	}
	return respond(http.StatusRequestEntityTooLarge, nil, "body exceeds the sink's limit of %d bytes", limit)
}

func respond(status int, headers map[string]string, format string, args ...any) events.LambdaFunctionURLResponse {
	h := map[string]string{"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}
	for k, v := range headers {
		h[k] = v
	}
	return events.LambdaFunctionURLResponse{StatusCode: status, Headers: h, Body: fmt.Sprintf(format, args...) + "\n"}
}
