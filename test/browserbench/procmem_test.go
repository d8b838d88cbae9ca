package browserbench

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// A child process is found below its parent, its memory read, and others
// (and the parent itself) are kept apart by the executable's name.
func TestSampleFindsDescendants(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps_rollup"); err != nil {
		t.Skipf("no /proc with smaps_rollup here: %v", err)
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep executable")
	}
	cmd := exec.Command(sleep, "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	self := os.Getpid()
	isSleep := func(exe string) bool { return exe == filepath.Base(mustResolve(t, sleep)) }
	tree, me := Sample(self, isSleep)
	if tree.Procs != 1 || tree.RSS <= 0 || tree.PSS <= 0 || tree.PSS > tree.RSS {
		t.Errorf("the sleep child: %+v, want 1 process with 0 < PSS <= RSS", tree)
	}
	if me.Procs != 1 || me.RSS <= 0 {
		t.Errorf("this process: %+v", me)
	}
	if none, _ := Sample(self, IsChromium); none.Procs != 0 {
		t.Errorf("chromium processes below a test that started none: %+v", none)
	}
	s := StartSampler(self, isSleep, 5*time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	p := s.Stop()
	if p.Samples < 2 || p.Tree.Procs != 1 || p.TreeRSS < p.Tree.PSS || p.Self <= 0 || p.Total < p.Tree.PSS+p.Self/2 {
		t.Errorf("peak %+v", p)
	}
}

func mustResolve(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestKBField(t *testing.T) {
	b := []byte("Name:\tx\nVmRSS:\t  1234 kB\nPss:   7 kB\n")
	if got := kbField(b, "VmRSS:"); got != 1234*1024 {
		t.Errorf("VmRSS %d", got)
	}
	if got := kbField(b, "Missing:"); got != 0 {
		t.Errorf("missing %d", got)
	}
}
