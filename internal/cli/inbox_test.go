package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/journeygate/journeygate/shared/journey"
)

// mailJourney mails its own inbox through the SMTP listener at *addr (as
// a system under test configured with that smarthost would) and awaits
// the mail.
func mailJourney(name string, addr *string) journey.Journey {
	j := oneStep(name, journey.ModeEnforce, func(ctx context.Context, t *journey.T) error {
		to := t.Inbox().Address()
		c, err := smtp.Dial(*addr)
		if err != nil {
			return err
		}
		defer c.Close()
		msg := fmt.Sprintf("From: sut@example.com\r\nTo: %s\r\nSubject: hello %s\r\n\r\nbody\r\n", to, t.RunID())
		if err := c.SendMail("sut@example.com", []string{to}, strings.NewReader(msg)); err != nil {
			return fmt.Errorf("mailing %s through %s: %w", to, *addr, err)
		}
		_, err = t.Inbox().Await(ctx, "its own mail", func(m journey.Mail) error {
			if !m.Contains(t.RunID()) {
				return fmt.Errorf("subject %q", m.Subject)
			}
			return nil
		})
		return err
	})
	j.Inbox = true
	return j
}

// freePort returns a loopback address that was free just now.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// run starts the inbox SMTP listener where --smtp-listen says, over the
// environment's inbox.listen, and on the environment's inbox.domain; the
// first line says where, and an inbox journey mailing it passes.
func TestRunSMTPListen(t *testing.T) {
	var addr string
	useJourneys(t, mailJourney("mailed", &addr))
	envListen, flagListen := freePort(t), freePort(t)
	config := filepath.Join(t.TempDir(), "envs.yaml")
	body := "environments:\n  local:\n    targets:\n      api: http://127.0.0.1:1\n    inbox:\n      listen: " + envListen + "\n      domain: Mail.Example.TEST\n"
	if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		flag []string
		want string
	}{
		{"environment", nil, envListen},
		{"flag", []string{"--smtp-listen", flagListen}, flagListen},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr = tc.want
			args := append([]string{"run", "--config", config, "--store", filepath.Join(t.TempDir(), "s.db")}, tc.flag...)
			code, out, stderr := runCLI(t, args...)
			if code != exitSucceeded {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
			}
			if want := "inbox smtp://" + tc.want + " @mail.example.test"; !strings.Contains(out+stderr, want) {
				t.Errorf("output lacks %q:\n%s%s", want, out, stderr)
			}
		})
	}
}
