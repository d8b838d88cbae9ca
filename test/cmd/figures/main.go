// Command figures writes the measured figures the docs show, for `make
// figures`:
//
//	figures save -command CMD [-load L] NAME.txt < output
//	    writes standard input to docs/figures/NAME.txt under a header
//	    naming CMD, the time, the machine and its load average
//	figures copy -command CMD [-load L] FILE...
//	    the same for each FILE (a table a test wrote under test/out/figures),
//	    keeping its name
//	figures sync
//	    puts each docs/figures file into the blocks of README.md and
//	    docs/*.md that show it (<!-- figures/NAME.txt --> ... <!-- /figures/NAME.txt -->)
//
// It runs from anywhere inside the repository.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/journeygate/journeygate/test/docs"
	"github.com/journeygate/journeygate/test/repo"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "figures:", err)
		os.Exit(2)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: figures save|copy|sync (see the Makefile's figures targets)")
	}
	root, err := repo.Root()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("figures "+args[0], flag.ContinueOnError)
	command := fs.String("command", "", "the command that measured the figures (required)")
	load := fs.String("load", "", "the load average (/proc/loadavg's first three fields) when that command started")
	switch args[0] {
	case "save", "copy":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *command == "" || fs.NArg() == 0 || (args[0] == "save" && fs.NArg() != 1) {
			return errors.New("usage: figures save -command CMD [-load L] NAME.txt < output, or figures copy -command CMD [-load L] FILE (one or more)")
		}
		header := docs.Header(*command, *load, time.Now())
		for _, name := range fs.Args() {
			var body []byte
			if args[0] == "save" {
				if body, err = io.ReadAll(stdin); err != nil {
					return err
				}
			} else if body, err = os.ReadFile(name); err != nil {
				return err
			}
			if strings.TrimSpace(string(body)) == "" {
				return fmt.Errorf("%s: nothing measured (empty)", name)
			}
			dst := filepath.Join(root, docs.FiguresDir, filepath.Base(name))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(dst, []byte(header+"\n"+string(body)), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(docs.FiguresDir, filepath.Base(name)))
		}
		return nil
	case "sync":
		md, err := docs.Markdown(root)
		if err != nil {
			return err
		}
		changed, err := docs.Sync(root, md)
		for _, c := range changed {
			fmt.Fprintf(stdout, "updated the figures in %s\n", c)
		}
		return err
	}
	return fmt.Errorf("unknown subcommand %q (save, copy, sync)", args[0])
}
