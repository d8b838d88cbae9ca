// Package infratest synthesizes journeygate's stack for tests: the shipped
// infra/deploy.yaml and the journey catalogue, with stand-in files for the
// functions' code (the template does not depend on what the code is;
// functions/build_test.go checks the real build). StagingDeployment gives
// the state machine definition and the schedules' hook events as
// deployed, for the contract test to execute.
package infratest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
	"gopkg.in/yaml.v3"

	"github.com/journeygate/journeygate/infra"
	"github.com/journeygate/journeygate/internal/chromiumlayer"
	"github.com/journeygate/journeygate/journeys"
	"github.com/journeygate/journeygate/shared/journey"
	"github.com/journeygate/journeygate/test/repo"
)

// Synth is one synthesized journeygate stack.
type Synth struct {
	Stack      awscdk.Stack
	Gate       *infra.JourneyGate
	Deployment infra.Deployment
	// JSON is the CloudFormation template; Template its parsed resources.
	JSON     []byte
	Template *infra.Template
}

// Assert returns the CDK assertions view of the template.
func (s *Synth) Assert() assertions.Template {
	return assertions.Template_FromJSON(toAny(s.JSON), nil)
}

// Definition is the deployed state machine definition with the functions'
// ARNs as infra.PlaceholderFunctionARN(name).
func (s *Synth) Definition() (string, error) {
	return s.Template.DeployedDefinition(s.Gate.FunctionLogicalIDs())
}

// Synthesize builds environment env of infra/deploy.yaml in an app of its
// own, after adjust (if any) changes the deployment and then opts its
// props, with its stack. dir receives the stand-in function code and the
// cloud assembly.
func Synthesize(dir, env string, adjust func(*infra.Deployment), opts ...infra.StackOption) (*Synth, error) {
	root, err := repo.Root()
	if err != nil {
		return nil, err
	}
	deployments, err := infra.LoadConfig(root)
	if err != nil {
		return nil, err
	}
	catalogue, err := journeys.Registry()
	if err != nil {
		return nil, err
	}
	var d *infra.Deployment
	for i := range deployments {
		if deployments[i].Props.Environment == env {
			d = &deployments[i]
		}
	}
	if d == nil {
		return nil, fmt.Errorf("%s has no environment %q", infra.ConfigPath, env)
	}
	d.Props.Catalogue = catalogue
	if d.Props.DistDir, err = StandInDist(dir); err != nil {
		return nil, err
	}
	if adjust != nil {
		adjust(d)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "cdk.out"))})
	stack, gate, err := infra.NewStack(app, *d, opts...)
	if err != nil {
		return nil, err
	}
	asm := app.Synth(nil)
	tpl := asm.GetStackArtifact(stack.ArtifactId()).Template()
	data, err := json.Marshal(tpl)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	parsed, err := infra.ParseTemplate(data)
	if err != nil {
		return nil, err
	}
	return &Synth{Stack: stack, Gate: gate, Deployment: *d, JSON: data, Template: parsed}, nil
}

// StandInDist writes stand-ins for the functions' code under dir/dist,
// the browser runner's and its Chromium layer's included, and returns that
// directory, for Props.DistDir.
func StandInDist(dir string) (string, error) {
	dist := filepath.Join(dir, "dist")
	for _, f := range chromiumlayer.Files {
		path := filepath.Join(dist, infra.ChromiumLayerDir, "chromium", f)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte("stand-in for "+f+"\n"), 0o644); err != nil {
			return "", err
		}
	}
	for _, fn := range append(slices.Clone(infra.Functions), infra.FunctionBrowserRunner) {
		path := filepath.Join(dist, fn, "bootstrap")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n# stand-in for the "+fn+" function\n"), 0o755); err != nil {
			return "", err
		}
	}
	return dist, nil
}

// Staging is the shipped staging deployment as the contract test runs it.
type Staging struct {
	// Definition is the deployed state machine definition, functions as
	// infra.PlaceholderFunctionARN(name).
	Definition string
	// ScheduleInputs are the events the tiers' schedules send the hook,
	// before the Scheduler fills in its context attributes
	// (<aws.scheduler.scheduled-time> and the like).
	ScheduleInputs map[journey.Tier]string
	// Template is the synthesized template's resources, and AlarmTopic
	// the logical ID of the on-call topic in it, for the rules that page.
	Template   *infra.Template
	AlarmTopic string
}

