package trigger

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxRunIDLen is the longest run ID: Step Functions' limit on execution
// names, which run IDs are.
const MaxRunIDLen = 80

// hashLen is how many hex digits of a SHA-256 name a long or opaque part.
const hashLen = 12

// Hash returns the first 12 hex digits of s's SHA-256: a short, stable
// name for a long or opaque part of a run ID.
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:hashLen]
}

// RunID turns parts into a run ID: joined with "-", characters outside
// [0-9A-Za-z_-] replaced by "-", and, when longer than MaxRunIDLen, cut and
// suffixed with a hash of the whole so distinct inputs keep distinct
// names. The same parts always give the same ID.
func RunID(parts ...string) string {
	joined := strings.Join(parts, "-")
	var b strings.Builder
	for _, r := range joined {
		if nameRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	id := b.String()
	if id == joined && len(id) <= MaxRunIDLen {
		return id
	}
	// Sanitising or cutting may map distinct inputs to one name; a hash of
	// the whole keeps them apart.
	if keep := MaxRunIDLen - hashLen - 1; len(id) > keep {
		id = id[:keep]
	}
	return id + "-" + Hash(joined)
}

// NewRunID returns a sortable, unique run ID such as
// 20261121T101500Z-3f9a1c: now in UTC to the second, then six random hex
// digits. It is the ID of a run no trigger names (a schedule's or a manual
// request's without one); here rather than in the runner, so that the
// functions that start runs (the hook, the sink) do not link the runner.
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// RunID returns the run ID of a deployment trigger, the same however often
// the deployment service delivers the event: one run per CodeDeploy hook
// execution, per CodePipeline job, per ECS service deployment and stage.
// Other triggers return "": their IDs come from the request.
func (t Trigger) RunID() string {
	switch t.Type {
	case CodeDeploy:
		return RunID("cd", t.DeploymentID, Hash(t.LifecycleEventHookExecutionID))
	case CodePipeline:
		return RunID("cp", t.JobID)
	case ECS:
		// The deployment ARN's last segment is its ID; the hash of the
		// whole ARN keeps two services' deployments apart.
		arn := t.DeploymentID
		return RunID("ecs", arn[strings.LastIndexByte(arn, '/')+1:], string(t.Stage), Hash(arn))
	}
	return ""
}

// ValidateRunID checks that id is a valid run ID (an execution name): 1 to
// 80 of [0-9A-Za-z_-].
func ValidateRunID(id string) error {
	if id == "" {
		return errors.New("runId is empty")
	}
	if len(id) > MaxRunIDLen {
		return fmt.Errorf("runId %q is %d characters long; at most %d allowed", id, len(id), MaxRunIDLen)
	}
	if i := strings.IndexFunc(id, func(r rune) bool { return !nameRune(r) }); i >= 0 {
		return fmt.Errorf("runId %q has %q at %d; only letters, digits, - and _ allowed", id, id[i], i)
	}
	return nil
}

func nameRune(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_'
}
