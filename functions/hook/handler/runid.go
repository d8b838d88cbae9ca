package handler

import (
	"time"

	"github.com/journeygate/journeygate/shared/trigger"
)

// codeDeployRunID names the run of a CodeDeploy hook execution.
func codeDeployRunID(ev CodeDeployHookEvent) string {
	return trigger.Trigger{Type: trigger.CodeDeploy, DeploymentID: ev.DeploymentID, LifecycleEventHookExecutionID: ev.LifecycleEventHookExecutionID}.RunID()
}

// codePipelineRunID names the run of a CodePipeline job.
func codePipelineRunID(jobID string) string {
	return trigger.Trigger{Type: trigger.CodePipeline, JobID: jobID}.RunID()
}

// scheduleRunID names the run of one scheduled invocation.
func scheduleRunID(env string, r Request) string {
	at := r.ScheduledTime
	if t, err := time.Parse(time.RFC3339, at); err == nil {
		at = t.UTC().Format("20060102T150405Z")
	}
	if r.Schedule == "" {
		return trigger.RunID("sched", env, at)
	}
	return trigger.RunID("sched", env, at, trigger.Hash(r.Schedule)[:6])
}
