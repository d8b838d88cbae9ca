package starter

import (
	"errors"
	"go/format"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"

	"github.com/journeygate/journeygate/internal/chromiumlayer"
)

// repoRoot is journeygate's checkout, two directories up.
var repoRoot = filepath.Join("..", "..")

// TestWriteRendersEveryFile: every template is written, without its
// .tmpl suffix, the Go files formatted as gofmt would, the module path in
// their imports, and go.mod a valid module file requiring journeygate,
// replaced by the checkout when asked.
func TestWriteRendersEveryFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo")
	files, err := Write(dir, Params{Module: "example.com/acme/shop-journeys", Replace: repoRoot})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go.mod", "Makefile", "README.md", "cdk.json", ".gitignore", "journeys/environments.yaml",
		"journeys/catalogue.go", "journeys/order_placed.go", "cmd/journeygate/main.go", "cmd/target/main.go",
		"functions/runner/main.go", "functions/gate/main.go", "functions/browser-runner/main.go", "infra/main.go"} {
		if !slices.Contains(files, want) {
			t.Errorf("%s not written (wrote %v)", want, files)
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(f, ".tmpl") || strings.Contains(string(b), "{{") {
			t.Errorf("%s: not rendered", f)
		}
		if strings.HasSuffix(f, ".go") {
			formatted, err := format.Source(b)
			if err != nil {
				t.Errorf("%s: %v", f, err)
			} else if string(formatted) != string(b) {
				t.Errorf("%s is not gofmt-formatted", f)
			}
		}
	}
	main, _ := os.ReadFile(filepath.Join(dir, "cmd", "journeygate", "main.go"))
	if !strings.Contains(string(main), `"example.com/acme/shop-journeys/journeys"`) || !strings.Contains(string(main), "cli.Main(") {
		t.Errorf("cmd/journeygate/main.go does not run cli.Main on the module's journeys:\n%s", main)
	}
	browserMain, _ := os.ReadFile(filepath.Join(dir, "functions", "browser-runner", "main.go"))
	if !strings.Contains(string(browserMain), `"example.com/acme/shop-journeys/journeys"`) || !strings.Contains(string(browserMain), "browserrunner.Start(journeys.Registry)") {
		t.Errorf("functions/browser-runner/main.go does not run browserrunner.Start on the module's journeys:\n%s", browserMain)
	}
	makefile, _ := os.ReadFile(filepath.Join(dir, "Makefile"))
	if want := "CHROMIUM_PACKAGE ?= " + chromiumlayer.Package + "@" + chromiumlayer.Version; !strings.Contains(string(makefile), want) {
		t.Errorf("Makefile lacks %q (the Chromium journeygate's browser runner unpacks)", want)
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		t.Fatalf("go.mod: %v\n%s", err, gomod)
	}
	abs, _ := filepath.Abs(repoRoot)
	switch {
	case mf.Module.Mod.Path != "example.com/acme/shop-journeys":
		t.Errorf("module %q", mf.Module.Mod.Path)
	case len(mf.Require) != 1 || mf.Require[0].Mod.Path != Module || mf.Require[0].Mod.Version != Placeholder:
		t.Errorf("require %+v, want %s %s", mf.Require, Module, Placeholder)
	case len(mf.Replace) != 1 || mf.Replace[0].New.Path != abs:
		t.Errorf("replace %+v, want %s => %s", mf.Replace, Module, abs)
	case len(mf.Tool) != 2:
		t.Errorf("tool %+v, want the hook and the sink", mf.Tool)
	case strings.Contains(string(gomod), "could not tell"):
		t.Errorf("go.mod asks for a version though journeygate is replaced:\n%s", gomod)
	}
}

