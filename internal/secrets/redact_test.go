package secrets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/journeygate/journeygate/internal/secrets"
)

func TestRedactor(t *testing.T) {
	const token = "Zq3v9XkP2mLr8TnW4yHc6BdJ1sFg5QeA7uVo0iKx2NpRtYb3"
	red := secrets.NewRedactor(token, `p@ss"word<&>\x`, "abc", "", "abcd-long", "abcd")
	tests := []struct {
		name, in, want string
	}{
		{name: "alone", in: token, want: "[REDACTED]"},
		{name: "inside a larger string", in: "Authorization: Bearer " + token + "!", want: "Authorization: Bearer [REDACTED]!"},
		{name: "glued to other text", in: "xx" + token + token + "yy", want: "xx[REDACTED][REDACTED]yy"},
		{name: "every occurrence", in: token + " and " + token + " again " + token, want: "[REDACTED] and [REDACTED] again [REDACTED]"},
		{name: "in a URL", in: "https://sink.example/?token=" + token + "&run=1", want: "https://sink.example/?token=[REDACTED]&run=1"},
		{name: "value containing another is replaced whole", in: "abcd-long / abcd", want: "[REDACTED] / [REDACTED]"},
		{name: "shorter than MinRedactLen is left alone", in: "abc abcde", want: "abc [REDACTED]e"},
		{name: "quotes and HTML characters, raw", in: `pw=p@ss"word<&>\x;`, want: "pw=[REDACTED];"},
		{name: "nothing to redact", in: "a journey passed in 523ms", want: "a journey passed in 523ms"},
		{name: "empty", in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := red.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
			in := []byte(tt.in)
			if got := red.Bytes(in); string(got) != tt.want {
				t.Errorf("Bytes(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if string(in) != tt.in {
				t.Errorf("Bytes changed its argument to %q", in)
			}
		})
	}
}

func TestRedactorJSON(t *testing.T) {
	const token = "Zq3v9XkP2mLr8TnW4yHc6BdJ1sFg5QeA7uVo0iKx2NpRtYb3"
	const password = `p@ss"word<&>\x`
	red := secrets.NewRedactor(token, password)
	evidence := map[string]any{
		"request": map[string]any{
			"headers": map[string]string{"Authorization": "Bearer " + token},
			"body":    fmt.Sprintf(`{"password":%q,"token":"%s"}`, password, token),
		},
		"message": "login with " + password + " failed",
		"list":    []string{token, "other"},
	}
	for _, html := range []bool{true, false} {
		t.Run(fmt.Sprintf("escapeHTML=%v", html), func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(html)
			if err := enc.Encode(evidence); err != nil {
				t.Fatal(err)
			}
			got := red.Bytes(buf.Bytes())
			for _, leak := range []string{token, password, "p@ss", "Zq3v9"} {
				if bytes.Contains(got, []byte(leak)) {
					t.Errorf("redacted JSON still contains %q: %s", leak, got)
				}
			}
			if !json.Valid(got) {
				t.Fatalf("redacted JSON is not valid: %s", got)
			}
			if n := bytes.Count(got, []byte(secrets.Redacted)); n != 5 {
				t.Errorf("%d redactions, want 5: %s", n, got)
			}
			var back map[string]any
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if back["message"] != "login with [REDACTED] failed" {
				t.Errorf("message = %q", back["message"])
			}
		})
	}
}

func TestRedactorZeroAndNil(t *testing.T) {
	var nilRed *secrets.Redactor
	nilRed.Add("some-secret")
	if got := nilRed.String("some-secret"); got != "some-secret" {
		t.Errorf("nil Redactor changed the text: %q", got)
	}
	var zero secrets.Redactor
	if got := zero.String("some-secret"); got != "some-secret" {
		t.Errorf("empty Redactor changed the text: %q", got)
	}
	zero.Add("some-secret")
	if got := string(zero.Bytes([]byte("a some-secret b"))); got != "a [REDACTED] b" {
		t.Errorf("zero Redactor after Add: %q", got)
	}
}

func TestRedactorConcurrentUse(t *testing.T) {
	red := secrets.NewRedactor()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			v := fmt.Sprintf("secret-value-%03d", i)
			red.Add(v)
			if got := red.String("[" + v + "]"); got != "[[REDACTED]]" {
				t.Errorf("after Add(%q): %q", v, got)
			}
		})
	}
	wg.Wait()
	var all strings.Builder
	for i := range 50 {
		fmt.Fprintf(&all, "secret-value-%03d,", i)
	}
	if got := red.String(all.String()); got != strings.Repeat("[REDACTED],", 50) {
		t.Errorf("redacted = %q", got)
	}
}
