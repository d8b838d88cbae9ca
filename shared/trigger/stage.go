package trigger

import (
	"fmt"
	"slices"
	"strings"
)

// Stage is a deployment lifecycle stage, named as the deployment service
// names it.
type Stage string

// Traffic says which of an environment's targets a run sends journeys to.
type Traffic string

const (
	// Live is the environment's targets: the version taking production
	// traffic.
	Live Traffic = "live"
	// Test is the environment's test targets (for example an ECS test
	// listener): the version about to get traffic, before it does.
	Test Traffic = "test"
)

// CodeDeploy lifecycle events a hook function can serve (Lambda and ECS
// deployments).
const (
	BeforeInstall         Stage = "BeforeInstall"
	AfterInstall          Stage = "AfterInstall"
	AfterAllowTestTraffic Stage = "AfterAllowTestTraffic"
	BeforeAllowTraffic    Stage = "BeforeAllowTraffic"
	AfterAllowTraffic     Stage = "AfterAllowTraffic"
)

// Amazon ECS deployment lifecycle stages a Lambda hook can serve.
const (
	ReconcileService           Stage = "RECONCILE_SERVICE"
	PreScaleUp                 Stage = "PRE_SCALE_UP"
	PostScaleUp                Stage = "POST_SCALE_UP"
	TestTrafficShift           Stage = "TEST_TRAFFIC_SHIFT"
	PostTestTrafficShift       Stage = "POST_TEST_TRAFFIC_SHIFT"
	ProductionTrafficShift     Stage = "PRODUCTION_TRAFFIC_SHIFT"
	PostProductionTrafficShift Stage = "POST_PRODUCTION_TRAFFIC_SHIFT"
)

// CodeDeployStages and ECSStages list each service's hook stages in the
// order a deployment passes them.
var (
	CodeDeployStages = []Stage{BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic}
	ECSStages        = []Stage{ReconcileService, PreScaleUp, PostScaleUp, TestTrafficShift, PostTestTrafficShift, ProductionTrafficShift, PostProductionTrafficShift}
)

// testStages are the pre-traffic stages: the new version runs and is
// reachable through the test targets while production traffic still goes
// to the old one.
var testStages = []Stage{AfterAllowTestTraffic, BeforeAllowTraffic, PostScaleUp, TestTrafficShift, PostTestTrafficShift}

// Traffic returns the targets a run at s uses: Test at a pre-traffic
// stage, Live otherwise (after production traffic moved, or before the
// new version exists, when the live version is the only one to check).
func (s Stage) Traffic() Traffic {
	if slices.Contains(testStages, s) {
		return Test
	}
	return Live
}

// validFor says whether s is a stage of trigger type k.
func (s Stage) validFor(k Type) error {
	var stages []Stage
	switch k {
	case CodeDeploy:
		stages = CodeDeployStages
	case ECS:
		stages = ECSStages
	case CLI:
		// A local run may stand for any deployment's stage.
		stages = append(append([]Stage{}, CodeDeployStages...), ECSStages...)
	default:
		return fmt.Errorf("%s trigger has stage %q; only codedeploy, ecs and cli triggers have stages", k, s)
	}
	if slices.Contains(stages, s) {
		return nil
	}
	names := make([]string, len(stages))
	for i, st := range stages {
		names[i] = string(st)
	}
	return fmt.Errorf("%s stage %q is not one of %s", k, s, strings.Join(names, ", "))
}
