package handler

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/journeygate/journeygate/shared/flow"
)

// hashLen is how many hex digits of a SHA-256 name a long or opaque part.
const hashLen = 12

// hash returns the first hashLen hex digits of s's SHA-256.
func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:hashLen]
}

// RunID turns parts into an execution name: joined with "-", characters
// outside [0-9A-Za-z_-] replaced by "-", and, when longer than
// flow.MaxRunIDLen, cut and suffixed with a hash of the whole so distinct
// inputs keep distinct names. The same parts always give the same name.
func RunID(parts ...string) string {
	joined := strings.Join(parts, "-")
	var b strings.Builder
	for _, r := range joined {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	id := b.String()
	if id == joined && len(id) <= flow.MaxRunIDLen {
		return id
	}
	// Sanitising or cutting may map distinct inputs to one name; a hash of
	// the whole keeps them apart.
	if keep := flow.MaxRunIDLen - hashLen - 1; len(id) > keep {
		id = id[:keep]
	}
	return id + "-" + hash(joined)
}

// codeDeployRunID names the run of a CodeDeploy hook execution.
func codeDeployRunID(ev CodeDeployHookEvent) string {
	return RunID("cd", ev.DeploymentID, hash(ev.LifecycleEventHookExecutionID))
}

// codePipelineRunID names the run of a CodePipeline job.
func codePipelineRunID(jobID string) string { return RunID("cp", jobID) }

// scheduleRunID names the run of one scheduled invocation.
func scheduleRunID(env string, r Request) string {
	at := r.ScheduledTime
	if t, err := time.Parse(time.RFC3339, at); err == nil {
		at = t.UTC().Format("20060102T150405Z")
	}
	if r.Schedule == "" {
		return RunID("sched", env, at)
	}
	return RunID("sched", env, at, hash(r.Schedule)[:6])
}
