package browser

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// ChromiumEnv names the variable that may point at the Chromium binary;
// the Makefile sets it (CHROMIUM=... overrides it there). Without it,
// "chromium" is looked up on PATH.
const ChromiumEnv = "JOURNEYGATE_CHROMIUM"

// InstallHint says how to install the browser when it is missing.
const InstallHint = "install Debian's chromium package: `make browser-tools` as root does " +
	"(apt-get update && apt-get install -y chromium), or `sudo apt-get install -y chromium`; " +
	"or point " + ChromiumEnv + " at a Chromium binary"

// Chromium returns the path of the Chromium binary, or an error saying how
// to install it.
func Chromium() (string, error) {
	name := os.Getenv(ChromiumEnv)
	if name == "" {
		name = "chromium"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("chromium is not installed (%s not found: %v): the browser test needs it; %s", name, err, InstallHint)
	}
	return path, nil
}

// offline are Chromium's flags that keep it off the network: no
// background requests of its own (chromedp's defaults add most), and any
// request a page makes, whatever its host (names resolve to nothing) or
// address (everything, loopback included, goes to a proxy on a closed
// port), fails.
var offline = []chromedp.ExecAllocatorOption{
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("disable-default-apps", true),
	chromedp.Flag("disable-domain-reliability", true),
	chromedp.Flag("disable-client-side-phishing-detection", true),
	chromedp.Flag("no-pings", true),
	chromedp.Flag("dns-prefetch-disable", true),
	chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider,AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions"),
	chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
	chromedp.ProxyServer("http://127.0.0.1:9"),
	chromedp.Flag("proxy-bypass-list", "<-loopback>"),
}

// NewContext starts a headless Chromium for the test, offline (see
// offline), and returns a chromedp context for one tab. The browser stops
// when the test ends. A missing Chromium fails the test, saying how to
// install it.
func NewContext(t testing.TB) context.Context {
	t.Helper()
	path, err := Chromium()
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()))
	opts = append(opts, offline...)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start the browser now, so a broken installation fails here.
	if err := chromedp.Do(ctx); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("chromium (%s) exited: %v", path, err)
		}
		t.Fatalf("starting chromium (%s): %v", path, err)
	}
	return ctx
}