type stagingOnce struct {
	once sync.Once
	s    Staging
	err  error
}

var staging stagingOnce

// StagingDeployment synthesizes the staging stack once per process and
// returns what the contract test needs from its template.
func StagingDeployment() (Staging, error) {
	return staging.get(nil)
}

func (o *stagingOnce) get(adjust func(*infra.Deployment)) (Staging, error) {
	o.once.Do(func() {
		dir, err := os.MkdirTemp("", "journeygate-synth-")
		if err != nil {
			o.err = err
			return
		}
		defer os.RemoveAll(dir)
		s, err := Synthesize(dir, "staging", adjust)
		if err != nil {
			o.err = err
			return
		}
		o.s.Definition, err = s.Definition()
		if err != nil {
			o.err = err
			return
		}
		o.s.Template = s.Template
		o.s.AlarmTopic, _ = s.Stack.Resolve(s.Stack.GetLogicalId(s.Gate.Topic().Node().DefaultChild().(awscdk.CfnElement))).(string)
		o.s.ScheduleInputs, o.err = s.ScheduleInputs()
	})
	return o.s, o.err
}

// ScheduleInputs returns each scheduled tier's target input.
func (s *Synth) ScheduleInputs() (map[journey.Tier]string, error) {
	out := map[journey.Tier]string{}
	for _, tier := range []journey.Tier{journey.TierGlobal, journey.TierDomain} {
		sched := s.Gate.Schedule(tier)
		if sched == nil {
			continue
		}
		cfn := sched.Node().DefaultChild().(awscdk.CfnElement)
		id, _ := s.Stack.Resolve(s.Stack.GetLogicalId(cfn)).(string)
		target, _ := s.Template.Resources[id].Properties["Target"].(map[string]any)
		input, ok := target["Input"].(string)
		if !ok {
			return nil, fmt.Errorf("schedule %s has no literal Target.Input", id)
		}
		out[tier] = input
	}
	return out, nil
}

// WriteEnvironments writes the shipped environments file, as edit changes
// its document (environments.NAME.targets and so on), to dir and returns
// its path, for Props.EnvironmentsFile.
func WriteEnvironments(dir string, edit func(doc map[string]any)) (string, error) {
	root, err := repo.Root()
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(filepath.Join(root, infra.DefaultEnvironmentsFile))
	if err != nil {
		return "", err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return "", err
	}
	edit(doc)
	if data, err = yaml.Marshal(doc); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "environments.yaml")
	return path, os.WriteFile(path, data, 0o644)
}

// Environment is environment name of an environments file's document, to
// change (WriteEnvironments); nil when there is none.
func Environment(doc map[string]any, name string) map[string]any {
	envs, _ := doc["environments"].(map[string]any)
	env, _ := envs[name].(map[string]any)
	return env
}

// PoolSecrets are pool references of each kind the runner may be granted:
// a Secrets Manager secret by name and by ARN, an SSM parameter.
var PoolSecrets = map[string]string{
	"tenant-a": "secretsmanager:jg/tenant-a",
	"tenant-b": "secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:jg/tenant-b-AbCdEf",
	"tenant-c": "ssm:/journeygate/staging/tenant-c",
}

// WithPoolSecrets adds a pool to environment env whose resources
// reference PoolSecrets, and points d at that environments file in dir.
func WithPoolSecrets(d *infra.Deployment, dir, env string) error {
	path, err := WriteEnvironments(dir, func(doc map[string]any) {
		var resources []any
		for _, id := range []string{"tenant-a", "tenant-b", "tenant-c"} {
			resources = append(resources, map[string]any{"id": id, "values": map[string]any{"api_key": PoolSecrets[id]}})
		}
		Environment(doc, env)["pools"] = map[string]any{"tenants": map[string]any{"resources": resources}}
	})
	d.Props.EnvironmentsFile = path
	return err
}

func toAny(data []byte) *map[string]any {
	var m map[string]any
	_ = json.Unmarshal(data, &m) // data is json.Marshal's output
	return &m
}
