package journey

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// RunHeader carries the run ID on every request, so the system under test's
// logs and traces can be correlated with a journey run.
const RunHeader = "X-Journeygate-Run"

// HTTPClient calls one target of the run's environment. Every exchange is
// kept (bounded) as evidence of the current step.
type HTTPClient struct {
	t      *T
	target string
	base   string
	known  bool
	// declared says the journey lists the target in Journey.Targets.
	declared bool
	client   *http.Client
	header   http.Header
}

// Response is a bounded HTTP response.
type Response struct {
	Method    string
	URL       string
	Status    int
	Header    http.Header
	Body      []byte
	Truncated bool
	Elapsed   time.Duration
	// t redacts the excerpts assertions quote; nil for a Response built
	// outside a journey.
	t *T
}

// WithHeader returns a client that also sends the header key: value on
// every request, e.g. an API key from a leased resource. Headers are not
// kept as evidence.
func (c *HTTPClient) WithHeader(key, value string) *HTTPClient {
	out := *c
	out.header = c.header.Clone()
	if out.header == nil {
		out.header = http.Header{}
	}
	out.header.Set(key, value)
	return &out
}

// BaseURL returns the target's base URL in this environment.
func (c *HTTPClient) BaseURL() string { return c.base }

// Get sends a GET to path (relative to the target's base URL).
func (c *HTTPClient) Get(ctx context.Context, path string) (*Response, error) {
	return c.Do(ctx, http.MethodGet, path, nil)
}

// Post sends body as JSON (or as is, for []byte and string) to path.
func (c *HTTPClient) Post(ctx context.Context, path string, body any) (*Response, error) {
	return c.Do(ctx, http.MethodPost, path, body)
}

// Delete sends a DELETE to path.
func (c *HTTPClient) Delete(ctx context.Context, path string) (*Response, error) {
	return c.Do(ctx, http.MethodDelete, path, nil)
}

// Do sends a request. body may be nil, []byte, string, or a value encoded as
// JSON. A transport fault returns an infrastructure error; any HTTP status
// returns a Response (see Response.Expect). A target the journey does not
// declare (Journey.Targets), or the environment does not define, is an
// error that also ends an Eventually at once: asking again cannot help.
func (c *HTTPClient) Do(ctx context.Context, method, path string, body any) (*Response, error) {
	if !c.declared {
		return nil, c.t.undeclaredTarget(c.target)
	}
	if !c.known {
		return nil, Stop(fmt.Errorf("target %q is not defined in environment %q", c.target, c.t.Environment()))
	}
	var payload []byte
	contentType := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		payload = b
	case string:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			return nil, fmt.Errorf("encode request body: %w", err)
		}
		contentType = "application/json"
	}
	url := strings.TrimRight(c.base, "/") + "/" + strings.TrimLeft(path, "/")
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("build request %s %s: %w", method, url, err)
	}
	for k, vs := range c.header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set(RunHeader, c.t.RunID())
	limit := c.t.opts.excerptLimit()
	label := c.t.redact(method + " " + url)
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.addExchange(Evidence{Label: label, Detail: c.t.requestDetail(payload, limit) + "→ no answer: " + c.t.redact(transportDetail(err))})
		err = &TransportError{Method: method, URL: url, Err: err}
		if ctx.Err() != nil {
			// The step's deadline (or the run) ended the call: the target was
			// too slow, which is the SLA's business, not an infrastructure fault.
			return nil, err
		}
		return nil, Infra(err)
	}
	defer resp.Body.Close()
	headers := time.Since(start)
	max := c.t.opts.maxBody()
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	r := &Response{Method: method, URL: url, Status: resp.StatusCode, Header: resp.Header, Elapsed: time.Since(start), t: c.t}
	if int64(len(data)) > max {
		data, r.Truncated = data[:max], true
	}
	r.Body = data
	detail := c.t.requestDetail(payload, limit) + answerLine(resp.StatusCode, headers, r.Elapsed, err)
	if len(data) > 0 {
		detail += "\n" + c.t.excerpt(data, limit)
	}
	if r.Truncated {
		detail += fmt.Sprintf("\n(body cut at %d bytes)", max)
	}
	c.t.addExchange(Evidence{Label: label, Detail: detail})
	if err != nil {
		err = &TransportError{Method: method, URL: url, Reading: true, Err: err}
		if ctx.Err() != nil {
			return r, err
		}
		return r, Infra(err)
	}
	return r, nil
}

func (t *T) requestDetail(payload []byte, limit int) string {
	if len(payload) == 0 {
		return ""
	}
	return t.excerpt(payload, limit) + "\n"
}

// cut is excerpt, redacting first when the response came from a journey.
func (r *Response) cut(b []byte, limit int) string {
	if r.t == nil {
		return excerpt(b, limit)
	}
	return r.t.excerpt(b, limit)
}

// Expect returns nil when the status is one of codes (any 2xx when codes is
// empty), else a *StatusError: a 5xx is an infrastructure fault, anything
// else (a 4xx client error, say) a failed assertion, which ends an
// Eventually at once.
func (r *Response) Expect(codes ...int) error {
	ok := false
	want := "2xx"
	if len(codes) == 0 {
		ok = r.Status >= 200 && r.Status < 300
	} else {
		parts := make([]string, len(codes))
		for i, c := range codes {
			parts[i] = fmt.Sprint(c)
			ok = ok || r.Status == c
		}
		want = strings.Join(parts, " or ")
	}
	if ok {
		return nil
	}
	se := &StatusError{Method: r.Method, URL: r.URL, Status: r.Status, Want: want, Excerpt: r.cut(r.Body, 256)}
	if r.Status >= 500 {
		return se
	}
	return &Failure{Msg: se.Error()}
}

// JSON decodes the body into v. A body that is not the expected JSON (an
// HTML page, cut-off or malformed JSON, JSON of another shape) or was cut
// at the read limit (Options.MaxBody) is a failed assertion, which ends an
// Eventually at once: that answer will not become right.
func (r *Response) JSON(v any) error {
	if r.Truncated {
		return Failf("%s %s: body exceeds %d bytes, not decoded", r.Method, r.URL, len(r.Body))
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		if ct := r.Header.Get("Content-Type"); isHTML(ct, r.Body) {
			return Failf("%s %s: response is not the expected JSON but an HTML page (status %d, Content-Type %q): %s", r.Method, r.URL, r.Status, ct, r.cut(r.Body, 256))
		}
		return Failf("%s %s: response is not the expected JSON: %v: %s", r.Method, r.URL, err, r.cut(r.Body, 256))
	}
	return nil
}

// isHTML reports whether a body that is not JSON is an HTML page (a login
// or error page in front of the API), by its Content-Type or first tag.
func isHTML(contentType string, body []byte) bool {
	if strings.Contains(strings.ToLower(contentType), "html") {
		return true
	}
	b := strings.ToLower(strings.TrimSpace(string(body[:min(len(body), 64)])))
	return strings.HasPrefix(b, "<!doctype html") || strings.HasPrefix(b, "<html")
}

// Doc decodes the body as a JSON document for assertions.
func (r *Response) Doc() (Doc, error) {
	var v any
	if err := r.JSON(&v); err != nil {
		return Doc{}, err
	}
	return Doc{v: v}, nil
}
