package sink

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/journeygate/journeygate/shared/journey"
)

// SMSPath is the route SMS providers post inbound texts to; /sms/{provider}
// names the provider ("twilio", "vonage") for the stored text.
const SMSPath = "/sms"

// maxProvider bounds a provider name in the path.
const maxProvider = 32

// ErrSMSMediaType is a text whose Content-Type is neither a form nor JSON:
// the sinks answer it 415.
var ErrSMSMediaType = errors.New("unsupported Content-Type")

// The provider fields each common field is read from, tried in order: the
// first names are Twilio's (form), then Vonage's (form or JSON), then the
// plain names a JSON-shaped provider or hand-written sender uses.
var (
	smsToFields   = []string{"To", "to"}
	smsFromFields = []string{"From", "msisdn", "from"}
	smsTextFields = []string{"Body", "text", "body"}
	smsIDFields   = []string{"MessageSid", "SmsSid", "messageId", "message_id", "id"}
)

// SMSRoute reports whether escapedPath is the SMS route, /sms or
// /sms/{provider}, and the provider it names ("" for /sms). err is a
// malformed SMS path, answered 400.
func SMSRoute(escapedPath string) (provider string, ok bool, err error) {
	if escapedPath == SMSPath || escapedPath == SMSPath+"/" {
		return "", true, nil
	}
	rest, found := strings.CutPrefix(escapedPath, SMSPath+"/")
	if !found {
		return "", false, nil
	}
	rest = strings.TrimSuffix(rest, "/")
	if len(rest) > maxProvider || strings.IndexFunc(rest, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-'
	}) >= 0 {
		return "", true, fmt.Errorf("path %q: post texts to %s or %s/{provider}, the provider in lowercase letters, digits and dashes (at most %d)", escapedPath, SMSPath, SMSPath, maxProvider)
	}
	return rest, true, nil
}

// ParseSMS reads an inbound text a provider posted to the SMS route: a
// form (application/x-www-form-urlencoded, as Twilio and Vonage post) or
// a JSON object, by Content-Type (without one, a body starting with "{"
// is JSON). It returns the SinkReader key of the receiving number
// (journey.SMSKey) and the body to store (journey.SMSBody, the request
// body kept as raw). An error says what is missing or malformed, for a
// 400 answer; ErrSMSMediaType for any other Content-Type, for a 415.
func ParseSMS(provider string, header http.Header, body []byte) (key string, stored []byte, err error) {
	fields, err := smsFields(header.Get("Content-Type"), body)
	if err != nil {
		return "", nil, err
	}
	get := func(names []string) string {
		for _, n := range names {
			if v := strings.TrimSpace(fields[n]); v != "" {
				return v
			}
		}
		return ""
	}
	to := get(smsToFields)
	if to == "" {
		return "", nil, fmt.Errorf("no receiving number: the text has no %s field (fields present: %s)", strings.Join(smsToFields, " or "), fieldNames(fields))
	}
	key, err = journey.SMSKey(to)
	if err != nil {
		return "", nil, fmt.Errorf("receiving number: %w", err)
	}
	if provider == "" {
		provider = guessProvider(fields)
	}
	var text string // as sent: not trimmed
	for _, n := range smsTextFields {
		if text = fields[n]; text != "" {
			break
		}
	}
	return key, journey.SMSBody(provider, get(smsIDFields), get(smsFromFields), strings.TrimPrefix(key, journey.SMSKeyPrefix), text, body), nil
}

// smsFields decodes a text's body into its top-level fields.
func smsFields(contentType string, body []byte) (map[string]string, error) {
	kind := ""
	if strings.TrimSpace(contentType) == "" {
		kind = "form"
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
			kind = "json"
		}
	} else {
		mt, _, err := mime.ParseMediaType(contentType)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%w %q: %v", ErrSMSMediaType, contentType, err)
		case mt == "application/x-www-form-urlencoded":
			kind = "form"
		case mt == "application/json" || strings.HasSuffix(mt, "+json"):
			kind = "json"
		default:
			return nil, fmt.Errorf("%w %q for a text: send application/x-www-form-urlencoded or application/json", ErrSMSMediaType, mt)
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("empty %s body: a text needs at least its receiving number (%s)", kind, strings.Join(smsToFields, " or "))
	}
	fields := map[string]string{}
	if kind == "form" {
		vs, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("malformed form body: %v", err)
		}
		for k, v := range vs {
			fields[k] = v[0]
		}
		return fields, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("malformed JSON body: want an object of the text's fields: %v", err)
	}
	if dec.More() {
		return nil, errors.New("malformed JSON body: data after the object")
	}
	for k, v := range doc {
		switch v := v.(type) {
		case string:
			fields[k] = v
		case json.Number:
			fields[k] = v.String()
		default:
			// Other values are the provider's business, but not where a
			// number or the text belongs.
			for _, names := range [][]string{smsToFields, smsFromFields, smsTextFields, smsIDFields} {
				if slices.Contains(names, k) {
					return nil, fmt.Errorf("field %q is %s: want a string", k, jsonKind(v))
				}
			}
		}
	}
	return fields, nil
}

// jsonKind names the kind of a decoded JSON value for an error.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	default:
		return "an object"
	}
}

