package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/test/repo"
)

var (
	linkRE    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	headingRE = regexp.MustCompile(`^#{1,6} (.+)$`)
)

// TestRelativeLinksResolve: every relative link of README.md and docs/*.md
// (outside code blocks) leads to a file or folder of the repository, and
// an anchor to a heading of the page it names.
func TestRelativeLinksResolve(t *testing.T) {
	root, err := repo.Root()
	if err != nil {
		t.Fatal(err)
	}
	md, err := Markdown(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range md {
		lines, err := prose(filepath.Join(root, d))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range lines {
			for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				n++
				path, anchor, _ := strings.Cut(target, "#")
				file := filepath.Join(root, d)
				if path != "" {
					file = filepath.Join(filepath.Dir(file), filepath.FromSlash(path))
					if _, err := os.Stat(file); err != nil {
						t.Errorf("%s:%d: link %s: %s does not exist", d, i+1, target, path)
						continue
					}
				}
				if anchor == "" {
					continue
				}
				if !strings.HasSuffix(file, ".md") {
					t.Errorf("%s:%d: link %s: an anchor into a file that is not Markdown", d, i+1, target)
					continue
				}
				anchors, err := anchorsOf(file)
				if err != nil {
					t.Fatal(err)
				}
				if !anchors[anchor] {
					t.Errorf("%s:%d: link %s: no heading of %s has the anchor #%s", d, i+1, target, filepath.Base(file), anchor)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no relative links found: the check checks nothing")
	}
}

// prose returns a Markdown file's lines with those of fenced code blocks
// blanked.
func prose(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(string(b), "\n")
	in := false
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			lines[i] = ""
			continue
		}
		if in {
			lines[i] = ""
		}
	}
	return lines, nil
}

// anchorsOf returns the anchors GitHub gives the headings of a Markdown
// file: lowercased, punctuation dropped, spaces turned into dashes, a
// repeated one suffixed -1, -2, ...
func anchorsOf(path string) (map[string]bool, error) {
	lines, err := prose(path)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	count := map[string]int{}
	for _, l := range lines {
		m := headingRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		a := Anchor(m[1])
		if c := count[a]; c > 0 {
			out[a+"-"+itoa(c)] = true
		} else {
			out[a] = true
		}
		count[a]++
	}
	return out, nil
}

// Anchor is the anchor GitHub gives a heading's text.
func Anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

func TestAnchor(t *testing.T) {
	for heading, want := range map[string]string{
		"Failing closed, and the run budget":                            "failing-closed-and-the-run-budget",
		"The sink's public URL":                                         "the-sinks-public-url",
		"Sample events and `journeygate invoke`":                        "sample-events-and-journeygate-invoke",
		"Your own CDK app: catalogue, environments, VPC, several gates": "your-own-cdk-app-catalogue-environments-vpc-several-gates",
		"Observe, then enforce":                                         "observe-then-enforce",
	} {
		if got := Anchor(heading); got != want {
			t.Errorf("Anchor(%q) = %q, want %q", heading, got, want)
		}
	}
}
