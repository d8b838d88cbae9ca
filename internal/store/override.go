package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/journeygate/journeygate/internal/gate"
)

// ErrConflict means a conditional write lost to a concurrent change: the
// record is no longer in the state the caller read.
var ErrConflict = errors.New("changed concurrently")

// MaxRevisions bounds how many times one run's verdict may be replaced.
const MaxRevisions = 4

// MaxRevisionWhy bounds a revision's explanation in bytes.
const MaxRevisionWhy = 2000

// OverrideStore records audited overrides (see gate.Override), kept apart
// from Store so stores and fakes that need none stay small. Both backends
// implement it; storetest.RunPolicies checks them.
type OverrideStore interface {
	// PutOverride records o once, keyed by its deployment and At;
	// ErrExists if that key is taken, ErrInvalid if o fails
	// ValidateOverride (an override without a reason is refused).
	PutOverride(ctx context.Context, o gate.Override) error
	// Overrides returns every override recorded for deployment, expired
	// ones included, oldest At first. None is not an error.
	Overrides(ctx context.Context, deployment string) ([]gate.Override, error)
}

// Revision is a verdict that a re-decision replaced, and when, by whom and
// why it was replaced. A run's revisions are its verdict's audit trail.
type Revision struct {
	// Verdict is the replaced verdict.
	Verdict gate.Verdict `json:"verdict"`
	// ReplacedAt is when the re-decision replaced it.
	ReplacedAt time.Time `json:"replacedAt"`
	// By names who re-decided.
	By string `json:"by"`
	// Why says what changed, e.g. "overridden by alice: ...".
	Why string `json:"why"`
}

// VerdictReviser replaces a recorded verdict without losing it: the old
// verdict moves to the run's Revisions in the same single-record write.
// PutVerdict stays once-only; a re-decision goes through ReviseVerdict.
type VerdictReviser interface {
	// ReviseVerdict replaces runID's verdict with v and appends the
	// replaced one to its Revisions, as one conditional write. seen is
	// how many revisions the caller read (len(RunRecord.Revisions)):
	// ErrConflict if the run has a different number by now (a concurrent
	// re-decision), ErrNotFound if the run or its verdict does not exist,
	// ErrInvalid for bad arguments or once MaxRevisions are recorded.
	ReviseVerdict(ctx context.Context, runID string, seen int, v gate.Verdict, at time.Time, by, why string) error
}

// ValidateOverride reports whether the override can be recorded.
func ValidateOverride(o gate.Override) error {
	if err := o.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := CheckName("Override.Deployment", o.Deployment, true); err != nil {
		return err
	}
	if err := checkTime("Override.At", o.At, true); err != nil {
		return err
	}
	return checkTime("Override.ExpiresAt", o.ExpiresAt, true)
}

// ValidateRevision reports whether a ReviseVerdict call is well formed.
func ValidateRevision(runID string, seen int, v gate.Verdict, at time.Time, by, why string) error {
	if err := ValidateVerdict(runID, v, at); err != nil {
		return err
	}
	switch {
	case seen < 0:
		return Invalidf("seen", "is %d, must be >= 0", seen)
	case seen >= MaxRevisions:
		return Invalidf("Revisions", "already hold %d verdicts, at most %d allowed", seen, MaxRevisions)
	case strings.TrimSpace(by) == "":
		return Invalidf("by", "is empty: a revision names who re-decided")
	case len(by) > gate.MaxOverrideBy:
		return Invalidf("by", "is %d bytes, must be at most %d", len(by), gate.MaxOverrideBy)
	case strings.TrimSpace(why) == "":
		return Invalidf("why", "is empty: a revision says what changed")
	case len(why) > MaxRevisionWhy:
		return Invalidf("why", "is %d bytes, must be at most %d", len(why), MaxRevisionWhy)
	}
	return nil
}

// revisionFor checks a stored run against a ReviseVerdict call and returns
// the revision to append: ErrNotFound without a verdict, ErrConflict when
// the run's revisions are not the ones the caller saw.
func RevisionFor(run RunRecord, seen int, at time.Time, by, why string) (Revision, error) {
	if run.Verdict == nil {
		return Revision{}, fmt.Errorf("run %q has no verdict to revise: %w", run.ID, ErrNotFound)
	}
	if n := len(run.Revisions); n != seen {
		return Revision{}, fmt.Errorf("verdict of run %q: %d revisions recorded, %d seen: %w", run.ID, n, seen, ErrConflict)
	}
	return Revision{Verdict: *run.Verdict, ReplacedAt: at, By: by, Why: why}, nil
}
