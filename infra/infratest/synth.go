// Package infratest synthesizes journeygate's stack for tests: the shipped
// infra/deploy.yaml and the journey catalogue, with stand-in files for the
// functions' code (the template does not depend on what the code is;
// functions/build_test.go checks the real build). Definition gives the
// state machine definition as deployed, for the contract test to execute.
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
	// Node 20 is past end of life for jsii; the warning is noise here.
	os.Setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
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

var staging struct {
	once sync.Once
	def  string
	err  error
}

// Definition returns the staging stack's deployed state machine
// definition, synthesized once per process.
func Definition() (string, error) {
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
		staging.def, staging.err = s.Definition()
	})
	return staging.def, staging.err
}

func toAny(data []byte) *map[string]any {
	var m map[string]any
	_ = json.Unmarshal(data, &m) // data is json.Marshal's output
	return &m
}
