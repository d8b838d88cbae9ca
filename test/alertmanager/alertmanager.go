package alertmanager

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/journeygate/journeygate/test/repo"
)

// Version is the pinned Alertmanager release the examples run against.
const Version = "v0.28.1"

// Module is the Go package Alertmanager's binary is built from.
const Module = "github.com/prometheus/alertmanager/cmd/alertmanager"

// Faults lists the broken setups Start can configure, with what each breaks.
var Faults = map[string]string{
	"drop-notifications": "alerts route to a receiver that never delivers",
	"slow-group-wait":    "group_wait of 5 minutes, far beyond the notification SLA",
	"no-resolved":        "resolved notifications are not sent",
	"group-by-instance":  "alerts grouped per instance, so one incident pages once per alert",
	"wrong-webhook-url":  "the receiver's webhook URL names a loopback port nothing listens on",
	"ui-not-routed":      "a front proxy routes only /api/ and /-/ to Alertmanager, so its web UI answers 404 while the API works",
	"wrong-smarthost":    "the email receiver's smarthost is a loopback port nothing listens on, so no mail reaches the run's inbox",
}

// uiNotRouted is the fault that breaks the web UI alone: Alertmanager runs
// healthy behind a front proxy (an ingress, say) whose rules route only
// the API and the health endpoints to it. API journeys pass; a journey
// through the web UI finds a 404 page.
const uiNotRouted = "ui-not-routed"

// Options configures one Alertmanager.
type Options struct {
	// Binary is the alertmanager executable; empty means EnsureBinary.
	Binary string
	// Webhooks are the sink URLs every notification is delivered to.
	Webhooks []string
	// Fault names a broken setup from Faults; empty is healthy.
	Fault string
	// Stderr receives Alertmanager's log; nil discards it.
	Stderr *os.File
	// Smarthost, when set, is the host:port of the run's SMTP listener
	// (sink.ListenSMTP): alerts carrying a jg_inbox label route to an email
	// receiver that mails them there, to the address the label holds. Unset,
	// there is no email receiver (fault wrong-smarthost needs it set).
	Smarthost string
	// BearerToken, when set, is sent with every webhook delivery, as a sink
	// that rejects anonymous deliveries requires.
	BearerToken string
}

// Instance is a running Alertmanager.
type Instance struct {
	// URL is where journeys reach Alertmanager: itself, or under fault
	// ui-not-routed the front proxy before it.
	URL string
	// Webhooks are the URLs its webhook receiver posts to, and Smarthost
	// the host:port its email receiver mails ("" without one): what it was
	// given, which under faults wrong-webhook-url and wrong-smarthost is
	// not Options.Webhooks and Options.Smarthost.
	Webhooks  []string
	Smarthost string
	cmd       *exec.Cmd
	// front is the front proxy of fault ui-not-routed; nil otherwise.
	front *http.Server
	dir   string
	done  chan struct{}
	once  sync.Once
}

// Config renders the Alertmanager configuration for opts.
func Config(opts Options) (string, error) {
	r, err := render(opts)
	return r.config, err
}

// rendered is a configuration with the addresses it delivers to.
type rendered struct {
	config    string
	webhooks  []string
	smarthost string
}

// render renders the Alertmanager configuration for opts, and returns it
// with the webhook URLs and smarthost it names, which a fault may have
// replaced.
func render(opts Options) (rendered, error) {
	if opts.Fault != "" {
		if _, ok := Faults[opts.Fault]; !ok {
			return rendered{}, fmt.Errorf("unknown fault %q (known: %s)", opts.Fault, strings.Join(FaultNames(), ", "))
		}
	}
	groupWait, receiver, sendResolved := "500ms", "journeygate-sink", true
	groupBy, webhooks, smarthost := "alertname, jg_run, jg_key", opts.Webhooks, opts.Smarthost
	switch opts.Fault {
	case "drop-notifications":
		receiver = "blackhole"
	case "slow-group-wait":
		groupWait = "5m"
	case "no-resolved":
		sendResolved = false
	case "group-by-instance":
		groupBy += ", instance"
	case "wrong-webhook-url":
		var err error
		if webhooks, err = deadURLs(opts.Webhooks); err != nil {
			return rendered{}, err
		}
	case "wrong-smarthost":
		if smarthost == "" {
			return rendered{}, errors.New("fault wrong-smarthost needs Options.Smarthost: it breaks the email receiver, which exists only with it")
		}
		var err error
		if smarthost, err = FreeAddr(); err != nil {
			return rendered{}, err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `route:
  receiver: %s
  group_by: [%s]
  group_wait: %s
  group_interval: 1s
  repeat_interval: 4h
%sreceivers:
  - name: blackhole
%s  - name: journeygate-sink
    webhook_configs:
`, receiver, groupBy, groupWait, emailRoute(smarthost), emailReceiver(smarthost))
	for _, u := range webhooks {
		fmt.Fprintf(&b, "      - url: %q\n        send_resolved: %t\n", u, sendResolved)
		if opts.BearerToken != "" {
			fmt.Fprintf(&b, "        http_config:\n          authorization:\n            type: Bearer\n            credentials: %q\n", opts.BearerToken)
		}
	}
	if len(opts.Webhooks) == 0 {
		return rendered{}, errors.New("no webhook URLs: Alertmanager must deliver to a sink")
	}
	return rendered{config: b.String(), webhooks: webhooks, smarthost: smarthost}, nil
}

// emailRoute routes alerts that carry a jg_inbox label (an inbox
// journey's) to the email receiver, and only there; "" without smarthost.
func emailRoute(smarthost string) string {
	if smarthost == "" {
		return ""
	}
	return `  routes:
    - receiver: journeygate-inbox
      matchers: ['jg_inbox=~".+"']
`
}

// emailReceiver is Alertmanager's email receiver mailing the alert to the
// address its jg_inbox label holds, through the run's SMTP listener at
// smarthost, as multipart/alternative HTML (Alertmanager's default
// template) and text; "" without smarthost.
func emailReceiver(smarthost string) string {
	if smarthost == "" {
		return ""
	}
	return fmt.Sprintf(`  - name: journeygate-inbox
    email_configs:
      - to: '{{ .CommonLabels.jg_inbox }}'
        from: alertmanager@alertmanager.journeygate.test
        hello: alertmanager.journeygate.test
        smarthost: %q
        require_tls: false
        send_resolved: false
        text: '{{ range .Alerts }}{{ range .Labels.SortedPairs }}{{ .Name }}={{ .Value }}{{ "\n" }}{{ end }}{{ end }}'
`, smarthost)
}

// deadURLs returns urls with each port replaced by a loopback port that
// was free just now, so deliveries are refused.
func deadURLs(urls []string) ([]string, error) {
	out := make([]string, len(urls))
	for i, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("webhook URL %q: %w", raw, err)
		}
		if u.Host, err = FreeAddr(); err != nil {
			return nil, err
		}
		out[i] = u.String()
	}
	return out, nil
}

