package functions

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// names lists the functions `make build` builds.
var names = []string{"hook", "runner", "gate", "sink"}

// maxBootstrap is the size limit of one function's binary: issue 7's
// target of 12 MB (2^20 bytes), kept so that a new dependency that grows a
// cold start is a decision, not an accident.
const maxBootstrap = 12 << 20

// TestBootstrapSize builds every function exactly as `make build` does
// (provided.al2023 on arm64: GOOS=linux GOARCH=arm64 CGO_ENABLED=0,
// -tags lambda.norpc -trimpath -ldflags="-s -w") into a temporary
// directory and checks it is a static arm64 ELF of at most 12 MB.
func TestBootstrapSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four binaries")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	dir := t.TempDir()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(dir, name, "bootstrap")
			cmd := exec.Command(goBin, "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./"+name)
			cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("build %s: %v\n%s", name, err, b)
			}
			fi, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() > maxBootstrap {
				t.Errorf("%s/bootstrap is %.2f MB, more than %d MB", name, float64(fi.Size())/(1<<20), maxBootstrap>>20)
			}
			t.Logf("%s/bootstrap: %.1f MB", name, float64(fi.Size())/(1<<20))
			f, err := elf.Open(out)
			if err != nil {
				t.Fatalf("not an ELF binary: %v", err)
			}
			defer f.Close()
			if f.Machine != elf.EM_AARCH64 {
				t.Errorf("machine %s, want arm64 (EM_AARCH64)", f.Machine)
			}
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Error("dynamically linked (has an interpreter); CGO must be off")
				}
			}
		})
	}
}

// TestMakefileBuildsTheSameWay keeps `make build` and TestBootstrapSize in
// step: both must build the same functions with the same settings.
func TestMakefileBuildsTheSameWay(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	mk := string(b)
	for _, want := range []string{
		"FUNCTIONS := " + strings.Join(names, " "),
		"GOOS=linux GOARCH=arm64 CGO_ENABLED=0",
		`-tags lambda.norpc -trimpath -ldflags="-s -w"`,
		"$(DIST)/$$fn/bootstrap ./functions/$$fn",
	} {
		if !strings.Contains(mk, want) {
			t.Errorf("Makefile build target lacks %q", want)
		}
	}
}
