package infra

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/internal/envconfig"
	"github.com/journeygate/journeygate/internal/yamlerr"
	"github.com/journeygate/journeygate/shared/journey"
)

// envFileVariable names the environments file in the runner's and the
// gate's environment (packages lambda/runner and lambda/gate read it).
const envFileVariable = "JOURNEYGATE_ENVIRONMENTS_FILE"

// catalogueVariable carries the catalogue's fingerprint to the runner,
// which refuses to start when its compiled-in catalogue's differs.
const catalogueVariable = "JOURNEYGATE_CATALOGUE_FINGERPRINT"

// BundledEnvironmentsFile is where Props.EnvironmentsFile is in the
// runner's and the gate's code: beside bootstrap, in Lambda's task root.
const BundledEnvironmentsFile = "/var/task/environments.yaml"

// envsFile is the environments file as read at synth.
type envsFile struct {
	path string // as Props.EnvironmentsFile names it
	data []byte
}

// readEnvironments reads and checks Props.EnvironmentsFile as the runner
// will: its variables expanded with RunnerEnvironment, Environment defined,
// with every target and pool of the journeys that run there. Problems name
// the file and line.
func (r *resolved) readEnvironments(p Props) error {
	data, err := os.ReadFile(p.EnvironmentsFile)
	if err != nil {
		return fmt.Errorf("Props.EnvironmentsFile: %w", err)
	}
	r.envs = envsFile{path: p.EnvironmentsFile, data: data}
	used := map[string]bool{}
	getenv := func(k string) string {
		used[k] = true
		return p.RunnerEnvironment[k]
	}
	cfg, err := envconfig.Parse(p.EnvironmentsFile, data, getenv)
	if err != nil {
		return fmt.Errorf("Props.EnvironmentsFile, its variables from RunnerEnvironment: %w", err)
	}
	// The gate reads the file too: it gets the variables the file expands.
	r.gateEnv = map[string]string{}
	for k := range used {
		if v, ok := p.RunnerEnvironment[k]; ok {
			r.gateEnv[k] = v
		}
	}
	problems := yamlerr.New(p.EnvironmentsFile, data)
	env, ok := cfg.Environments[p.Environment]
	if !ok {
		problems.Add([]string{"environments", p.Environment}, "no environment %q (defined: %s): add it, or deploy one of those%s", p.Environment, strings.Join(cfg.Names(), ", "), journey.DidYouMean(p.Environment, cfg.Names()))
		return problems.Err()
	}
	r.env = env
	for _, j := range r.journeys {
		for _, t := range j.Targets {
			if _, ok := env.Targets[t]; !ok {
				problems.Add([]string{"environments", env.Name, "targets", t}, "missing target %q used by journey %q: define it here, or scope the journey to the environments that have it (journey.Journey.Environments)", t, j.Name)
			}
		}
		for _, pool := range j.Needs {
			if _, ok := env.Pools[pool]; !ok {
				problems.Add([]string{"environments", env.Name, "pools", pool}, "missing pool %q needed by journey %q: define it here, or scope the journey to the environments that have it (journey.Journey.Environments)", pool, j.Name)
			}
		}
	}
	if err := problems.Err(); err != nil {
		return err
	}
	// Whatever else the runner checks before a run is checked now too.
	only := &envconfig.Config{File: p.EnvironmentsFile, Environments: map[string]envconfig.Environment{env.Name: env}}
	return only.Check(r.journeys)
}

// bundlesEnvironments reports whether function fn reads the environments
// file: the runner (targets, settings, pools) and the gate (freeze).
func bundlesEnvironments(fn string) bool {
	return fn == FunctionRunner || fn == FunctionBrowserRunner || fn == FunctionGate
}

// functionCode is fn's code: DIST/fn, and for the runner and the gate a
// copy of it with the environments file beside bootstrap
// (BundledEnvironmentsFile). The copy is a temporary directory, which done
// removes once the function's asset is staged in the cloud assembly.
func (j *JourneyGate) functionCode(fn string) (code awslambda.Code, done func(), err error) {
	dir := filepath.Join(j.props.DistDir, fn)
	if !bundlesEnvironments(fn) {
		return awslambda.Code_FromAsset(jsii.String(dir), nil), func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "journeygate-"+fn+"-")
	if err != nil {
		return nil, nil, err
	}
	done = func() { os.RemoveAll(tmp) }
	if err := copyFile(filepath.Join(dir, "bootstrap"), filepath.Join(tmp, "bootstrap"), 0o755); err != nil {
		done()
		return nil, nil, fmt.Errorf("function %s: %w", fn, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, filepath.Base(BundledEnvironmentsFile)), j.props.envs.data, 0o644); err != nil {
		done()
		return nil, nil, fmt.Errorf("function %s: %w", fn, err)
	}
	return awslambda.Code_FromAsset(jsii.String(tmp), nil), done, nil
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
