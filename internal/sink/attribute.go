package sink

import (
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/journeygate/journeygate/shared/journey"
)

// SignatureHeader carries an HMAC-SHA256 signature of a delivery's body,
// "sha256=<hex>", for senders that sign instead of sending a token. Like
// the token, it is never stored.
const SignatureHeader = "X-Journeygate-Signature"

// MaxRunIDLen bounds a delivery's run ID.
const MaxRunIDLen = maxRunID

// Attribute finds the run a delivery belongs to by the rules the sink
// applies: the escaped path /run/{runID}, then the X-Journeygate-Run
// header, then the first correlate JSON Pointer finding a string in body.
// how is "path", "header" or "body"; runID "" means unattributed. err is a
// malformed path or an over-long run ID, which the sink answers with 400.
func Attribute(escapedPath string, header http.Header, body []byte, correlate []string) (runID, how string, err error) {
	runID, fromPath, err := pathRunID(escapedPath)
	if err != nil {
		return "", "", err
	}
	how = "path"
	if !fromPath {
		runID, how = strings.TrimSpace(header.Get(journey.RunHeader)), "header"
		if runID == "" {
			runID, how = (&Sink{cfg: Config{Correlate: correlate}}).correlate(body), "body"
		}
	}
	if runID == "" {
		return "", "", nil
	}
	if err := checkRunID(runID, how); err != nil {
		return "", how, err
	}
	return runID, how, nil
}

// checkRunID rejects a run ID no run can have, so it is never stored: too
// long, not UTF-8, holding a control character (the store's keys are
// UTF-8 without NUL; a control character only garbles logs), or naming an
// inbox or a number instead of a run.
func checkRunID(runID, how string) error {
	if len(runID) > maxRunID {
		return fmt.Errorf("run ID (from %s) is %d bytes long; at most %d allowed", how, len(runID), maxRunID)
	}
	if !utf8.ValidString(runID) {
		return fmt.Errorf("run ID (from %s) %q is not valid UTF-8", how, runID)
	}
	if i := strings.IndexFunc(runID, unicode.IsControl); i >= 0 {
		return fmt.Errorf("run ID (from %s) %q has a control character at byte %d; run IDs are printable", how, runID, i)
	}
	// An inbox's mail and a number's texts are stored under these keys:
	// a webhook naming one as its run would land among them.
	for _, p := range []string{journey.InboxKeyPrefix, journey.SMSKeyPrefix} {
		if strings.HasPrefix(runID, p) {
			return fmt.Errorf("run ID (from %s) %q starts with %q, which no run ID does: mail and texts are delivered by SMTP and to /sms, not as webhooks", how, runID, p)
		}
	}
	return nil
}

// StoredHeader returns a copy of h without credentials (Authorization,
// the token and signature headers, cookies), as a delivery is stored.
func StoredHeader(h http.Header) http.Header {
	out := storedHeader(h)
	out.Del(SignatureHeader)
	return out
}
