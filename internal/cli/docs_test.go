package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/journeygate/journeygate/shared/journey"
)

// commands are the CLI's commands, as docs/cli.md's synopsis lists them.
var commands = []string{"list", "run", "history", "show", "leases", "override", "decide", "invoke", "init"}

// flagLine matches a flag in the defaults `COMMAND -h` prints.
var flagLine = regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)

// helpFlags returns the flags `journeygate command -h` lists.
func helpFlags(t *testing.T, command string) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	run(context.Background(), []string{command, "-h"}, testEnv(&stdout, &stderr, func(string) string { return "" }))
	var flags []string
	for _, m := range flagLine.FindAllStringSubmatch(stdout.String()+stderr.String(), -1) {
		flags = append(flags, m[1])
	}
	if len(flags) == 0 {
		t.Fatalf("journeygate %s -h lists no flags:\n%s%s", command, stdout.String(), stderr.String())
	}
	return flags
}

// synopsis returns docs/cli.md's synopsis (its first sh block) by
// command: each command's lines, continuation lines included, comments
// dropped.
func synopsis(t *testing.T) (doc string, byCommand map[string]string) {
	t.Helper()
	data, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	doc = string(data)
	_, block, ok := strings.Cut(doc, "```sh\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("docs/cli.md has no sh block")
	}
	byCommand = map[string]string{}
	var current string
	for _, line := range strings.Split(block, "\n") {
		text, _, _ := strings.Cut(line, "#")
		if rest, ok := strings.CutPrefix(text, "journeygate "); ok {
			current, _, _ = strings.Cut(rest, " ")
		}
		if current != "" {
			byCommand[current] += " " + text
		}
	}
	return doc, byCommand
}

// docs/cli.md's synopsis gives each command with every flag it takes
// (--config and --store aside: the text after it says which take them),
// and only those.
func TestDocsSynopsisListsEveryFlag(t *testing.T) {
	doc, byCommand := synopsis(t)
	// An older name of a flag is said in the text, not the synopsis.
	older := map[string]string{"history --since": "`--since` is an older name of `--window`"}
	for _, command := range commands {
		t.Run(command, func(t *testing.T) {
			text, ok := byCommand[command]
			if !ok {
				t.Fatalf("the synopsis has no journeygate %s", command)
			}
			flags := helpFlags(t, command)
			for _, f := range flags {
				if f == "config" || f == "store" {
					continue
				}
				if said, ok := older[command+" --"+f]; ok {
					if !strings.Contains(strings.Join(strings.Fields(doc), " "), said) {
						t.Errorf("docs/cli.md does not say %s", said)
					}
					continue
				}
				if !regexp.MustCompile(`(^|[\s\[|])--?` + regexp.QuoteMeta(f) + `\b`).MatchString(text) {
					t.Errorf("the synopsis of journeygate %s leaves out -%s (%s -h lists %v):\n%s", command, f, command, flags, text)
				}
			}
		})
	}
}

// docs/cli.md says which commands take --config and --store: every one
// but list and init.
func TestDocsSayWhichCommandsTakeConfig(t *testing.T) {
	doc, _ := synopsis(t)
	if !strings.Contains(strings.Join(strings.Fields(doc), " "), "Every command but `list` and `init` takes `--config FILE`") {
		t.Error("docs/cli.md does not say every command but list and init takes --config")
	}
	for _, command := range commands {
		flags := helpFlags(t, command)
		takes := slices.Contains(flags, "config") && slices.Contains(flags, "store")
		if want := command != "list" && command != "init"; takes != want {
			t.Errorf("journeygate %s takes --config and --store: %v, docs/cli.md says %v", command, takes, want)
		}
	}
}

// docs/cli.md says what run checks before any request: the environment
// it runs against, not every environment of the file; so it is: staging
// missing the journey's target stops a run against staging, not one
// against local.
func TestDocsSayRunChecksItsEnvironmentOnly(t *testing.T) {
	doc, _ := synopsis(t)
	flat := strings.Join(strings.Fields(doc), " ")
	if !strings.Contains(flat, "`run` checks that the environment it runs against (`--env`) defines the targets") ||
		!strings.Contains(flat, "It checks only that environment against the journeys") {
		t.Error("docs/cli.md does not say run checks only the environment it runs against")
	}
	if strings.Contains(flat, "`run` checks that every environment") {
		t.Error("docs/cli.md says run checks every environment")
	}

	useJourneys(t, journey.Journey{
		Name: "orders-answer", Tier: journey.TierGlobal, Owner: "team", Mode: journey.ModeEnforce, Targets: []string{"api"},
		Steps: []journey.Step{{Name: "answers", SLA: 2 * time.Second, Do: func(context.Context, *journey.T) error { return nil }}},
	})
	dir := t.TempDir()
	config := filepath.Join(dir, "envs.yaml")
	if err := os.WriteFile(config, []byte("environments:\n  local:\n    targets:\n      api: http://127.0.0.1:1\n  staging:\n    targets:\n      web: http://127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(env string) (int, string) {
		code, out, stderr := runWith(t, "run", "--env", env, "--config", config, "--store", filepath.Join(dir, "s.db"))
		return code, out + stderr
	}
	if code, out := run("local"); code != exitSucceeded {
		t.Errorf("run --env local: exit %d, want 0 (staging's values are not local's):\n%s", code, out)
	}
	if code, out := run("staging"); code != exitUsage || !strings.Contains(out, `"api"`) || !strings.Contains(out, "orders-answer") {
		t.Errorf("run --env staging: exit %d, want 2 naming the target api and the journey:\n%s", code, out)
	}
}
