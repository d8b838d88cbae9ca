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
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/journeygate/journeygate/infra"
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
// own, after adjust (if any) changes the deployment. dir receives the
// stand-in function code and the cloud assembly.
func Synthesize(dir, env string, adjust func(*infra.Deployment)) (*Synth, error) {
	root, err := repo.Root()
	if err != nil {
		return nil, err
	}
	deployments, err := infra.LoadConfig(root, journeys.EnvironmentsPath, journeys.EnvironmentsFile)
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
	d.Props.Journeys = journeys.All()
	d.Props.DistDir = filepath.Join(dir, "dist")
	for _, fn := range infra.Functions {
		path := filepath.Join(d.Props.DistDir, fn, "bootstrap")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n# stand-in for the "+fn+" function\n"), 0o755); err != nil {
			return nil, err
		}
	}
	if adjust != nil {
		adjust(d)
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(filepath.Join(dir, "cdk.out"))})
	stack, gate, err := infra.NewStack(app, *d)
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

// Staging is the shipped staging deployment as the contract test runs it.
type Staging struct {
	// Definition is the deployed state machine definition, functions as
	// infra.PlaceholderFunctionARN(name).
	Definition string
	// ScheduleInputs are the events the tiers' schedules send the hook,
	// before the Scheduler fills in its context attributes
	// (<aws.scheduler.scheduled-time> and the like).
	ScheduleInputs map[journey.Tier]string
}

var staging struct {
	once sync.Once
	s    Staging
	err  error
}

// StagingDeployment synthesizes the staging stack once per process and
// returns what the contract test needs from its template.
func StagingDeployment() (Staging, error) {
	staging.once.Do(func() {
		dir, err := os.MkdirTemp("", "journeygate-synth-")
		if err != nil {
			staging.err = err
			return
		}
		defer os.RemoveAll(dir)
		s, err := Synthesize(dir, "staging", nil)
		if err != nil {
			staging.err = err
			return
		}
		staging.s.Definition, err = s.Definition()
		if err != nil {
			staging.err = err
			return
		}
		staging.s.ScheduleInputs, staging.err = s.ScheduleInputs()
	})
	return staging.s, staging.err
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

func toAny(data []byte) *map[string]any {
	var m map[string]any
	_ = json.Unmarshal(data, &m) // data is json.Marshal's output
	return &m
}
