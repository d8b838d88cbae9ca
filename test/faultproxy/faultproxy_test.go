package faultproxy

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

func upstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"path": "`+r.URL.Path+`"}]`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func start(t *testing.T, cfg Config) *Proxy {
	t.Helper()
	p, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func get(t *testing.T, c *http.Client, url string) (int, string, string, error) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b), err
}

func TestFaults(t *testing.T) {
	up := upstream(t)
	tests := []struct {
		name   string
		cfg    Config
		path   string
		status int
		ctype  string
		body   string
	}{
		{"forwards", Config{}, "/a", 200, "application/json", `[{"path": "/a"}]`},
		{"status", Config{Status: 403}, "/a", 403, "text/plain; charset=utf-8", "Forbidden (faultproxy)\n"},
		{"body", Config{Body: []byte("<html>login</html>"), ContentType: "text/html"}, "/a", 200, "text/html", "<html>login</html>"},
		{"only other routes", Config{Status: 403, Only: []string{"GET /b"}}, "/a", 200, "application/json", `[{"path": "/a"}]`},
		{"only this route", Config{Status: 403, Only: []string{"GET /b"}}, "/b", 403, "text/plain; charset=utf-8", "Forbidden (faultproxy)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Upstream = up.URL
			p := start(t, tc.cfg)
			status, ctype, body, err := get(t, http.DefaultClient, p.URL+tc.path)
			if err != nil || status != tc.status || ctype != tc.ctype || body != tc.body {
				t.Errorf("got %d %q %q (%v), want %d %q %q", status, ctype, body, err, tc.status, tc.ctype, tc.body)
			}
			if p.Requests("GET "+tc.path) != 1 || p.Requests("") != 1 {
				t.Errorf("requests %d", p.Requests(""))
			}
		})
	}
}

func TestBodySizeIsValidJSONOfThatSize(t *testing.T) {
	for _, n := range []int64{3, 4, 5, 6, 1001, 1 << 20} {
		p := start(t, Config{Upstream: upstream(t).URL, BodySize: n})
		_, _, body, err := get(t, http.DefaultClient, p.URL+"/")
		var v []int
		if err != nil || int64(len(body)) != n || json.Unmarshal([]byte(body), &v) != nil {
			t.Errorf("BodySize %d: %d bytes (%v), valid JSON: %v", n, len(body), err, json.Unmarshal([]byte(body), &v))
		}
	}
}

func TestUnavailableFor(t *testing.T) {
	p := start(t, Config{Upstream: upstream(t).URL, UnavailableFor: 300 * time.Millisecond})
	if status, _, _, _ := get(t, http.DefaultClient, p.URL+"/"); status != 503 {
		t.Errorf("first request: %d, want 503", status)
	}
	time.Sleep(350 * time.Millisecond)
	if status, _, _, _ := get(t, http.DefaultClient, p.URL+"/"); status != 200 {
		t.Errorf("after the window: %d, want 200", status)
	}
}

func TestResetEvery(t *testing.T) {
	p := start(t, Config{Upstream: upstream(t).URL, ResetEvery: 3})
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var resets int
	for i := 1; i <= 9; i++ {
		_, _, _, err := get(t, c, p.URL+"/")
		if i%3 == 0 {
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("request %d: %v, want a connection reset", i, err)
			}
			resets++
		} else if err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if p.Resets() != 3 || p.Connections() != 9 || p.Requests("") != 6 {
		t.Errorf("resets %d connections %d requests %d, want 3, 9, 6", p.Resets(), p.Connections(), p.Requests(""))
	}
	if strings.Contains(p.URL, "localhost") {
		t.Error("not on a loopback IP")
	}
}
