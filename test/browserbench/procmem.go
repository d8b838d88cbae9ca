package browserbench

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Usage is the memory of a set of processes at one moment, in bytes.
type Usage struct {
	// Procs is how many processes were counted.
	Procs int
	// RSS is the sum of their resident set sizes (VmRSS). Pages the
	// processes share (Chromium's executable and libraries, shared
	// memory between its processes) count once per process, so it
	// overstates what they take together.
	RSS int64
	// PSS is the sum of their proportional set sizes (smaps_rollup's
	// Pss): each shared page divided among the processes that map it, so
	// the sum is what the processes take together.
	PSS int64
}

// Sample is the memory of the descendants of process root whose
// executable's name matches (nil: all of them), and of root itself.
// Processes that exit while it reads are skipped.
func Sample(root int, match func(exe string) bool) (tree Usage, self Usage) {
	self = usageOf(root)
	for _, pid := range descendants(root) {
		if match != nil {
			exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
			if err != nil || !match(filepath.Base(strings.TrimSuffix(exe, " (deleted)"))) {
				continue
			}
		}
		u := usageOf(pid)
		if u.Procs == 0 {
			continue
		}
		tree.Procs++
		tree.RSS += u.RSS
		tree.PSS += u.PSS
	}
	return tree, self
}

// IsChromium matches the executables of Chromium's processes (chromium,
// chrome, chrome_crashpad_handler, headless_shell).
func IsChromium(exe string) bool {
	return strings.Contains(exe, "chrom") || strings.Contains(exe, "headless_shell")
}

// usageOf reads one process's VmRSS and Pss; Procs is 0 when it is gone.
func usageOf(pid int) Usage {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return Usage{}
	}
	u := Usage{Procs: 1, RSS: kbField(status, "VmRSS:")}
	if rollup, err := os.ReadFile(filepath.Join(dir, "smaps_rollup")); err == nil {
		u.PSS = kbField(rollup, "Pss:")
	}
	return u
}

// kbField is the value of a "Name:   123 kB" line of b, in bytes.
func kbField(b []byte, name string) int64 {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0
			}
			n, _ := strconv.ParseInt(f[0], 10, 64)
			return n * 1024
		}
	}
	return 0
}

// descendants lists the processes below root, by the parent each
// /proc/PID/stat names.
func descendants(root int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		children[ppid] = append(children[ppid], pid)
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// Peak is the most a Sampler saw.
type Peak struct {
	// Tree is the sample of the matched descendants with the highest PSS,
	// and TreeRSS the highest RSS sum of any sample.
	Tree    Usage
	TreeRSS int64
	// Self is the highest RSS of the root process (the Go side).
	Self int64
	// Total is the highest sum of the tree's PSS and the root's RSS in
	// one sample.
	Total int64
	// Samples is how many samples were taken.
	Samples int
}

// Sampler samples a process tree's memory every interval until Stop.
type Sampler struct {
	stop chan struct{}
	done chan struct{}
	mu   sync.Mutex
	peak Peak
}

// StartSampler samples root's matching descendants and root itself
// every interval, from now until Stop.
func StartSampler(root int, match func(string) bool, every time.Duration) *Sampler {
	s := &Sampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			s.sample(root, match)
			select {
			case <-s.stop:
				s.sample(root, match)
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

func (s *Sampler) sample(root int, match func(string) bool) {
	tree, self := Sample(root, match)
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &s.peak
	p.Samples++
	if tree.PSS > p.Tree.PSS {
		p.Tree = tree
	}
	p.TreeRSS = max(p.TreeRSS, tree.RSS)
	p.Self = max(p.Self, self.RSS)
	p.Total = max(p.Total, tree.PSS+self.RSS)
}

// Stop ends the sampling, takes a last sample and returns the peak.
func (s *Sampler) Stop() Peak {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}
