// Package starter tests `journeygate init` end to end: the repository it
// writes builds, runs its sample journey to Succeeded and synthesizes its
// stack, as a team would use it, on this checkout.
package starter

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/internal/chromiumlayer"
	"github.com/journeygate/journeygate/test/repo"
)

// module is the starter's module path; its stacks are PREFIX-ENV.
const (
	module = "example.com/acme/shop-journeys"
	prefix = "shop-journeys"
)

// TestInitStarterBuildsRunsAndSynthesizes runs `journeygate init` (this
// checkout's CLI) into a temporary directory with a replace to this
// checkout, then in it, as its README says: go mod tidy, make build (the
// four bootstraps, linux/arm64), make run (the sample journey against the
// sample shop: Succeeded, exit 0), make test, make synth (its stack,
// offline, free of cdk-nag errors); then it adds a UI journey (Browser:
// true) and runs make build and make synth again: the browser runner
// (linux/amd64) and Chromium for Lambda (npm pack, from the npm cache
// once fetched) are built and staged then and only then, and the stack
// has the browser runner on x86_64 with its layer. A failing step fails
// the test with the command's output.
func TestInitStarterBuildsRunsAndSynthesizes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a new repository's CLI, functions and stack")
	}
	for _, tool := range []string{"go", "make", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not on PATH: the starter's make targets need it (%v)", tool, err)
		}
	}
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	env := starterEnv(t)
	cli := filepath.Join(tmp, "bin", "journeygate")
	step(t, root, env, 5*time.Minute, "go", "build", "-o", cli, "./cmd/journeygate")

	dir := filepath.Join(tmp, "shop-journeys")
	out := step(t, tmp, env, time.Minute, cli, "init", dir, "--module", module, "--replace", root)
	for _, want := range []string{"into " + dir, "go.mod", "journeys/order_placed.go", "infra/main.go", "replaced by the checkout in " + root} {
		if !strings.Contains(out, want) {
			t.Errorf("init's output does not say %q:\n%s", want, out)
		}
	}
	t.Run("init refuses a directory that is not empty", func(t *testing.T) {
		code, out := command(tmp, env, time.Minute, cli, "init", dir, "--module", module, "--replace", root)
		if code != 2 || !strings.Contains(out, dir+" is not empty") {
			t.Errorf("init into %s again: exit %d, want 2 naming it:\n%s", dir, code, out)
		}
	})

	// go.sum from this checkout's: the starter needs a subset of its
	// modules, all in the module cache already.
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	step(t, dir, env, 3*time.Minute, "go", "mod", "tidy")

	step(t, dir, env, 5*time.Minute, "make", "build")
	for _, fn := range []string{"hook", "runner", "gate", "sink"} {
		checkBootstrap(t, filepath.Join(dir, "dist", fn, "bootstrap"), elf.EM_AARCH64)
	}
	// No journey drives a browser yet: no browser runner, no Chromium.
	for _, d := range []string{"browser-runner", "chromium-layer"} {
		if _, err := os.Stat(filepath.Join(dir, "dist", d)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("make build without a browser journey made dist/%s (stat: %v)", d, err)
		}
	}

	out = step(t, dir, env, 5*time.Minute, "make", "run")
	for _, want := range []string{"ok   order-placed 2/2 order confirmed", "VERDICT: Succeeded — 1/1 journey passed", "journeygate exit code: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("make run does not say %q:\n%s", want, out)
		}
	}

	step(t, dir, env, 5*time.Minute, "make", "test")

	step(t, dir, env, 8*time.Minute, "make", "synth")
	checkStack(t, filepath.Join(dir, "cdk.out"), prefix+"-staging")
	if t.Failed() {
		return
	}

	// A UI journey (built and synthesized, never run): make build then
	// builds the browser runner (x86-64) and stages Chromium for Lambda
	// from npm, and the stack has the browser runner with its layer.
	addBrowserJourney(t, dir)
	step(t, dir, env, 5*time.Minute, "make", "build")
	checkBootstrap(t, filepath.Join(dir, "dist", "browser-runner", "bootstrap"), elf.EM_X86_64)
	for _, f := range chromiumlayer.Files {
		if fi, err := os.Stat(filepath.Join(dir, "dist", "chromium-layer", "chromium", f)); err != nil || fi.Size() == 0 {
			t.Errorf("make build with a browser journey staged no dist/chromium-layer/chromium/%s (%v)", f, err)
		}
	}
	step(t, dir, env, 8*time.Minute, "make", "synth")
	stack := filepath.Join(dir, "cdk.out", prefix+"-staging.template.json")
	checkBrowserRunner(t, stack)
	checkStack(t, filepath.Join(dir, "cdk.out"), prefix+"-staging")
}

