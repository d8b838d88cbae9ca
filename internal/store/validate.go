package store

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/shared/journey"
)

// MaxNameLen bounds run IDs, journey names and environment names in bytes, so they fit any backend's keys.
const MaxNameLen = 256

// MaxAttempt is the highest attempt number a result may carry.
const MaxAttempt = 999_999

func Invalidf(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

// checkName rejects names that are empty, too long, contain NUL (the
// embedded key separator) or are not UTF-8 (DynamoDB keys are UTF-8 strings).
func CheckName(field, v string, required bool) error {
	return checkKeyString(field, v, required, MaxNameLen)
}

func checkKeyString(field, v string, required bool, maxLen int) error {
	switch {
	case v == "" && required:
		return Invalidf(field, "is empty")
	case len(v) > maxLen:
		return Invalidf(field, "is %d bytes, must be at most %d", len(v), maxLen)
	case strings.ContainsRune(v, 0):
		return Invalidf(field, "%q contains a NUL byte", v)
	case !utf8.ValidString(v):
		return Invalidf(field, "%q is not valid UTF-8", v)
	}
	return nil
}

// checkTime rejects times that cannot be keyed: zero when required, or outside years 1-9999.
func checkTime(field string, t time.Time, required bool) error {
	if t.IsZero() {
		if required {
			return Invalidf(field, "is zero")
		}
		return nil
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return Invalidf(field, "%s is outside years 1-9999", t.Format(time.RFC3339Nano))
	}
	return nil
}

// Validate reports whether the run can be stored.
func (r RunRecord) Validate() error {
	if err := CheckName("RunRecord.ID", r.ID, true); err != nil {
		return err
	}
	if err := CheckName("RunRecord.Environment", r.Environment, true); err != nil {
		return err
	}
	if err := checkTime("RunRecord.StartedAt", r.StartedAt, true); err != nil {
		return err
	}
	return checkTime("RunRecord.FinishedAt", r.FinishedAt, false)
}

// ValidateRunID reports whether id can name a run.
func ValidateRunID(id string) error { return CheckName("runID", id, true) }

// ValidateResult reports whether the result can be stored.
func ValidateResult(r journey.Result) error {
	if err := CheckName("Result.RunID", r.RunID, true); err != nil {
		return err
	}
	if err := CheckName("Result.Journey", r.Journey, true); err != nil {
		return err
	}
	if err := CheckName("Result.Environment", r.Environment, true); err != nil {
		return err
	}
	if r.Attempt < 1 || r.Attempt > MaxAttempt {
		return Invalidf("Result.Attempt", "is %d, must be between 1 and %d", r.Attempt, MaxAttempt)
	}
	return checkTime("Result.StartedAt", r.StartedAt, true)
}

// ValidateVerdict reports whether the verdict can be recorded for runID.
func ValidateVerdict(runID string, v gate.Verdict, finishedAt time.Time) error {
	if err := ValidateRunID(runID); err != nil {
		return err
	}
	if v.Status != gate.Succeeded && v.Status != gate.Failed {
		return Invalidf("Verdict.Status", "is %q, must be %q or %q", v.Status, gate.Succeeded, gate.Failed)
	}
	return checkTime("finishedAt", finishedAt, true)
}

// CheckResultEnvironment rejects a result whose environment differs from its run's.
func CheckResultEnvironment(r journey.Result, run RunRecord) error {
	if r.Environment != run.Environment {
		return Invalidf("Result.Environment", "is %q, but run %q targets %q", r.Environment, run.ID, run.Environment)
	}
	return nil
}

// Validate reports whether the query is well formed.
func (q HistoryQuery) Validate() error {
	if err := CheckName("HistoryQuery.Journey", q.Journey, false); err != nil {
		return err
	}
	if err := CheckName("HistoryQuery.Environment", q.Environment, false); err != nil {
		return err
	}
	if err := checkTime("HistoryQuery.Since", q.Since, false); err != nil {
		return err
	}
	if q.Limit < 0 {
		return Invalidf("HistoryQuery.Limit", "is %d, must be >= 0", q.Limit)
	}
	return nil
}

// Validate reports whether the query is well formed.
func (q RunQuery) Validate() error {
	if err := CheckName("RunQuery.Environment", q.Environment, false); err != nil {
		return err
	}
	if err := checkTime("RunQuery.Since", q.Since, false); err != nil {
		return err
	}
	if q.Limit < 0 {
		return Invalidf("RunQuery.Limit", "is %d, must be >= 0", q.Limit)
	}
	return nil
}

// MaxDeliveryIDLen bounds a delivery ID in bytes: room for a run ID and a sequence.
const MaxDeliveryIDLen = 2 * MaxNameLen

// MaxDeliveryBody bounds a delivery body in bytes, as the local sink does by default.
const MaxDeliveryBody = 1 << 20

// ValidateDelivery reports whether the delivery can be stored.
func ValidateDelivery(d journey.Delivery) error {
	if err := CheckName("Delivery.RunID", d.RunID, true); err != nil {
		return err
	}
	if err := checkKeyString("Delivery.ID", d.ID, true, MaxDeliveryIDLen); err != nil {
		return err
	}
	if len(d.Body) > MaxDeliveryBody {
		return Invalidf("Delivery.Body", "is %d bytes, must be at most %d", len(d.Body), MaxDeliveryBody)
	}
	return checkTime("Delivery.ReceivedAt", d.ReceivedAt, true)
}

// validateDeliveryQuery reports whether a Deliveries call is well formed.
func ValidateDeliveryQuery(runID string, limit int) error {
	if err := ValidateRunID(runID); err != nil {
		return err
	}
	if limit < 0 {
		return Invalidf("limit", "is %d, must be >= 0", limit)
	}
	return nil
}
