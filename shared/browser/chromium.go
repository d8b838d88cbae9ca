package browser

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/chromedp/chromedp"
)

// Environment variables that configure the Chromium a journey drives.
const (
	// EnvChromium is the path of the Chromium executable to use.
	EnvChromium = "JOURNEYGATE_CHROMIUM"
	// EnvNoSandbox set to 1 runs Chromium without its sandbox (AWS Lambda
	// needs it; as root it is off anyway).
	EnvNoSandbox = "JOURNEYGATE_CHROMIUM_NO_SANDBOX"
	// EnvArgs adds command-line flags, separated by spaces, such as
	// "--single-process --no-zygote".
	EnvArgs = "JOURNEYGATE_CHROMIUM_ARGS"
)

// ErrNoChromium is the error Executable wraps when no Chromium is found.
var ErrNoChromium = errors.New("no Chromium found: install it (Debian/Ubuntu: sudo apt-get install -y chromium; `make tools` does it as root) or set " + EnvChromium + " to its path")

// executables are looked up on PATH in order when EnvChromium is unset.
var executables = []string{"chromium", "chromium-browser", "google-chrome"}

// Executable returns the Chromium a journey drives: $JOURNEYGATE_CHROMIUM
// (a path, or a name on PATH), else the first of chromium, chromium-browser and google-chrome on PATH.
// When none is found the error wraps ErrNoChromium and says how to get it.
func Executable() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		// A path, or a name looked up on PATH (`make CHROMIUM=chromium`).
		exe, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("%s=%s is not an executable Chromium: %w", EnvChromium, p, err)
		}
		return exe, nil
	}
	for _, name := range executables {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("looked for %s and %s on PATH: %w", EnvChromium, strings.Join(executables, ", "), ErrNoChromium)
}

// allocatorOptions are the flags of one attempt's Chromium: chromedp's
// headless defaults, a fixed window, a fresh temporary profile (chromedp
// makes one when none is given, and removes it when the browser closes,
// killing any child left over), no sandbox only where it cannot work.
func allocatorOptions(exe string) []chromedp.ExecAllocatorOption {
	opts := append([]chromedp.ExecAllocatorOption(nil), chromedp.DefaultExecAllocatorOptions[:]...)
	opts = append(opts,
		chromedp.ExecPath(exe),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
	)
	// As root chromedp adds --no-sandbox itself: Chromium refuses to run
	// sandboxed as root.
	if os.Getenv(EnvNoSandbox) == "1" {
		opts = append(opts, chromedp.NoSandbox)
	}
	for _, arg := range strings.Fields(os.Getenv(EnvArgs)) {
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if hasValue {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	return opts
}
