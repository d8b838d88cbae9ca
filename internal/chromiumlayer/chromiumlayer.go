package chromiumlayer

import (
	"archive/tar"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// The npm package whose files the layer holds, and its version: the one
// test/package.json pins (this repository's make build copies its files
// from test/node_modules) and a starter repository's make build fetches
// with npm pack.
const (
	Package = "@sparticuz/chromium"
	Version = "153.0.0"
)

// The files the layer holds, as @sparticuz/chromium ships them in bin/.
const (
	// FileChromium is the brotli-compressed Chromium executable.
	FileChromium = "chromium.br"
	// FileLibraries is a tar of the shared libraries (NSS, NSPR, expat)
	// Amazon Linux 2023 lacks, under lib/.
	FileLibraries = "al2023.tar.br"
	// FileFonts is a tar of a fontconfig file and the fonts it names.
	FileFonts = "fonts.tar.br"
	// FileSwiftShader is a tar of the software GL and Vulkan libraries
	// Chromium loads from its own directory.
	FileSwiftShader = "swiftshader.tar.br"
)

// Files are the layer's files, every one required.
var Files = []string{FileChromium, FileLibraries, FileFonts, FileSwiftShader}

const (
	// LayerDir is where Lambda mounts the layer's files (a layer's
	// chromium/ directory under /opt).
	LayerDir = "/opt/chromium"
	// DefaultDir is where the browser runner unpacks them: /tmp, the
	// function's ephemeral storage.
	DefaultDir = "/tmp/chromium"
	// Executable is the Chromium executable's name in the unpacked
	// directory.
	Executable = "chromium"
	// complete marks a directory Install finished unpacking.
	complete = ".complete"
)

// Browser is an unpacked Chromium.
type Browser struct {
	// Dir holds everything unpacked.
	Dir string
	// Executable is Chromium's executable (Dir/chromium).
	Executable string
	// LibDir holds the shared libraries Chromium needs (Dir/al2023/lib).
	LibDir string
	// FontConfigDir holds fonts.conf (Dir/fonts): FONTCONFIG_PATH.
	FontConfigDir string
}

// At describes the Chromium unpacked in dir.
func At(dir string) Browser {
	return Browser{
		Dir:           dir,
		Executable:    filepath.Join(dir, Executable),
		LibDir:        filepath.Join(dir, "al2023", "lib"),
		FontConfigDir: filepath.Join(dir, "fonts"),
	}
}

// Env is the environment Chromium needs, given the process's (getenv):
// LD_LIBRARY_PATH with LibDir first, FONTCONFIG_PATH, and HOME when it is
// unset (Lambda sets none; Chromium writes there).
func (b Browser) Env(getenv func(string) string) map[string]string {
	lib := b.LibDir
	if cur := getenv("LD_LIBRARY_PATH"); cur != "" {
		parts := strings.Split(cur, ":")
		if parts[0] != b.LibDir {
			lib = b.LibDir + ":" + cur
		} else {
			lib = cur
		}
	}
	env := map[string]string{"LD_LIBRARY_PATH": lib, "FONTCONFIG_PATH": b.FontConfigDir}
	if getenv("HOME") == "" {
		env["HOME"] = filepath.Dir(b.Dir)
	}
	return env
}

// Install unpacks the layer's files in src into dir and describes the
// result. A dir an earlier Install completed (a warm container's /tmp) is
// used as it is. It unpacks into a sibling directory first and renames it
// into place, so a crash half-way leaves no half-unpacked dir behind; it
// refuses a Chromium built for another architecture than this process's.
func Install(src, dir string) (Browser, error) {
	b := At(dir)
	if _, err := os.Stat(filepath.Join(dir, complete)); err == nil {
		return b, nil
	}
	var missing []string
	for _, f := range Files {
		if fi, err := os.Stat(filepath.Join(src, f)); err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return Browser{}, fmt.Errorf("chromium layer %s lacks %s (the browser runner's layer holds @sparticuz/chromium's bin/*.br: make build stages them)", src, strings.Join(missing, ", "))
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return Browser{}, fmt.Errorf("unpacking chromium: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".partial-")
	if err != nil {
		return Browser{}, fmt.Errorf("unpacking chromium: %w", err)
	}
	defer os.RemoveAll(tmp) // nothing left once renamed
	staged := At(tmp)
	jobs := []struct {
		file string
		do   func(r io.Reader) error
	}{
		{FileChromium, func(r io.Reader) error { return writeFile(staged.Executable, r, 0o755) }},
		{FileSwiftShader, func(r io.Reader) error { return untar(r, tmp) }},
		{FileLibraries, func(r io.Reader) error { return untar(r, filepath.Join(tmp, "al2023")) }},
		{FileFonts, func(r io.Reader) error { return untar(r, staged.FontConfigDir) }},
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			f, err := os.Open(filepath.Join(src, j.file))
			if err != nil {
				errs[i] = err
				return
			}
			defer f.Close()
			if err := j.do(brotli.NewReader(f)); err != nil {
				errs[i] = fmt.Errorf("%s: %w", j.file, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Browser{}, fmt.Errorf("unpacking chromium from %s: %w", src, err)
	}
	if err := checkArch(staged.Executable); err != nil {
		return Browser{}, err
	}
	// The shipped fonts.conf names /tmp/fonts; this one names where the
	// fonts are, wherever dir is.
	conf := fmt.Sprintf("<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig>\n  <dir>%s</dir>\n  <cachedir>%s</cachedir>\n</fontconfig>\n",
		filepath.Join(dir, "fonts"), filepath.Join(dir, "fonts-cache"))
	if err := os.WriteFile(filepath.Join(staged.FontConfigDir, "fonts.conf"), []byte(conf), 0o644); err != nil {
		return Browser{}, fmt.Errorf("unpacking chromium: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, complete), nil, 0o644); err != nil {
		return Browser{}, fmt.Errorf("unpacking chromium: %w", err)
	}
	// A dir without the mark is an earlier Install's leftover.
	if err := os.RemoveAll(dir); err != nil {
		return Browser{}, fmt.Errorf("unpacking chromium: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return Browser{}, fmt.Errorf("unpacking chromium: %w", err)
	}
	return b, nil
}

// checkArch refuses an executable that is not ELF for this process's
// architecture: @sparticuz/chromium ships x86-64 only.
func checkArch(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("chromium %s is not an ELF executable: %w", path, err)
	}
	defer f.Close()
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if f.Machine != want {
		return fmt.Errorf("chromium is built for %s, this process is %s/%s: the browser runner runs on x86_64 (@sparticuz/chromium ships x86-64 only)", f.Machine, runtime.GOOS, runtime.GOARCH)
	}
	return nil
}

func writeFile(path string, r io.Reader, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// untar writes a tar's directories and regular files under dir; any other
// entry, or a path leaving dir, is an error.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("entry %q leaves the directory", h.Name)
		}
		path := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := writeFile(path, tr, h.FileInfo().Mode().Perm()|0o400); err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q is not a file or a directory (type %c)", h.Name, h.Typeflag)
		}
	}
}

// CacheDir is where tests keep the Chromium of the layer files in src
// unpacked, one directory per package version and chromium.br size, which
// Install reuses once complete: unpacking takes seconds, and about a
// minute under the race detector.
func CacheDir(src string) (string, error) {
	var pkg struct {
		Version string `json:"version"`
	}
	data, err := os.ReadFile(filepath.Join(filepath.Dir(src), "package.json"))
	if err == nil {
		err = json.Unmarshal(data, &pkg)
	}
	if err != nil {
		return "", fmt.Errorf("the version of the package holding %s: %w", src, err)
	}
	fi, err := os.Stat(filepath.Join(src, FileChromium))
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "journeygate", fmt.Sprintf("chromium-%s-%d", pkg.Version, fi.Size())), nil
}
