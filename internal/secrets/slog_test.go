package secrets_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/internal/secrets"
)

type tenant struct {
	ID  string
	Key string
}

type valuer struct{ key string }

func (v valuer) LogValue() slog.Value { return slog.StringValue("valuer " + v.key) }

func TestHandlerRedactsWholeRecords(t *testing.T) {
	const secret = "sk-live-Zq3v9XkP2mLr8TnW4yHc"
	for name, mk := range map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler {
			return slog.NewJSONHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
		"text": func(b *bytes.Buffer) slog.Handler {
			return slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})
		},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			red := secrets.NewRedactor()
			log := secrets.NewLogger(slog.New(mk(&buf)), red)
			// Bound before the secret is known: still redacted when written.
			bound := log.With("early", "key="+secret).WithGroup("g").With("nested", secret)
			red.Add(secret)
			log.Info("calling with "+secret, "key", secret, "err", errors.New("denied: "+secret),
				"tenant", tenant{ID: "tenant-a", Key: secret}, "raw", []byte(secret), "valuer", valuer{secret},
				slog.Group("grp", "inner", secret), secret, "as key", "n", 42)
			bound.Debug("bound", "x", secret)
			out := buf.String()
			if strings.Contains(out, secret) || strings.Contains(out, secret[:12]) {
				t.Errorf("secret leaked:\n%s", out)
			}
			if n := strings.Count(out, secrets.Redacted); n != 11 {
				t.Errorf("%d redactions, want 11:\n%s", n, out)
			}
			for _, keep := range []string{"tenant-a", "42", "bound", "nested", "early"} {
				if !strings.Contains(out, keep) {
					t.Errorf("output lacks %q:\n%s", keep, out)
				}
			}
		})
	}
}

func TestNewLoggerNil(t *testing.T) {
	if secrets.NewLogger(nil, secrets.NewRedactor()) == nil {
		t.Fatal("nil logger")
	}
	l := slog.New(slog.DiscardHandler)
	if secrets.NewLogger(l, nil) != l {
		t.Error("a nil Redactor should keep the logger")
	}
	red := secrets.NewRedactor()
	once := secrets.NewLogger(l, red)
	if secrets.NewLogger(once, red) != once {
		t.Error("wrapping twice")
	}
}
