package functions

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// coldStarts is how many times BenchmarkColdInit starts each function.
const coldStarts = 20

// buildBootstrap builds function name's main package the way `make build`
// does (CGO off, -tags lambda.norpc -trimpath -ldflags="-s -w") for
// goos/goarch into dir and returns the binary's path.
func buildBootstrap(b *testing.B, dir, name, goos, goarch string) string {
	b.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		b.Skip("go not on PATH")
	}
	out := filepath.Join(dir, goos+"-"+goarch, name, "bootstrap")
	cmd := exec.Command(goBin, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./"+name)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build %s for %s/%s: %v\n%s", name, goos, goarch, err, msg)
	}
	return out
}

// BenchmarkBootstrapSize reports the size of each function's bootstrap as
// `make build` ships it (provided.al2023, linux/arm64), in MB (2^20
// bytes). Target (issue 7): at most 12 MB, which TestBootstrapSize keeps.
func BenchmarkBootstrapSize(b *testing.B) {
	dir := b.TempDir()
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			var size int64
			for b.Loop() {
				fi, err := os.Stat(buildBootstrap(b, dir, name, "linux", "arm64"))
				if err != nil {
					b.Fatal(err)
				}
				size = fi.Size()
			}
			b.ReportMetric(float64(size)/(1<<20), "MB")
		})
	}
}

// BenchmarkColdInit starts each function's bootstrap, built for this
// machine with `make build`'s flags, coldStarts times and reports the
// median and the slowest time from process start to its first request
// to the Lambda Runtime API (GET /2018-06-01/runtime/invocation/next):
// everything main does before it can take an event (reading the
// configuration, loading the AWS configuration, building the SDK clients
// and the handler; the sink also reads its token from Secrets Manager, as
// deployed). The runtime API and Secrets Manager are endpoints in this
// benchmark on loopback; the credentials are dummies. Target (issue 7):
// median at most 50 ms. It measures this machine, not a Lambda arm64
// sandbox, whose CPU share at 256-512 MB is a fraction of a core.
func BenchmarkColdInit(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("the functions are built for linux")
	}
	dir := b.TempDir()
	next := make(chan time.Time, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/2018-06-01/runtime/invocation/next" {
			select {
			case next <- time.Now():
			default:
			}
			// Hold the request: the process is killed before an event is due.
			<-r.Context().Done()
			return
		}
		http.NotFound(w, r)
	}))
	defer api.Close()
	secrets := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
			http.Error(w, "unexpected call "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprint(w, `{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:jg-sink-AbCdEf","Name":"jg-sink","SecretString":"bench-token","VersionId":"v1"}`)
	}))
	defer secrets.Close()
	// Everything a main reads, as the stack configures it (infra), with
	// loopback endpoints and no way to reach AWS.
	common := []string{
		"PATH=" + os.Getenv("PATH"),
		"AWS_LAMBDA_RUNTIME_API=" + api.Listener.Addr().String(),
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_SESSION_TOKEN=bench",
		"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL=http://" + unusedAddr(b),
		"AWS_ENDPOINT_URL_SECRETS_MANAGER=" + secrets.URL,
		"AWS_LAMBDA_FUNCTION_NAME=bench", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
	}
	envs, err := filepath.Abs(filepath.Join("..", "journeys", "environments.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	env := map[string][]string{
		"hook": {"JOURNEYGATE_STATE_MACHINE_ARN=arn:aws:states:us-east-1:123456789012:stateMachine:journeygate", "JOURNEYGATE_ENVIRONMENT=staging", "JOURNEYGATE_TABLE=journeygate", "JOURNEYGATE_SERVICES=alertmanager"},
		"runner": {"JOURNEYGATE_TABLE=journeygate", "JOURNEYGATE_ENVIRONMENTS_FILE=" + envs, "JOURNEYGATE_TIMEOUT_MARGIN=30s", "JOURNEYGATE_SINK_URL=http://" + unusedAddr(b) + "/",
			"JOURNEYGATE_EVENT_BUS=default"},
		"gate": {"JOURNEYGATE_TABLE=journeygate", "JOURNEYGATE_ENVIRONMENTS_FILE=" + envs, "JOURNEYGATE_EVENT_BUS=default"},
		"sink": {"JOURNEYGATE_TABLE=journeygate", "JOURNEYGATE_SINK_TOKEN_SECRET=jg-sink", "JOURNEYGATE_SINK_CORRELATE=/groupLabels/jg_run,/commonLabels/jg_run"},
	}
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			bin := buildBootstrap(b, dir, name, runtime.GOOS, runtime.GOARCH)
			var inits []time.Duration
			for b.Loop() {
				inits = inits[:0]
				for range coldStarts {
					d, err := coldStart(bin, append(slices.Clone(common), env[name]...), next)
					if err != nil {
						b.Fatalf("%s: %v", name, err)
					}
					inits = append(inits, d)
				}
			}
			slices.Sort(inits)
			b.ReportMetric(float64(inits[len(inits)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(inits[len(inits)-1].Microseconds())/1000, "max-ms")
		})
	}
}

// coldStart starts bin and returns the time until it asked the runtime API
// for its first event.
func coldStart(bin string, env []string, next <-chan time.Time) (time.Duration, error) {
	cmd := exec.Command(bin)
	cmd.Env = env
	out := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
		<-exited
	}()
	select {
	case at := <-next:
		return at.Sub(start), nil
	case err := <-exited:
		exited <- err
		return 0, fmt.Errorf("exited before asking for an event (%v): %s", err, out)
	case <-time.After(30 * time.Second):
		return 0, fmt.Errorf("no request to the runtime API within 30s: %s", out)
	}
}

// unusedAddr returns a loopback address nothing listens on, so a call the
// function should not make fails at once instead of reaching anything.
func unusedAddr(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// tailBuffer keeps the last 4 KB written, for error messages.
type tailBuffer struct{ b []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.b = append(t.b, p...)
	if len(t.b) > 4096 {
		t.b = t.b[len(t.b)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.b) }
