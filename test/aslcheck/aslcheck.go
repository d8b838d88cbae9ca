package aslcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/journeygate/journeygate/test/repo"
)

// ErrInvalid is wrapped by the error Validate returns for a definition
// asl-validator rejects.
var ErrInvalid = errors.New("invalid state machine definition")

// Validate runs asl-validator on definition (ASL JSON). It returns nil when
// the definition is valid, an error wrapping ErrInvalid with the
// validator's findings when it is not, and another error when the validator
// cannot run (tools not installed: run make tools).
func Validate(t testing.TB, definition string) error {
	t.Helper()
	cli, err := validatorCLI()
	if err != nil {
		return err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("node not found on PATH: %w", err)
	}
	path := filepath.Join(t.TempDir(), "definition.asl.json")
	if err := os.WriteFile(path, []byte(definition), 0o600); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, node, cli, "--json-path", path)
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == 1:
		return fmt.Errorf("%w: %s", ErrInvalid, strings.TrimSpace(out.String()))
	default:
		return fmt.Errorf("asl-validator: %w: %s", err, strings.TrimSpace(out.String()))
	}
}

// JSONPathOnly reports the places where definition uses JSONata (a
// QueryLanguage of JSONata, or the JSONata-only Arguments and Output
// fields), which aws-local-stepfunctions would silently ignore.
func JSONPathOnly(definition string) error {
	var doc any
	if err := json.Unmarshal([]byte(definition), &doc); err != nil {
		return fmt.Errorf("definition is not JSON: %w", err)
	}
	var found []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				p := path + "/" + k
				if k == "QueryLanguage" && v[k] == "JSONata" {
					found = append(found, p+" is JSONata")
				}
				if (k == "Arguments" || k == "Output") && isState(v) {
					found = append(found, p+" is a JSONata field")
				}
				walk(p, v[k])
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s/%d", path, i), e)
			}
		}
	}
	walk("", doc)
	if len(found) > 0 {
		return fmt.Errorf("definition uses JSONata, which aws-local-stepfunctions ignores: %s", strings.Join(found, "; "))
	}
	return nil
}

func isState(m map[string]any) bool {
	_, ok := m["Type"].(string)
	return ok
}

func validatorCLI() (string, error) {
	return repo.NodeModule(filepath.Join("asl-validator", "dist", "bin", "asl-validator.js"))
}
