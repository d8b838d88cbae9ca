package faultproxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config says how a Proxy misbehaves; the zero value only forwards.
type Config struct {
	// Upstream is the base URL requests are forwarded to.
	Upstream string
	// Only limits the body and status faults to requests whose
	// "METHOD /path" (without the query) is listed, e.g.
	// "GET /api/v2/alerts"; empty means every request.
	Only []string
	// Status answers this status in place of the upstream's (0 keeps it).
	Status int
	// Body, when not nil, replaces the upstream's body, with ContentType
	// (when set) as its Content-Type.
	Body        []byte
	ContentType string
	// BodySize, when positive, streams a JSON array of zeros exactly this
	// many bytes long in place of the upstream's body, never held in
	// memory.
	BodySize int64
	// UnavailableFor answers 503 Service Unavailable, without forwarding,
	// to every request received within this long of the first one.
	UnavailableFor time.Duration
	// ResetEvery resets every ResetEvery-th connection (the 10th, 20th,
	// ... for 10) with a TCP RST once its first request has arrived,
	// forwarding nothing: the client sees "connection reset by peer".
	ResetEvery int
}

// Proxy is a running fault proxy.
type Proxy struct {
	// URL is the proxy's base URL, to use as the target's.
	URL string

	cfg    Config
	srv    *http.Server
	client *http.Client

	conns, resets atomic.Int64
	mu            sync.Mutex
	first         time.Time
	requests      map[string]int
}

// Start starts a proxy on a free loopback port.
func Start(cfg Config) (*Proxy, error) {
	if cfg.Upstream == "" {
		return nil, errors.New("faultproxy: no upstream")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		URL: "http://" + l.Addr().String(), cfg: cfg, requests: map[string]int{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}},
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(&listener{Listener: l, p: p}) //nolint:errcheck // ends with Close
	return p, nil
}

// Close stops the proxy and drops its connections.
func (p *Proxy) Close() error { return p.srv.Close() }

// Connections counts the connections accepted, reset ones included.
func (p *Proxy) Connections() int { return int(p.conns.Load()) }

// Resets counts the connections reset (see Config.ResetEvery).
func (p *Proxy) Resets() int { return int(p.resets.Load()) }

// Requests counts the requests received whose "METHOD /path" is route, or
// every request for "".
func (p *Proxy) Requests(route string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if route != "" {
		return p.requests[route]
	}
	n := 0
	for _, c := range p.requests {
		n += c
	}
	return n
}

// listener counts connections and resets every ResetEvery-th.
type listener struct {
	net.Listener
	p *Proxy
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		n := l.p.conns.Add(1)
		if every := int64(l.p.cfg.ResetEvery); every > 0 && n%every == 0 {
			l.p.resets.Add(1)
			go reset(c)
			continue
		}
		return c, nil
	}
}

// reset waits for the request's head, so the client has sent it and reads
// the reset, then closes the connection with an RST (linger 0).
func reset(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil || strings.TrimRight(line, "\r\n") == "" {
			break
		}
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

func (p *Proxy) serve(w http.ResponseWriter, req *http.Request) {
	route := req.Method + " " + req.URL.Path
	p.mu.Lock()
	p.requests[route]++
	now := time.Now()
	if p.first.IsZero() {
		p.first = now
	}
	unavailable := now.Sub(p.first) < p.cfg.UnavailableFor
	p.mu.Unlock()
	if unavailable {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "service unavailable (faultproxy)", http.StatusServiceUnavailable)
		return
	}
	up, err := http.NewRequestWithContext(req.Context(), req.Method, strings.TrimRight(p.cfg.Upstream, "/")+req.URL.RequestURI(), req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	up.Header, up.ContentLength = req.Header.Clone(), req.ContentLength
	resp, err := p.client.Do(up)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if !p.applies(route) {
		copyHeader(w.Header(), resp.Header)
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body) //nolint:errcheck // the client may have gone
		return
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck // replaced or kept below
	status := resp.StatusCode
	if p.cfg.Status != 0 {
		status = p.cfg.Status
	}
	switch {
	case p.cfg.BodySize > 0:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(p.cfg.BodySize))
		w.WriteHeader(status)
		io.Copy(w, ZeroArray(p.cfg.BodySize)) //nolint:errcheck // the client hangs up at its limit
	case p.cfg.Body != nil:
		if p.cfg.ContentType != "" {
			w.Header().Set("Content-Type", p.cfg.ContentType)
		}
		w.WriteHeader(status)
		w.Write(p.cfg.Body) //nolint:errcheck // the client may have gone
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "%s (faultproxy)\n", http.StatusText(status))
	}
}

func (p *Proxy) applies(route string) bool {
	if p.cfg.Status == 0 && p.cfg.Body == nil && p.cfg.BodySize <= 0 {
		return false
	}
	if len(p.cfg.Only) == 0 {
		return true
	}
	for _, o := range p.cfg.Only {
		if o == route {
			return true
		}
	}
	return false
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		dst[k] = append([]string(nil), vs...)
	}
}

// ZeroArray streams the JSON array [0,0,...,0], exactly n bytes long (at
// least 3), without holding it in memory: a huge but valid body.
func ZeroArray(n int64) io.Reader { return &zeros{left: n} }

// zeros is ZeroArray's reader.
type zeros struct {
	left, pos int64
}

var zeroPairs = bytes.Repeat([]byte(",0"), 32<<10)

func (z *zeros) Read(b []byte) (int, error) {
	if z.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(b) && z.left > 0 {
		if z.pos > 0 && z.left > 2 {
			// Odd positions hold '0', even ones ','.
			start := int(z.pos % 2)
			m := min(int64(len(b)-n), z.left-2, int64(len(zeroPairs)-start))
			copy(b[n:], zeroPairs[start:start+int(m)])
			n += int(m)
			z.pos += m
			z.left -= m
			continue
		}
		switch {
		case z.pos == 0:
			b[n] = '['
		case z.left == 1:
			b[n] = ']'
		case z.pos%2 == 1:
			b[n] = '0' // z.left == 2: the last element
		default:
			b[n] = ' ' // z.left == 2 after a '0': no room for another ",0"
		}
		n++
		z.pos++
		z.left--
	}
	return n, nil
}
