package dynalite

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/journeygate/journeygate/test/repo"
)

// Region is the region the client signs for; dynalite ignores it.
const Region = "us-east-1"

// startTimeout bounds how long Start waits for dynalite to listen.
const startTimeout = 20 * time.Second

// Server is one running dynalite process, in memory.
type Server struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:41234.
	Endpoint string

	cmd      *exec.Cmd
	exited   chan struct{}
	output   *tail
	stopOnce sync.Once
}

// Start runs dynalite on a free loopback port and waits until it listens;
// the test's cleanup stops it. It fails the test, saying how to install the
// tool, when test/node_modules lacks dynalite.
func Start(t testing.TB) *Server {
	t.Helper()
	cli, err := findCLI()
	if err != nil {
		t.Fatalf("dynalite: %v", err)
	}
	guard, err := findGuard()
	if err != nil {
		t.Fatalf("dynalite: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("dynalite: node is not on PATH (dynalite needs Node.js >= 20): %v", err)
	}
	var lastErr error
	// A port found free can be taken before dynalite binds it: try again.
	for range 3 {
		s, err := start(node, guard, cli)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("dynalite: %v", lastErr)
	return nil
}

// findCLI returns dynalite's CLI under test/node_modules.
func findCLI() (string, error) {
	return repo.NodeModule(filepath.Join("dynalite", "cli.js"))
}

// findGuard returns abort-guard.cjs, which keeps dynalite alive when a
// client aborts a request (see the script).
func findGuard() (string, error) {
	root, err := repo.Root()
	if err != nil {
		return "", err
	}
	guard := filepath.Join(root, "test", "dynalite", "abort-guard.cjs")
	if _, err := os.Stat(guard); err != nil {
		return "", fmt.Errorf("abort guard: %w", err)
	}
	return guard, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func start(node, guard, cli string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	cmd := exec.Command(node, "--require", guard, cli, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	setProcessGroup(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	out := &tail{}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cli, err)
	}
	s := &Server{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, exited: make(chan struct{}), output: out}
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		signalled := false
		for sc.Scan() {
			out.Write([]byte(sc.Text() + "\n")) //nolint:errcheck // tail never fails
			if !signalled && strings.Contains(sc.Text(), "listening at") {
				close(listening)
				signalled = true
			}
		}
		io.Copy(io.Discard, stdout) //nolint:errcheck // drain until exit
	}()
	go func() {
		cmd.Wait() //nolint:errcheck // the exit is reported through exited
		close(s.exited)
	}()
	select {
	case <-listening:
	case <-s.exited:
		return nil, fmt.Errorf("dynalite exited before listening on port %d: %s", port, out.String())
	case <-time.After(startTimeout):
		s.Stop()
		return nil, fmt.Errorf("dynalite did not listen on port %d within %s: %s", port, startTimeout, out.String())
	}
	if err := s.ping(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// ping checks that the listener answers HTTP, so the first request of a test never races the start.
func (s *Server) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("dynalite at %s does not answer: %w", s.Endpoint, err)
	}
	resp.Body.Close()
	return nil
}

// Client returns a DynamoDB client for this server: static dummy
// credentials, region us-east-1, and quick retries (3 attempts, at most
// 50 ms apart, no client-side retry quota) so a stopped server fails fast.
func (s *Server) Client() *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("dummy", "dummy", ""),
		// Retries ride out a busy test machine (dynalite is one Node
		// process sharing two cores with the race-enabled tests) for about
		// a second, yet a stopped dynalite still fails a call within ~1.5 s.
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 5
			o.MaxBackoff = 300 * time.Millisecond
			o.RateLimiter = ratelimit.None
		}),
		HTTPClient: &http.Client{Timeout: 10 * time.Second, Transport: transport()},
	})
}

// Stop kills dynalite's process group and waits for it to exit; later
// requests fail with connection errors. It is safe to call more than once.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		killProcessGroup(s.cmd)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
		}
	})
}

// Output returns the last lines dynalite printed, for failure messages.
func (s *Server) Output() string { return s.output.String() }

// tail keeps the last 8 KB written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - 8<<10; over > 0 {
		t.buf = append([]byte(nil), t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// transport drops idle connections well before Node's HTTP server does
// (its keep-alive timeout is 5 s), so a request never goes out on a
// connection the server is closing at that moment.
func transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.IdleConnTimeout = 2 * time.Second
	return tr
}
