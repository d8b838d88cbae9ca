package docs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
)

// FiguresDir is where `make figures` writes measured figures, relative to
// the repository root.
const FiguresDir = "docs/figures"

// A figures block in a Markdown file is
//
//	<!-- figures/NAME.txt: ... -->
//	```text
//	(the file docs/figures/NAME.txt)
//	```
//	<!-- /figures/NAME.txt -->
//
// and Sync rewrites what lies between the two markers.
var blockRE = regexp.MustCompile("(?s)(<!-- figures/([A-Za-z0-9._-]+\\.txt)(?::[^>]*)? -->\n)(.*?)(<!-- /figures/([A-Za-z0-9._-]+\\.txt) -->)")

// Block is one figures block of a Markdown file.
type Block struct {
	File string // the Markdown file, relative to the root
	Name string // the figures file it shows, e.g. bench.txt
	Body string // what lies between its markers now
}

// Blocks returns the figures blocks of the Markdown files docs lists
// (paths relative to root); a block whose end marker names another file is
// an error.
func Blocks(root string, docs []string) ([]Block, error) {
	var out []Block
	for _, d := range docs {
		b, err := os.ReadFile(filepath.Join(root, d))
		if err != nil {
			return nil, err
		}
		for _, m := range blockRE.FindAllStringSubmatch(string(b), -1) {
			if m[2] != m[5] {
				return nil, fmt.Errorf("%s: block figures/%s ends with the marker of figures/%s", d, m[2], m[5])
			}
			out = append(out, Block{File: d, Name: m[2], Body: m[3]})
		}
	}
	return out, nil
}

// Render is what a block showing figures file content holds.
func Render(content string) string {
	if !strings.HasSuffix(content, "\n") {
		content += "\n"
	}
	return "```text\n" + content + "```\n"
}

// Sync puts the current content of each figures file into the blocks that
// show it, in the Markdown files docs lists, and returns the files it
// changed. A block naming a file that does not exist (not measured yet) is
// left as it is and reported in the error, after the others are synced.
func Sync(root string, docs []string) ([]string, error) {
	var (
		changed []string
		missing []error
	)
	for _, d := range docs {
		path := filepath.Join(root, d)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		out := blockRE.ReplaceAllStringFunc(string(b), func(block string) string {
			m := blockRE.FindStringSubmatch(block)
			content, err := os.ReadFile(filepath.Join(root, FiguresDir, m[2]))
			if err != nil {
				missing = append(missing, fmt.Errorf("%s: block figures/%s: %w", d, m[2], err))
				return block
			}
			return m[1] + Render(string(content)) + m[4]
		})
		if out != string(b) {
			if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
				return nil, err
			}
			changed = append(changed, d)
		}
	}
	return changed, errors.Join(missing...)
}

// Markdown lists README.md and docs/*.md under root, relative to it.
func Markdown(root string) ([]string, error) {
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		return nil, err
	}
	out := []string{"README.md"}
	for _, d := range docs {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			return nil, err
		}
		out = append(out, filepath.ToSlash(rel))
	}
	sort.Strings(out[1:])
	return out, nil
}

// Header says which command measured the figures below it, when, and on
// what machine, with the load average when the command started (loadStart,
// as /proc/loadavg gave it) and now: timing figures from a busy machine
// read differently.
func Header(command, loadStart string, now time.Time) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "measured by: %s\n", command)
	fmt.Fprintf(&b, "when:        %s\n", now.UTC().Format("2006-01-02 15:04 UTC"))
	machine := fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	if m := cpuModel(); m != "" {
		machine += " (" + m + ")"
	}
	fmt.Fprintf(&b, "machine:     %s, %s\n", machine, runtime.Version())
	if loadStart != "" || loadNow() != "" {
		fmt.Fprintf(&b, "load avg:    %s at the start, %s at the end (1, 5, 15 min)\n", orDash(loadStart), orDash(loadNow()))
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// cpuModel is the first "model name" of /proc/cpuinfo, if any.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.Join(strings.Fields(v), " ")
		}
	}
	return ""
}

// loadNow is the 1, 5 and 15 minute load averages of /proc/loadavg, if any.
func loadNow() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
