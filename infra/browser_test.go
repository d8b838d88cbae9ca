package infra_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/infra/infratest"
	"github.com/journeygate/journeygate/internal/chromiumlayer"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/shared/journey"
)

// TestBrowserRunner: a catalogue with a journey that drives a browser gets
// the browser runner: x86_64 (Chromium for Lambda is x86-64 only) while
// the runner stays arm64, sized for Chromium, its timeout from its own
// journeys, the runner's configuration plus where Chromium and the
// screenshots go, the Chromium layer, and the state machine routing
// browser journeys to it, which only it may be invoked for.
func TestBrowserRunner(t *testing.T) {
	s := synth(t, "staging")
	if !hasBrowserJourney(s.Deployment.Props.Catalogue.All()) {
		t.Fatal("the staging catalogue has no browser journey (journeys: silence-through-ui)")
	}
	fns := map[string]map[string]any{}
	for id, name := range s.Gate.FunctionLogicalIDs() {
		fns[name] = s.Template.Resources[id].Properties
	}
	browser, runner := fns[infra.FunctionBrowserRunner], fns[infra.FunctionRunner]
	if browser == nil {
		t.Fatalf("no browser runner among %v", s.Gate.FunctionLogicalIDs())
	}
	if got := list(browser["Architectures"]); len(got) != 1 || got[0] != "x86_64" {
		t.Errorf("browser runner architectures %v, want [x86_64]", got)
	}
	if got := list(runner["Architectures"]); len(got) != 1 || got[0] != "arm64" {
		t.Errorf("runner architectures %v, want [arm64]", got)
	}
	if browser["MemorySize"] != float64(infra.BrowserRunnerMemoryMB) || runner["MemorySize"] != float64(infra.RunnerMemoryMB) {
		t.Errorf("memory: browser runner %v, runner %v; want %d and %d", browser["MemorySize"], runner["MemorySize"], infra.BrowserRunnerMemoryMB, infra.RunnerMemoryMB)
	}
	if got, _ := browser["EphemeralStorage"].(map[string]any); got["Size"] != float64(infra.BrowserRunnerEphemeralMB) {
		t.Errorf("browser runner ephemeral storage %v, want %d MB", got, infra.BrowserRunnerEphemeralMB)
	}
	// Each runner's timeout is just above its slowest journey's budget.
	for name, browserJourneys := range map[string]bool{infra.FunctionRunner: false, infra.FunctionBrowserRunner: true} {
		var need time.Duration
		for _, j := range s.Deployment.Props.Catalogue.All() {
			if j.Browser == browserJourneys && j.RunsIn("staging") {
				need = max(need, flow.JourneyTimeout(j, flow.DefaultTimeoutMargin))
			}
		}
		need = max(need, flow.PlanTimeoutSeconds*time.Second)
		if got := time.Duration(fns[name]["Timeout"].(float64)) * time.Second; got <= need || got > need+15*time.Second {
			t.Errorf("%s timeout %s, want just above %s", name, got, need)
		}
	}
	vars := func(p map[string]any) map[string]any {
		return p["Environment"].(map[string]any)["Variables"].(map[string]any)
	}
	bv, rv := vars(browser), vars(runner)
	for k, v := range rv {
		if got, _ := json.Marshal(bv[k]); string(got) != mustJSON(t, v) {
			t.Errorf("browser runner %s = %s, want the runner's %s", k, got, mustJSON(t, v))
		}
	}
	for k, want := range map[string]string{
		"JOURNEYGATE_CHROMIUM_LAYER":      chromiumlayer.LayerDir,
		"JOURNEYGATE_CHROMIUM":            "/tmp/chromium/chromium",
		"JOURNEYGATE_CHROMIUM_NO_SANDBOX": "1",
		"JOURNEYGATE_CHROMIUM_ARGS":       "--single-process --no-zygote",
		"JOURNEYGATE_ARTIFACT_PREFIX":     "reports/staging/",
	} {
		if bv[k] != want {
			t.Errorf("browser runner %s = %v, want %q", k, bv[k], want)
		}
	}
	if _, ok := bv["JOURNEYGATE_REPORT_BUCKET"].(map[string]any); !ok {
		t.Errorf("browser runner JOURNEYGATE_REPORT_BUCKET = %v, want the reports bucket", bv["JOURNEYGATE_REPORT_BUCKET"])
	}
	// The layer: its one version, for x86_64 on provided.al2023.
	layers := s.Template.OfType("AWS::Lambda::LayerVersion")
	if len(layers) != 1 {
		t.Fatalf("layers %v, want the Chromium layer", layers)
	}
	lp := s.Template.Resources[layers[0]].Properties
	if got := list(lp["CompatibleArchitectures"]); len(got) != 1 || got[0] != "x86_64" {
		t.Errorf("layer architectures %v, want [x86_64]", got)
	}
	if got := mustJSON(t, browser["Layers"]); got != `[{"Ref":"`+layers[0]+`"}]` {
		t.Errorf("browser runner layers %s, want the Chromium layer %s", got, layers[0])
	}
	if runner["Layers"] != nil {
		t.Errorf("runner layers %v, want none", runner["Layers"])
	}
	// The definition names it to the plan as the browser journeys'
	// function, and the state machine may invoke it.
	def, err := s.Definition()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, `"`+flow.RunnerBrowser+`": "`+infra.PlaceholderFunctionARN(infra.FunctionBrowserRunner)+`"`) {
		t.Errorf("definition does not give browser journeys the browser runner:\n%s", def)
	}
	smRole := mustJSON(t, s.Template.Resources)
	browserID := ""
	for id, name := range s.Gate.FunctionLogicalIDs() {
		if name == infra.FunctionBrowserRunner {
			browserID = id
		}
	}
	if !strings.Contains(smRole, `{"Fn::GetAtt":["`+browserID+`","Arn"]}`) {
		t.Error("nothing names the browser runner's ARN: the state machine may not invoke it")
	}
}

