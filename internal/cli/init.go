package cli

import (
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/journeygate/journeygate/internal/starter"
)

// cmdInit writes a new team repository (package starter) into DIR.
func cmdInit(args []string, e env) error {
	fs := newFlagSet("init", e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: journeygate init DIR --module PATH [--version VERSION | --replace DIR]")
		fmt.Fprintln(fs.Output(), "\nWrites a new repository of journeys on journeygate into DIR (new or empty).")
		fs.PrintDefaults()
	}
	modulePath := fs.String("module", "", "the new repository's Go module `PATH` (required), e.g. github.com/acme/shop-journeys")
	replace := fs.String("replace", "", "a journeygate checkout `DIR` the new go.mod replaces journeygate with (for trying a development build)")
	versionFlag := fs.String("version", "", "the journeygate `VERSION` the new go.mod requires (default: the one this journeygate was built at)")
	// DIR may come before or after the flags.
	var dir string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		dir, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	rest := fs.Args()
	if dir == "" && len(rest) > 0 {
		dir, rest = rest[0], rest[1:]
	}
	switch {
	case dir == "":
		return usagef("no DIR: journeygate init DIR --module PATH")
	case len(rest) > 0:
		return usagef("unexpected argument %q", rest[0])
	case *modulePath == "":
		return usagef("--module PATH is required: the new repository's Go module path, e.g. github.com/acme/shop-journeys")
	}
	version := *versionFlag
	if version == "" {
		version = starter.RunningVersion()
	}
	if version == "" && *replace == "" {
		// go.mod would require a version that exists nowhere: go mod tidy
		// would fail on it, far from the cause.
		return usagef("this journeygate is a development build and cannot tell its own version, so the new go.mod would require none that exists; nothing was written: run init again with --replace DIR (a journeygate checkout, such as the one this was built from) or --version VERSION (a released journeygate)")
	}
	files, err := starter.Write(dir, starter.Params{Module: *modulePath, Version: version, Replace: *replace})
	var invalid *starter.InvalidError
	if errors.As(err, &invalid) {
		return usagef("%v", err)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	fmt.Fprintf(e.stdout, "journeygate init: wrote %d files of %s into %s\n", len(files), *modulePath, dir)
	for _, f := range files {
		fmt.Fprintf(e.stdout, "  %s\n", filepath.ToSlash(f))
	}
	if *replace != "" {
		abs, _ := filepath.Abs(*replace)
		fmt.Fprintf(e.stdout, "journeygate: %s, replaced by the checkout in %s\n", starter.Module, abs)
	} else {
		fmt.Fprintf(e.stdout, "journeygate: %s@%s\n", starter.Module, version)
	}
	fmt.Fprintf(e.stdout, "\nnext:\n  cd %s\n  go mod tidy\n  make run     # VERDICT: Succeeded\n", dir)
	return nil
}