// browserJourney is a UI journey a team could write: it opens the sample
// shop in Chromium (shared/browser). The test builds and synthesizes it,
// never runs it.
const browserJourney = `package journeys

import (
	"context"
	"time"

	"github.com/journeygate/journeygate/shared/browser"
	"github.com/journeygate/journeygate/shared/journey"
)

// ShopPage: the shop answers in a browser.
func ShopPage() journey.Journey {
	return journey.Journey{
		Name:        "shop-page",
		Description: "the shop answers in a browser",
		Tier:        journey.TierDomain,
		Owner:       "shop-team",
		Covers:      []string{"shop"},
		Mode:        journey.ModeEnforce,
		Targets:     []string{shop},
		Browser:     true,
		Steps: []journey.Step{
			{Name: "shop page shown", SLA: 10 * time.Second, Do: func(ctx context.Context, t *journey.T) error {
				page, err := browser.Open(ctx, t, shop)
				if err != nil {
					return err
				}
				if err := page.Navigate(ctx, "/healthz"); err != nil {
					return err
				}
				return page.WaitText(ctx, "body", "ok")
			}},
		},
	}
}
`

// addBrowserJourney writes browserJourney into the repository in dir and
// adds it to the catalogue's All.
func addBrowserJourney(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "journeys", "shop_page.go"), []byte(browserJourney), 0o644); err != nil {
		t.Fatal(err)
	}
	catalogue := filepath.Join(dir, "journeys", "catalogue.go")
	src, err := os.ReadFile(catalogue)
	if err != nil {
		t.Fatal(err)
	}
	const entry = "\t\tOrderPlaced(),\n"
	if !bytes.Contains(src, []byte(entry)) {
		t.Fatalf("journeys/catalogue.go does not list OrderPlaced() in All:\n%s", src)
	}
	src = bytes.Replace(src, []byte(entry), []byte(entry+"\t\tShopPage(),\n"), 1)
	if err := os.WriteFile(catalogue, src, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkBrowserRunner checks the synthesized template has the browser
// runner, on x86_64 with a layer (the Chromium layer the stack defines).
func checkBrowserRunner(t *testing.T, template string) {
	t.Helper()
	data, err := os.ReadFile(template)
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				Architectures []string
				Layers        []any
				Environment   struct{ Variables map[string]any }
			}
		}
	}
	if err := json.Unmarshal(data, &tpl); err != nil {
		t.Fatalf("%s: %v", template, err)
	}
	var runners, layers int
	for id, r := range tpl.Resources {
		switch r.Type {
		case "AWS::Lambda::LayerVersion":
			layers++
		case "AWS::Lambda::Function":
			if _, ok := r.Properties.Environment.Variables["JOURNEYGATE_CHROMIUM_LAYER"]; !ok {
				continue
			}
			runners++
			if len(r.Properties.Architectures) != 1 || r.Properties.Architectures[0] != "x86_64" {
				t.Errorf("browser runner %s: architectures %v, want [x86_64]", id, r.Properties.Architectures)
			}
			if len(r.Properties.Layers) != 1 {
				t.Errorf("browser runner %s: layers %v, want the Chromium layer", id, r.Properties.Layers)
			}
		}
	}
	if runners != 1 || layers != 1 {
		t.Errorf("%s: %d browser runners (a function with JOURNEYGATE_CHROMIUM_LAYER) and %d layers, want 1 and 1", filepath.Base(template), runners, layers)
	}
}

// starterEnv is the environment of the starter's commands: this process's
// (the build and module caches shared), modules resolved as go.mod says
// (GOFLAGS=-mod=mod), no workspace, no toolchain download, and none of an
// outer make's variables (its jobserver).
func starterEnv(t *testing.T) []string {
	t.Helper()
	flags, err := exec.Command("go", "env", "GOFLAGS").Output()
	if err != nil {
		t.Fatalf("go env GOFLAGS: %v", err)
	}
	var env []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "GOFLAGS", "GOWORK", "GOTOOLCHAIN", "GOOS", "GOARCH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEFILES":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOFLAGS="+strings.TrimSpace(strings.TrimSpace(string(flags))+" -mod=mod"), "GOWORK=off", "GOTOOLCHAIN=local")
}

