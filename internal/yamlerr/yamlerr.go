// Package yamlerr collects validation problems in a YAML file and reports
// each with the file, the line of the key it is about and the key's path,
// so a person fixing the file goes straight to the line.
package yamlerr

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Problems collects validation errors with file and line.
type Problems struct {
	file string
	// unparsed is New's data until the first Add parses it into root: a
	// file without problems, the usual case (and every cold start of a
	// function reading its environments file), is not parsed again.
	unparsed []byte
	root     yaml.Node
	list     []string
}

// New starts collecting problems with data, read from file; data must not
// change while problems are added.
func New(file string, data []byte) *Problems {
	return &Problems{file: file, unparsed: data}
}

// Add records a problem at the key path (e.g. environments, staging, region).
func (p *Problems) Add(path []string, format string, args ...any) {
	if p.unparsed != nil {
		_ = yaml.Unmarshal(p.unparsed, &p.root) // a file that does not parse has no lines to point at
		p.unparsed = nil
	}
	loc := p.file
	line := LineOf(&p.root, path)
	if line == 0 && len(p.root.Content) > 0 {
		line = p.root.Content[0].Line // the document: no key along path exists
	}
	if line > 0 {
		loc = fmt.Sprintf("%s:%d", p.file, line)
	}
	p.list = append(p.list, fmt.Sprintf("%s: %s: %s", loc, Path(path), fmt.Sprintf(format, args...)))
}

// Path writes a key path as problems show it: keys joined with ".", each
// key that is not plain (printable, without spaces, dots or quotes)
// quoted, so a key from the file cannot break the message's line.
func Path(path []string) string {
	parts := make([]string, len(path))
	for i, k := range path {
		if k == "" || strings.ContainsFunc(k, func(r rune) bool {
			return !strconv.IsGraphic(r) || unicode.IsSpace(r) || strings.ContainsRune(`."'`+"`", r)
		}) {
			k = strconv.Quote(k)
		}
		parts[i] = k
	}
	return strings.Join(parts, ".")
}

// Err returns every problem, sorted, one per line; nil when there are none.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	// In line order (line 9 before line 10), then alphabetically.
	sort.SliceStable(p.list, func(i, j int) bool {
		li, lj := p.lineOf(p.list[i]), p.lineOf(p.list[j])
		if li != lj {
			return li < lj
		}
		return p.list[i] < p.list[j]
	})
	return errors.New(strings.Join(p.list, "\n"))
}

// lineOf is the line a problem names after the file ("file:12: ..."), or 0.
func (p *Problems) lineOf(problem string) int {
	rest, ok := strings.CutPrefix(problem, p.file+":")
	if !ok {
		return 0
	}
	n, _, _ := strings.Cut(rest, ":")
	line, err := strconv.Atoi(n)
	if err != nil {
		return 0
	}
	return line
}

// LineOf finds the line of the deepest existing key along path; in a
// sequence, a path element is the item's 0-based index.
func LineOf(n *yaml.Node, path []string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, key := range path {
		if n.Kind == yaml.SequenceNode {
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(n.Content) {
				return line
			}
			n = n.Content[i]
			line = n.Line
			continue
		}
		if n.Kind != yaml.MappingNode {
			return line
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line = n.Content[i].Line
				n = n.Content[i+1]
				found = true
				break
			}
		}
		if !found {
			return line
		}
	}
	return line
}
