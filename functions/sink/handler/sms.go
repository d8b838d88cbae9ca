package handler

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/journeygate/journeygate/internal/sink"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/journey"
)

// handleSMS stores a text a provider posted to /sms or /sms/{provider}
// under its receiving number's key (sink.ParseSMS, journey.SMSKey), keyed
// by the request ID like any delivery; a text without a receiving number
// or with a malformed body is answered 400 (415 for a Content-Type that is
// neither a form nor JSON) and stored nowhere.
func (h *Handler) handleSMS(ctx context.Context, log *slog.Logger, req events.LambdaFunctionURLRequest, header http.Header, body []byte, provider string, routeErr error) events.LambdaFunctionURLResponse {
	key, stored, err := "", []byte(nil), routeErr
	if err == nil {
		key, stored, err = sink.ParseSMS(provider, header, body)
	}
	if err != nil {
		log.Info("text refused", "err", err)
		if errors.Is(err, sink.ErrSMSMediaType) {
			return respond(http.StatusUnsupportedMediaType, nil, "text not stored: %v", err)
		}
		return respond(http.StatusBadRequest, nil, "text not stored: %v", err)
	}
	id := req.RequestContext.RequestID
	if id == "" {
		id = h.newID()
	}
	d := journey.Delivery{ID: id, RunID: key, ReceivedAt: h.now().UTC(), Header: sink.StoredHeader(header), Body: stored}
	err = h.w.PutDelivery(ctx, d)
	switch {
	case err == nil, errors.Is(err, store.ErrExists):
	case errors.Is(err, store.ErrTooLarge):
		return respond(http.StatusRequestEntityTooLarge, nil, "%v", err)
	case errors.Is(err, store.ErrInvalid):
		return respond(http.StatusBadRequest, nil, "%v", err)
	default:
		log.Error("text not stored", "err", err)
		return respond(http.StatusServiceUnavailable, map[string]string{"Retry-After": "1"}, "text not stored; retry")
	}
	// The number is a leased resource's value, kept out of logs.
	log.Info("text stored", "provider", provider, "delivery", id, "bytes", len(stored))
	return events.LambdaFunctionURLResponse{StatusCode: http.StatusNoContent, Headers: map[string]string{"X-Journeygate-Delivery": id}}
}

// authenticateRoute is authenticate, except that on the SMS route the
// token is also accepted as the password of Basic credentials (any user
// name), which providers send from a webhook URL https://user:token@host/sms
// when challenged (sink.Challenge). Elsewhere Basic credentials are wrong.
func (h *Handler) authenticateRoute(path string, header http.Header, body []byte) auth {
	a := h.authenticate(header, body)
	if _, sms, _ := sink.SMSRoute(path); !sms || a == authOK || h.cfg.Token == "" {
		return a
	}
	if _, pass, ok := (&http.Request{Header: header}).BasicAuth(); ok && subtle.ConstantTimeCompare([]byte(pass), []byte(h.cfg.Token)) == 1 {
		return authOK
	}
	return a
}