// FaultNames returns the known fault names, sorted.
func FaultNames() []string {
	names := make([]string, 0, len(Faults))
	for n := range Faults {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Start writes the configuration, starts Alertmanager on a free loopback
// port with clustering off, and waits until it is ready.
func Start(ctx context.Context, opts Options) (*Instance, error) {
	cfg, err := render(opts)
	if err != nil {
		return nil, err
	}
	bin := opts.Binary
	if bin == "" {
		if bin, err = EnsureBinary(ctx); err != nil {
			return nil, err
		}
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		inst, err := start(ctx, bin, cfg.config, opts)
		if err == nil {
			inst.Webhooks, inst.Smarthost = cfg.webhooks, cfg.smarthost
			if opts.Fault == uiNotRouted {
				if err := inst.routeOnlyAPI(); err != nil {
					inst.Stop()
					return nil, err
				}
			}
			return inst, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// routeOnlyAPI puts a front proxy before Alertmanager that forwards only
// /api/ and /-/ and answers 404 to everything else (the web UI), as an
// ingress missing the UI's route does; URL becomes the proxy's.
func (i *Instance) routeOnlyAPI() error {
	upstream, err := url.Parse(i.URL)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fwd := httputil.NewSingleHostReverseProxy(upstream)
	i.front = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/-/") {
			fwd.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	})}
	go i.front.Serve(l) //nolint:errcheck // ends with Close in Stop
	i.URL = "http://" + l.Addr().String()
	return nil
}

func start(ctx context.Context, bin, cfg string, opts Options) (*Instance, error) {
	dir, err := os.MkdirTemp("", "journeygate-alertmanager-")
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr, err := FreeAddr()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=", // no HA peers: nothing waits on gossip
		"--log.level=warn",
	)
	cmd.Stdout = opts.Stderr
	cmd.Stderr = opts.Stderr
	// Its own process group, so a terminal's Ctrl-C meant for `make run`
	// does not stop it before the journeys' cleanups have used it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start alertmanager: %w", err)
	}
	inst := &Instance{URL: "http://" + addr, cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(inst.done) }()
	if err := inst.waitReady(ctx, 20*time.Second); err != nil {
		inst.Stop()
		return nil, err
	}
	return inst, nil
}

func (i *Instance) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, i.URL+"/-/ready", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-i.done:
			return fmt.Errorf("alertmanager exited before it was ready (%s)", i.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("alertmanager at %s not ready after %s", i.URL, limit)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop terminates Alertmanager and removes its files.
func (i *Instance) Stop() {
	i.once.Do(func() {
		if i.front != nil {
			_ = i.front.Close()
		}
		_ = i.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-i.done:
		case <-time.After(5 * time.Second):
			_ = i.cmd.Process.Kill()
			<-i.done
		}
		os.RemoveAll(i.dir)
	})
}

// FreeAddr returns a loopback address with a port that was free just now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// BinaryPath is where the pinned Alertmanager is cached: the
// JOURNEYGATE_ALERTMANAGER variable, or .tools/alertmanager-VERSION/ in the
// repository (git-ignored).
func BinaryPath() (string, error) {
	if p := os.Getenv("JOURNEYGATE_ALERTMANAGER"); p != "" {
		return p, nil
	}
	root, err := repo.Root()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".tools", "alertmanager-"+Version, "alertmanager"), nil
}

var buildMu sync.Mutex

// EnsureBinary returns the cached Alertmanager, building it from the Go
// module proxy first if it is missing.
func EnsureBinary(ctx context.Context) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	path, err := BinaryPath()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	cmd := exec.CommandContext(ctx, "go", "install", Module+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+filepath.Dir(path), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build alertmanager %s: %w\n%s", Version, err, out)
	}
	return path, nil
}
