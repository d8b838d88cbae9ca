package starter

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"text/template"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/journeygate/journeygate/internal/chromiumlayer"
)

// Module is journeygate's module path, the one a starter requires.
const Module = "github.com/journeygate/journeygate"

// Placeholder is the journeygate version a starter requires when the
// running binary cannot tell its own (a development build): the usual
// version of a module that is replaced, which the user replaces by a
// release otherwise.
const Placeholder = "v0.0.0-00010101000000-000000000000"

// GoVersion is the go line of a starter's go.mod: journeygate's own.
const GoVersion = "1.26.8"

// CDKVersion is the CDK CLI a starter's make deploy runs: the one
// journeygate's own make deploy pins (infra/_cli/package.json).
const CDKVersion = "2.1148.1"

// InvalidError is bad input (exit 2): a module path, a replacement, a
// directory that is not empty.
type InvalidError struct{ msg string }

func (e *InvalidError) Error() string { return e.msg }

// invalidf returns an InvalidError.
func invalidf(format string, args ...any) error {
	return &InvalidError{msg: fmt.Sprintf(format, args...)}
}

//go:embed all:template
var templates embed.FS

// Params say what to write.
type Params struct {
	// Module is the new repository's module path.
	Module string
	// Version is the journeygate version go.mod requires; "" writes
	// Placeholder.
	Version string
	// Replace, when set, is a directory holding a journeygate checkout
	// that go.mod's replace directive points at.
	Replace string
}

// data is what the templates see.
type data struct {
	Module, Version, Replace, GoVersion, CDKVersion, Prefix string
	// ChromiumPackage and ChromiumVersion are the npm package make build
	// stages as the browser runner's layer when a journey drives a
	// browser: the one journeygate's browser runner unpacks.
	ChromiumPackage, ChromiumVersion string
	// VersionKnown is false when Version is Placeholder.
	VersionKnown bool
}

// Write writes a new repository into dir, which must be empty or not
// exist, and returns the files written (slash-separated, relative to dir).
func Write(dir string, p Params) ([]string, error) {
	if err := module.CheckImportPath(p.Module); err != nil {
		return nil, invalidf("--module: %v", err)
	}
	d := data{Module: p.Module, Version: p.Version, GoVersion: GoVersion, CDKVersion: CDKVersion, Prefix: Prefix(p.Module), VersionKnown: p.Version != "",
		ChromiumPackage: chromiumlayer.Package, ChromiumVersion: chromiumlayer.Version}
	if d.Version == "" {
		d.Version = Placeholder
	} else if !semver.IsValid(d.Version) {
		return nil, invalidf("journeygate version %q is not a semantic version", d.Version)
	}
	if p.Replace != "" {
		abs, err := checkReplace(p.Replace)
		if err != nil {
			return nil, err
		}
		d.Replace = abs
	}
	if err := checkEmpty(dir); err != nil {
		return nil, err
	}
	var written []string
	err := fs.WalkDir(templates, "template", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(name, "template/"), ".tmpl")
		if rel == "gitignore" {
			rel = ".gitignore"
		}
		out, err := render(name, d)
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, out, 0o644); err != nil {
			return err
		}
		written = append(written, rel)
		return nil
	})
	return written, err
}

// render executes the template file name with d.
func render(name string, d data) ([]byte, error) {
	src, err := templates.ReadFile(name)
	if err != nil {
		return nil, err
	}
	t, err := template.New(path.Base(name)).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("template %s: %w", name, err)
	}
	return b.Bytes(), nil
}

// checkEmpty refuses a dir that exists and holds anything, or is not a
// directory.
func checkEmpty(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
			return invalidf("%s is a file, not a directory", dir)
		}
		return err
	case len(entries) > 0:
		names := make([]string, 0, 3)
		for _, e := range entries[:min(3, len(entries))] {
			names = append(names, e.Name())
		}
		more := ""
		if len(entries) > 3 {
			more = fmt.Sprintf(" and %d more", len(entries)-3)
		}
		return invalidf("%s is not empty (it holds %s%s): init writes a new repository into an empty or new directory", dir, strings.Join(names, ", "), more)
	}
	return nil
}

// checkReplace returns dir as an absolute path when it holds journeygate's
// module.
func checkReplace(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", invalidf("--replace %s: %v", dir, err)
	}
	b, err := os.ReadFile(filepath.Join(abs, "go.mod"))
	if err != nil {
		return "", invalidf("--replace %s: no journeygate checkout there: %v", dir, err)
	}
	if got := modfile.ModulePath(b); got != Module {
		return "", invalidf("--replace %s: its go.mod is module %q, not %s", dir, got, Module)
	}
	return abs, nil
}

// prefixInvalid are the runs of characters a name prefix cannot hold.
var prefixInvalid = regexp.MustCompile(`[^a-z0-9]+`)

// maxPrefix keeps PREFIX-ENV short enough for the construct's names with
// an environment name of up to 24 characters.
const maxPrefix = 24

// Prefix is the name prefix of a repository's stacks: the last element of
// its module path (a major version suffix dropped), lowercase, dashes
// for what a prefix cannot hold, starting with a letter; "journeygate"
// when nothing is left.
func Prefix(modulePath string) string {
	elems := strings.Split(modulePath, "/")
	last := elems[len(elems)-1]
	if len(elems) > 1 && regexp.MustCompile(`^v[0-9]+$`).MatchString(last) {
		last = elems[len(elems)-2]
	}
	p := strings.Trim(prefixInvalid.ReplaceAllString(strings.ToLower(last), "-"), "-")
	p = strings.TrimLeft(p, "0123456789-")
	if len(p) > maxPrefix {
		p = strings.TrimRight(p[:maxPrefix], "-")
	}
	if p == "" {
		return "journeygate"
	}
	return p
}

// RunningVersion is the version of journeygate the running binary was
// built with: its main module's when that is journeygate (go install
// github.com/journeygate/journeygate/cmd/journeygate@VERSION), else the
// dependency's (a team's CLI); "" when it cannot tell (a development
// build, a replaced module).
func RunningVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	return versionOf(bi)
}

// versionOf is RunningVersion for bi.
func versionOf(bi *debug.BuildInfo) string {
	usable := func(m *debug.Module) string {
		if m == nil || m.Replace != nil || !semver.IsValid(m.Version) {
			return ""
		}
		return m.Version
	}
	if bi.Main.Path == Module {
		return usable(&bi.Main)
	}
	for _, m := range bi.Deps {
		if m.Path == Module {
			return usable(m)
		}
	}
	return ""
}