// TestNoBrowserRunnerWithoutBrowserJourneys: a catalogue whose journeys
// all make requests gets no browser runner, no layer (no Chromium to
// stage) and a definition that names no browser runner to the plan (which
// then refuses a browser journey, flow.ErrNoRunner).
func TestNoBrowserRunnerWithoutBrowserJourneys(t *testing.T) {
	var api []journey.Journey
	for _, j := range synth(t, "staging").Deployment.Props.Catalogue.All() {
		if !j.Browser {
			api = append(api, j)
		}
	}
	dir := t.TempDir()
	s, err := infratest.Synthesize(dir, "staging", func(d *infra.Deployment) {
		d.Props.Catalogue = catalogue(t, api...)
		// Nothing of the browser runner's is needed to build it.
		os.RemoveAll(filepath.Join(d.Props.DistDir, infra.FunctionBrowserRunner))
		os.RemoveAll(filepath.Join(d.Props.DistDir, infra.ChromiumLayerDir))
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Gate.BrowserRunnerFunction() != nil || s.Gate.ChromiumLayer() != nil || len(s.Template.OfType("AWS::Lambda::LayerVersion")) != 0 {
		t.Error("a catalogue without browser journeys got the browser runner or its layer")
	}
	if n := len(s.Template.OfType("AWS::Lambda::Function")); n != len(infra.Functions) {
		t.Errorf("%d functions, want %d", n, len(infra.Functions))
	}
	def, err := s.Definition()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(def, `"`+flow.RunnerBrowser+`": "`) || !strings.Contains(def, `"`+flow.RunnerAPI+`": "`+infra.PlaceholderFunctionARN(infra.FunctionRunner)+`"`) {
		t.Errorf("definition without a browser runner must name the runner's function only:\n%s", def)
	}
}

// TestBrowserRunnerNeedsItsBuild: with a browser journey, a missing
// browser runner build or Chromium layer is a synth error saying to build;
// the layer's names the package and version make build stages, in this
// repository and in a starter repository alike (no test/node_modules).
func TestBrowserRunnerNeedsItsBuild(t *testing.T) {
	for _, tc := range []struct {
		name, remove, want string
	}{
		{"no bootstrap", infra.FunctionBrowserRunner, "function browser-runner (a journey drives a browser)"},
		{"no layer", filepath.Join(infra.ChromiumLayerDir, "chromium", chromiumlayer.FileChromium),
			"lacks chromium.br: run `make build` first (when a journey drives a browser it stages the bin/*.br files of the npm package @sparticuz/chromium " + chromiumlayer.Version + ")"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := infratest.Synthesize(t.TempDir(), "staging", func(d *infra.Deployment) {
				os.RemoveAll(filepath.Join(d.Props.DistDir, tc.remove))
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			} else if strings.Contains(err.Error(), "node_modules") {
				t.Errorf("err = %v: a starter repository has no node_modules", err)
			}
		})
	}
}

func hasBrowserJourney(js []journey.Journey) bool {
	for _, j := range js {
		if j.Browser {
			return true
		}
	}
	return false
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