// command runs name with args in dir and returns its exit code (-1: it
// could not start or ran out of time) and its combined output.
func command(dir string, env []string, timeout time.Duration, name string, args ...string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(&out, "\n(killed after %s)", timeout)
		return -1, out.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String()
	case err != nil:
		fmt.Fprintf(&out, "\n(%v)", err)
		return -1, out.String()
	}
	return 0, out.String()
}

// step runs a command that must succeed and returns its output; it fails
// the test with the command and its output otherwise.
func step(t *testing.T, dir string, env []string, timeout time.Duration, name string, args ...string) string {
	t.Helper()
	start := time.Now()
	code, out := command(dir, env, timeout, name, args...)
	if code != 0 {
		t.Fatalf("%s %s (in %s): exit %d after %s; its output:\n%s", name, strings.Join(args, " "), dir, code, time.Since(start).Round(time.Millisecond), out)
	}
	t.Logf("%s %s: %s", name, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	return out
}

// checkBootstrap checks path is a static linux executable for machine
// (arm64, or x86-64 for the browser runner), as Lambda's provided.al2023
// runtime runs it.
func checkBootstrap(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	defer f.Close()
	if f.Machine != machine || f.Type != elf.ET_EXEC {
		t.Errorf("%s: %s %s, want an %s executable", path, f.Machine, f.Type, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked", path)
		}
	}
}

// checkStack checks the synthesized stack in the cloud assembly out: the
// four functions and the state machine, the runner told its catalogue's
// fingerprint and the bundled environments file, and no cdk-nag finding
// at error level left unsuppressed.
func checkStack(t *testing.T, out, stack string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, stack+".template.json"))
	if err != nil {
		t.Fatalf("make synth wrote no template for %s: %v", stack, err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(data, &tpl); err != nil {
		t.Fatalf("%s.template.json: %v", stack, err)
	}
	count := map[string]int{}
	fingerprinted := false
	for _, r := range tpl.Resources {
		count[r.Type]++
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		env, _ := r.Properties["Environment"].(map[string]any)
		vars, _ := env["Variables"].(map[string]any)
		if fp, _ := vars["JOURNEYGATE_CATALOGUE_FINGERPRINT"].(string); strings.HasPrefix(fp, "sha256:") && vars["JOURNEYGATE_ENVIRONMENTS_FILE"] != nil {
			fingerprinted = true
		}
	}
	if count["AWS::Lambda::Function"] < 4 || count["AWS::StepFunctions::StateMachine"] != 1 {
		t.Errorf("%s has %d functions and %d state machines, want the construct's four and one", stack, count["AWS::Lambda::Function"], count["AWS::StepFunctions::StateMachine"])
	}
	if !fingerprinted {
		t.Errorf("%s: no function has JOURNEYGATE_CATALOGUE_FINGERPRINT and JOURNEYGATE_ENVIRONMENTS_FILE (the runner)", stack)
	}
	// Annotations at error level (cdk-nag's among them) are in the
	// assembly's metadata; cdk-nag also writes its report.
	files, _ := filepath.Glob(filepath.Join(out, "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range errorAnnotations(doc) {
			t.Errorf("%s: error annotation: %v", filepath.Base(f), e)
		}
	}
	report, err := os.Open(filepath.Join(out, "AwsSolutions-"+stack+"-NagReport.csv"))
	if err != nil {
		report, err = os.Open(filepath.Join(out, "AwsSolutions--"+stack+"-NagReport.csv"))
	}
	if err != nil {
		t.Fatalf("no cdk-nag report for %s: %v", stack, err)
	}
	defer report.Close()
	rows, err := csv.NewReader(report).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if len(r) > 4 && r[2] == "Non-Compliant" && r[4] == "Error" {
			t.Errorf("cdk-nag error: %s", strings.Join(r, ", "))
		}
	}
}

// errorAnnotations are the data of the metadata entries of type
// aws:cdk:error anywhere in doc, a cloud assembly JSON file.
func errorAnnotations(doc any) []any {
	var out []any
	switch v := doc.(type) {
	case map[string]any:
		if v["type"] == "aws:cdk:error" {
			return []any{v["data"]}
		}
		for _, c := range v {
			out = append(out, errorAnnotations(c)...)
		}
	case []any:
		for _, c := range v {
			out = append(out, errorAnnotations(c)...)
		}
	}
	return out
}