// TestWriteRequiresTheVersion: a known version is required as it is, with
// no replace; an unknown one is the placeholder with a note saying so.
func TestWriteRequiresTheVersion(t *testing.T) {
	for _, tc := range []struct {
		version, want string
		note          bool
	}{
		{"v1.4.2", "v1.4.2", false},
		{"", Placeholder, true},
	} {
		dir := filepath.Join(t.TempDir(), "repo")
		if _, err := Write(dir, Params{Module: "example.com/team", Version: tc.version}); err != nil {
			t.Fatal(err)
		}
		gomod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
		mf, err := modfile.Parse("go.mod", gomod, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := mf.Require[0].Mod.Version; got != tc.want || len(mf.Replace) != 0 {
			t.Errorf("version %q: requires %s, %d replaces; want %s and none", tc.version, got, len(mf.Replace), tc.want)
		}
		if note := strings.Contains(string(gomod), "could not tell"); note != tc.note {
			t.Errorf("version %q: note %v, want %v:\n%s", tc.version, note, tc.note, gomod)
		}
	}
}

// TestWriteRefusesBadInput: a directory that is not empty (named, with
// what it holds), a file, a bad module path or version, a replacement that
// is not a journeygate checkout: an InvalidError each, nothing written.
func TestWriteRefusesBadInput(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(full, "notes.txt")
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "go.mod"), []byte("module example.com/other\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := func() string { return filepath.Join(t.TempDir(), "repo") }
	for _, tc := range []struct {
		name string
		dir  string
		p    Params
		want string
	}{
		{"not empty", full, Params{Module: "example.com/team"}, full + " is not empty (it holds notes.txt)"},
		{"a file", file, Params{Module: "example.com/team"}, file + " is a file"},
		{"bad module path", fresh(), Params{Module: "example.com/team x"}, "--module"},
		{"bad version", fresh(), Params{Module: "example.com/team", Version: "1.0"}, `journeygate version "1.0"`},
		{"replace without a module", fresh(), Params{Module: "example.com/team", Replace: t.TempDir()}, "no journeygate checkout there"},
		{"replace with another module", fresh(), Params{Module: "example.com/team", Replace: other}, `its go.mod is module "example.com/other"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Write(tc.dir, tc.p)
			var invalid *InvalidError
			if !errors.As(err, &invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want an InvalidError saying %q", err, tc.want)
			}
			if tc.dir != full && tc.dir != file {
				if _, err := os.Stat(tc.dir); err == nil {
					t.Errorf("%s was created", tc.dir)
				}
			}
		})
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Errorf("the non-empty directory was written to: %v", entries)
	}
}

func TestPrefix(t *testing.T) {
	for in, want := range map[string]string{
		"example.com/acme/shop-journeys":   "shop-journeys",
		"github.com/Acme/Checkout_Gate/v2": "checkout-gate",
		"example.com/acme/2fa":             "fa",
		"example.com/acme/___":             "journeygate",
		"team":                             "team",
		"example.com/a/a-very-long-name-for-a-journeys-repository": "a-very-long-name-for-a-j",
	} {
		if got := Prefix(in); got != want {
			t.Errorf("Prefix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVersionOf(t *testing.T) {
	dep := func(version string, replaced bool) *debug.Module {
		m := &debug.Module{Path: Module, Version: version}
		if replaced {
			m.Replace = &debug.Module{Path: "../journeygate"}
		}
		return m
	}
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"installed at a version", debug.BuildInfo{Main: debug.Module{Path: Module, Version: "v1.2.3"}}, "v1.2.3"},
		{"a development build", debug.BuildInfo{Main: debug.Module{Path: Module, Version: "(devel)"}}, ""},
		{"a team's CLI", debug.BuildInfo{Main: debug.Module{Path: "example.com/team"}, Deps: []*debug.Module{dep("v1.5.0", false)}}, "v1.5.0"},
		{"a team's CLI on a checkout", debug.BuildInfo{Main: debug.Module{Path: "example.com/team"}, Deps: []*debug.Module{dep(Placeholder, true)}}, ""},
		{"not journeygate at all", debug.BuildInfo{Main: debug.Module{Path: "example.com/other", Version: "v9.0.0"}}, ""},
	} {
		if got := versionOf(&tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestPinsMatchTheRepository: a starter's go line is journeygate's, and
// its CDK CLI the one journeygate's make deploy pins.
func TestPinsMatchTheRepository(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	mf, err := modfile.Parse("go.mod", b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mf.Go.Version != GoVersion {
		t.Errorf("GoVersion %s, journeygate's go.mod says go %s", GoVersion, mf.Go.Version)
	}
	pkg, err := os.ReadFile(filepath.Join(repoRoot, "infra", "_cli", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(pkg), `"aws-cdk": "`+CDKVersion+`"`) {
		t.Errorf("CDKVersion %s is not the aws-cdk of infra/_cli/package.json:\n%s", CDKVersion, pkg)
	}
}
