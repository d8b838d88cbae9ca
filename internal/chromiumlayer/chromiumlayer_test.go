package chromiumlayer_test

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/journeygate/journeygate/internal/chromiumlayer"
)

// brotliFile writes data brotli-compressed to dir/name.
func brotliFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestSpeed)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tarOf is a tar of files (name -> content; a name ending in / is a
// directory).
func tarOf(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range files {
		h := &tar.Header{Name: name, Mode: 0o755, Typeflag: tar.TypeReg, Size: int64(len(name))}
		if strings.HasSuffix(name, "/") {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// elfHeader is the 64-byte header of an empty ELF64 executable for
// machine: all Install reads of the executable.
func elfHeader(machine elf.Machine) []byte {
	h := make([]byte, 64)
	copy(h, elf.ELFMAG)
	h[elf.EI_CLASS], h[elf.EI_DATA], h[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	le := binary.LittleEndian
	le.PutUint16(h[16:], uint16(elf.ET_EXEC))
	le.PutUint16(h[18:], uint16(machine))
	le.PutUint32(h[20:], uint32(elf.EV_CURRENT))
	le.PutUint16(h[52:], 64) // header size
	le.PutUint16(h[54:], 56) // program header entry size
	le.PutUint16(h[58:], 64) // section header entry size
	return h
}

// thisMachine is the ELF machine of this process's architecture.
func thisMachine(t *testing.T) elf.Machine {
	m, ok := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH]
	if !ok {
		t.Skipf("no ELF machine for %s here", runtime.GOARCH)
	}
	return m
}

// fakeLayer is a layer with the real files' shapes: an ELF header for
// this architecture as the executable, small tars.
func fakeLayer(t *testing.T) string {
	t.Helper()
	src := t.TempDir()
	brotliFile(t, src, chromiumlayer.FileChromium, elfHeader(thisMachine(t)))
	brotliFile(t, src, chromiumlayer.FileLibraries, tarOf(t, "lib/", "lib/libnss3.so"))
	brotliFile(t, src, chromiumlayer.FileFonts, tarOf(t, "fonts.conf", "fonts/", "fonts/Open_Sans/", "fonts/Open_Sans/OpenSans-Regular.ttf"))
	brotliFile(t, src, chromiumlayer.FileSwiftShader, tarOf(t, "libGLESv2.so", "vk_swiftshader_icd.json"))
	return src
}

func TestInstall(t *testing.T) {
	src := fakeLayer(t)
	dir := filepath.Join(t.TempDir(), "chromium")
	b, err := chromiumlayer.Install(src, dir)
	if err != nil {
		t.Fatal(err)
	}
	if b != chromiumlayer.At(dir) {
		t.Errorf("Install = %+v, want %+v", b, chromiumlayer.At(dir))
	}
	for _, p := range []string{b.Executable, filepath.Join(b.LibDir, "libnss3.so"), filepath.Join(dir, "libGLESv2.so"),
		filepath.Join(b.FontConfigDir, "fonts", "Open_Sans", "OpenSans-Regular.ttf")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("not unpacked: %v", err)
		}
	}
	if fi, err := os.Stat(b.Executable); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("executable %s: %v, mode %v", b.Executable, err, fi.Mode())
	}
	conf, err := os.ReadFile(filepath.Join(b.FontConfigDir, "fonts.conf"))
	if err != nil || !strings.Contains(string(conf), "<dir>"+b.FontConfigDir+"</dir>") {
		t.Errorf("fonts.conf must name the unpacked fonts (%s): %s %v", b.FontConfigDir, conf, err)
	}
	if left, _ := filepath.Glob(dir + ".partial-*"); len(left) > 0 {
		t.Errorf("staging directories left behind: %v", left)
	}
	// A warm start uses what is there, even when the layer is gone.
	again, err := chromiumlayer.Install(filepath.Join(t.TempDir(), "gone"), dir)
	if err != nil || again != b {
		t.Errorf("second Install = %+v, %v; want the unpacked one", again, err)
	}
}

func TestInstallRefuses(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(t *testing.T, src string)
		want   string
	}{
		{"missing file", func(t *testing.T, src string) { os.Remove(filepath.Join(src, chromiumlayer.FileFonts)) }, "lacks fonts.tar.br"},
		{"empty file", func(t *testing.T, src string) {
			os.WriteFile(filepath.Join(src, chromiumlayer.FileLibraries), nil, 0o644)
		}, "lacks al2023.tar.br"},
		{"not brotli", func(t *testing.T, src string) {
			os.WriteFile(filepath.Join(src, chromiumlayer.FileChromium), []byte("plain text, not brotli"), 0o644)
		}, "chromium.br"},
		{"not an executable", func(t *testing.T, src string) {
			brotliFile(t, src, chromiumlayer.FileChromium, []byte("#!/bin/sh\n"))
		}, "not an ELF executable"},
		{"another architecture", func(t *testing.T, src string) {
			other := elf.EM_AARCH64
			if thisMachine(t) == elf.EM_AARCH64 {
				other = elf.EM_X86_64
			}
			brotliFile(t, src, chromiumlayer.FileChromium, elfHeader(other))
		}, "the browser runner runs on x86_64"},
		{"entry leaving the directory", func(t *testing.T, src string) {
			brotliFile(t, src, chromiumlayer.FileFonts, tarOf(t, "../escape.conf"))
		}, `"../escape.conf" leaves the directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fakeLayer(t)
			tt.mutate(t, src)
			parent := t.TempDir()
			dir := filepath.Join(parent, "chromium")
			_, err := chromiumlayer.Install(src, dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Errorf("a refused Install left %v behind", entries)
			}
		})
	}
}

func TestEnv(t *testing.T) {
	b := chromiumlayer.At("/tmp/chromium")
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	tests := []struct {
		name string
		have map[string]string
		want map[string]string
	}{
		{"lambda", map[string]string{"LD_LIBRARY_PATH": "/var/lang/lib:/lib64"},
			map[string]string{"LD_LIBRARY_PATH": "/tmp/chromium/al2023/lib:/var/lang/lib:/lib64", "FONTCONFIG_PATH": "/tmp/chromium/fonts", "HOME": "/tmp"}},
		{"nothing set", nil,
			map[string]string{"LD_LIBRARY_PATH": "/tmp/chromium/al2023/lib", "FONTCONFIG_PATH": "/tmp/chromium/fonts", "HOME": "/tmp"}},
		{"already first, home set", map[string]string{"LD_LIBRARY_PATH": "/tmp/chromium/al2023/lib:/lib64", "HOME": "/root"},
			map[string]string{"LD_LIBRARY_PATH": "/tmp/chromium/al2023/lib:/lib64", "FONTCONFIG_PATH": "/tmp/chromium/fonts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := b.Env(env(tt.have))
			if len(got) != len(tt.want) {
				t.Errorf("Env = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
