package docs

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// Command is one shell command of a ```sh block.
type Command struct {
	File string // the Markdown file, relative to the root
	Line int    // where the command starts
	Text string // the command, comments cut, continuation lines joined, spaces collapsed

	indent int // of its first line: a line indented deeper continues it
}

// Commands returns the commands of the ```sh blocks (fences may be
// indented, as inside a list item) of the Markdown files docs lists. A
// line ending in a backslash, and a line indented under a command (a
// synopsis's wrapped flags), continue it; "# ..." after a space starts a
// comment; a leading "$ " prompt is dropped.
func Commands(root string, docs []string) ([]Command, error) {
	var out []Command
	for _, d := range docs {
		f, err := os.Open(filepath.Join(root, d))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		var (
			inSh, inOther bool
			cur           *Command
			continues     bool
			n             int
		)
		flush := func() {
			if cur != nil && cur.Text != "" {
				cur.Text = strings.Join(strings.Fields(cur.Text), " ")
				out = append(out, *cur)
			}
			cur, continues = nil, false
		}
		for sc.Scan() {
			n++
			raw := sc.Text()
			trimmed := strings.TrimSpace(raw)
			if strings.HasPrefix(trimmed, "```") {
				switch {
				case inSh:
					flush()
					inSh = false
				case inOther:
					inOther = false
				case trimmed == "```sh":
					inSh = true
				default:
					inOther = true
				}
				continue
			}
			if !inSh {
				continue
			}
			text := strings.TrimPrefix(trimmed, "$ ")
			text = cutComment(text)
			if text == "" {
				if !continues {
					flush()
				}
				continue
			}
			indent := len(raw) - len(strings.TrimLeft(raw, " \t"))
			indented := cur != nil && indent > cur.indent
			if cur != nil && (continues || indented) {
				cur.Text += " " + text
			} else {
				flush()
				cur = &Command{File: d, Line: n, Text: text, indent: indent}
			}
			continues = strings.HasSuffix(cur.Text, "\\")
			cur.Text = strings.TrimSpace(strings.TrimSuffix(cur.Text, "\\"))
		}
		flush()
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cutComment cuts a "#" comment that follows a space (outside quotes) off
// a shell line.
func cutComment(s string) string {
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t'):
			return strings.TrimSpace(s[:i])
		}
	}
	return strings.TrimSpace(s)
}