// guessProvider names the provider whose field names the text uses.
func guessProvider(fields map[string]string) string {
	switch {
	case fields["MessageSid"] != "" || fields["SmsSid"] != "" || fields["AccountSid"] != "":
		return "twilio"
	case fields["msisdn"] != "" || fields["messageId"] != "":
		return "vonage"
	}
	return ""
}

// fieldNames lists a text's field names for an error, sorted and bounded.
func fieldNames(fields map[string]string) string {
	if len(fields) == 0 {
		return "none"
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, fmt.Sprintf("%q", k))
	}
	sort.Strings(names)
	const most = 8
	if len(names) > most {
		names = append(names[:most], fmt.Sprintf("and %d more", len(names)-most))
	}
	return strings.Join(names, ", ")
}

// serveSMS stores a text posted to the SMS route under its receiving
// number's key, or answers why not and stores nothing.
func (s *Sink) serveSMS(w http.ResponseWriter, header http.Header, body []byte, provider string, routeErr error) {
	// A text challenged for credentials came back with them.
	s.mu.Lock()
	delete(s.challenged, sha256.Sum256(body))
	s.mu.Unlock()
	key, stored, err := "", []byte(nil), routeErr
	if err == nil {
		key, stored, err = ParseSMS(provider, header, body)
	}
	if err != nil {
		s.mu.Lock()
		s.refusedSMS++
		s.mu.Unlock()
		status := http.StatusBadRequest
		if errors.Is(err, ErrSMSMediaType) {
			status = http.StatusUnsupportedMediaType
		}
		reject(w, status, "text not stored: %v", err)
		return
	}
	d, err := s.store(key, storedHeader(header), stored)
	if err != nil {
		reject(w, http.StatusServiceUnavailable, "%v", err)
		return
	}
	w.Header().Set("X-Journeygate-Delivery", d.ID)
	w.WriteHeader(http.StatusNoContent)
}

// maxChallenged bounds the texts challenged for credentials the sink
// remembers (Sink.challenged).
const maxChallenged = 1000

// refuseUnauthorized counts r, refused for a missing or wrong token on
// escapedPath, for Unauthorized. A text posted to the SMS route without
// any credentials is the first half of a provider's handshake (Twilio
// sends the webhook URL's credentials only once challenged): it is
// remembered by its body, and counts only until it comes back with
// credentials, right (serveSMS) or wrong (counted then).
func (s *Sink) refuseUnauthorized(r *http.Request, escapedPath string) {
	kind := ""
	var sum *[sha256.Size]byte
	if _, ok, _ := SMSRoute(escapedPath); ok {
		kind = journey.SMSKeyPrefix
		body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBody+1))
		if err == nil && int64(len(body)) <= s.cfg.MaxBody {
			h := sha256.Sum256(body)
			sum = &h
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sum != nil {
		if r.Header.Get("Authorization") == "" && r.Header.Get(TokenHeader) == "" {
			if s.challenged == nil {
				s.challenged = map[[sha256.Size]byte]bool{}
			}
			if len(s.challenged) < maxChallenged {
				s.challenged[*sum] = true
			}
			return
		}
		delete(s.challenged, *sum)
	}
	if s.unauthorized == nil {
		s.unauthorized = map[string]int{}
	}
	s.unauthorized[kind]++
}

var _ journey.SinkRefusals = (*Sink)(nil)

// Unauthorized returns how many deliveries of key's kind the sink refused
// for a missing or wrong token (journey.SinkRefusals): a run's webhooks,
// a number's texts (those challenged that never came back with
// credentials among them); never an inbox's mail, which needs no token.
func (s *Sink) Unauthorized(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	kind := keyKind(key)
	n := s.unauthorized[kind]
	if kind == journey.SMSKeyPrefix {
		n += len(s.challenged)
	}
	return n
}

// keyKind is the kind of SinkReader key: journey.InboxKeyPrefix,
// journey.SMSKeyPrefix, or "" for a run ID.
func keyKind(key string) string {
	for _, p := range []string{journey.InboxKeyPrefix, journey.SMSKeyPrefix} {
		if strings.HasPrefix(key, p) {
			return p
		}
	}
	return ""
}

// Challenge is the WWW-Authenticate challenge a sink answers an
// unauthenticated request to escapedPath with: Basic on the SMS route,
// since providers such as Twilio send credentials from the webhook URL's
// user info only when challenged for them, Bearer elsewhere.
func Challenge(escapedPath string) string {
	if _, ok, _ := SMSRoute(escapedPath); ok {
		return `Basic realm="journeygate-sink"`
	}
	return `Bearer realm="journeygate-sink"`
}

// authorizedSMS reports whether r, on the SMS route, carries the token as
// the password of Basic credentials (any user name): what providers send
// from a webhook URL https://user:token@host/sms. Elsewhere only the
// bearer token and the token header count.
func (s *Sink) authorizedSMS(r *http.Request, escapedPath string) bool {
	if _, ok, _ := SMSRoute(escapedPath); !ok {
		return false
	}
	_, pass, ok := r.BasicAuth()
	return ok && subtle.ConstantTimeCompare([]byte(pass), []byte(s.cfg.Token)) == 1
}
