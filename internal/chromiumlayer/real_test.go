package chromiumlayer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/journeygate/journeygate/internal/chromiumlayer"
	"github.com/journeygate/journeygate/test/repo"
)

// The pinned package's files (test/package.json): what make build stages
// as the layer, so what these tests unpack and start is what the browser
// runner ships.
const pinned = "@sparticuz/chromium/bin"

// Bounds on the pinned files, so a package that changed shape (a file
// gone, Chromium split or moved) fails here before a deployment: the
// compressed layer and the unpacked tree must fit Lambda's limits (250 MB
// unzipped for function and layers, the browser runner's ephemeral
// storage).
const (
	maxLayerBytes    = 100 << 20
	maxUnpackedBytes = 400 << 20
	minChromiumBytes = 100 << 20
)

var (
	unpackOnce sync.Once
	unpacked   chromiumlayer.Browser
	unpackErr  error
	unpackDir  string
)

// realBrowser unpacks the pinned package once for this test binary.
func realBrowser(t *testing.T) chromiumlayer.Browser {
	t.Helper()
	src, err := repo.NodeModule(pinned)
	if err != nil {
		t.Skip(err)
	}
	unpackOnce.Do(func() {
		dir, err := unpackTo(src)
		if err != nil {
			unpackErr = err
			return
		}
		start := time.Now()
		unpacked, unpackErr = chromiumlayer.Install(src, dir)
		t.Logf("unpacked %s into %s in %s", src, dir, time.Since(start).Round(time.Millisecond))
	})
	if unpackErr != nil {
		t.Fatal(unpackErr)
	}
	return unpacked
}

// unpackTo is where the test unpacks the pinned package: a fresh temporary
// directory, except under the race detector, which slows the brotli
// decoder down to about a minute: there a cache directory per package
// version and size, which Install reuses once complete (TestInstall
// covers reuse; this still unpacks the real files once per version).
func unpackTo(src string) (string, error) {
	if !raceDetector {
		dir, err := os.MkdirTemp("", "chromiumlayer-test-")
		unpackDir = dir
		return filepath.Join(dir, "chromium"), err
	}
	return chromiumlayer.CacheDir(src)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if unpackDir != "" {
		os.RemoveAll(unpackDir)
	}
	os.Exit(code)
}

// TestPinnedPackage: the pinned @sparticuz/chromium has every file the
// layer needs, within bounds, and unpacks into a Chromium executable with
// its libraries, SwiftShader and fonts.
func TestPinnedPackage(t *testing.T) {
	src, err := repo.NodeModule(pinned)
	if err != nil {
		t.Skip(err)
	}
	var layer int64
	for _, f := range chromiumlayer.Files {
		fi, err := os.Stat(filepath.Join(src, f))
		if err != nil {
			t.Fatalf("the pinned package lacks %s: %v", f, err)
		}
		layer += fi.Size()
	}
	if layer > maxLayerBytes {
		t.Errorf("layer files are %d MB, over %d MB", layer>>20, maxLayerBytes>>20)
	}
	if runtime.GOARCH != "amd64" {
		t.Skipf("the pinned Chromium is x86-64; this is %s: Install refuses it (TestInstallRefuses)", runtime.GOARCH)
	}
	b := realBrowser(t)
	var total int64
	filepath.Walk(b.Dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			total += fi.Size()
		}
		return nil
	})
	if total > maxUnpackedBytes {
		t.Errorf("unpacked Chromium is %d MB, over %d MB", total>>20, maxUnpackedBytes>>20)
	}
	fi, err := os.Stat(b.Executable)
	if err != nil || fi.Size() < minChromiumBytes || fi.Mode()&0o111 == 0 {
		t.Fatalf("executable %s: %v (want an executable of at least %d MB)", b.Executable, err, minChromiumBytes>>20)
	}
	for _, p := range []string{
		filepath.Join(b.LibDir, "libnss3.so"), filepath.Join(b.LibDir, "libnspr4.so"), filepath.Join(b.LibDir, "libexpat.so.1"),
		filepath.Join(b.Dir, "libGLESv2.so"), filepath.Join(b.Dir, "libEGL.so"), filepath.Join(b.Dir, "libvk_swiftshader.so"),
		filepath.Join(b.FontConfigDir, "fonts.conf"),
	} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("not unpacked: %v", err)
		}
	}
	t.Logf("layer %d MB, unpacked %d MB", layer>>20, total>>20)
}

// TestPinnedChromiumStarts starts the very Chromium the browser runner
// ships, as it runs there (no sandbox, no zygote, one process, its
// libraries and fonts), and drives a page with chromedp.
func TestPinnedChromiumStarts(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the pinned Chromium is linux/amd64; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	b := realBrowser(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>gate</title><p id="status">waiting</p>
<script>setTimeout(() => { document.getElementById("status").textContent = "resolved"; }, 50);</script>`)
	}))
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(b.Executable), chromedp.NoSandbox,
		chromedp.Flag("no-zygote", true), chromedp.Flag("single-process", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("proxy-server", "direct://"))
	for k, v := range b.Env(func(string) string { return "" }) {
		opts = append(opts, chromedp.Env(k+"="+v))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	start := time.Now()
	if err := chromedp.Do(bctx,
		chromedp.Navigate(srv.URL),
		chromedp.WaitVisible(chromedp.CSS("#status")),
		chromedp.Action[chromedp.Void](chromedp.Poll[chromedp.Void](`document.getElementById("status").textContent === "resolved"`)),
	); err != nil {
		t.Fatalf("driving the pinned Chromium (%s): %v", b.Executable, err)
	}
	text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("#status")))
	if err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(bctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	version, err := chromedp.Run(bctx, chromedp.Evaluate[string](`navigator.userAgent`))
	if err != nil {
		t.Fatal(err)
	}
	if text != "resolved" || title != "gate" {
		t.Errorf("page read %q, title %q; want resolved, gate", text, title)
	}
	t.Logf("%s: start to page read in %s", version, time.Since(start).Round(time.Millisecond))
}
