package store

import (
	"context"
	"fmt"
	"time"
)

// PageRecord is the last page sent for a journey failing in an
// environment: which failing result paged, when, and the newest failure
// of the streak seen since. Package paging reads
// it to tell a repeat failure of the same streak from a new one.
type PageRecord struct {
	// Environment and Journey key the record: one per pair.
	Environment string `json:"environment"`
	Journey     string `json:"journey"`
	// RunID is the run whose failure paged.
	RunID string `json:"runId"`
	// FailedAt is the StartedAt of the streak's first failure that paged
	// (a reminder keeps it).
	FailedAt time.Time `json:"failedAt"`
	// PagedAt is when the last page went out.
	PagedAt time.Time `json:"pagedAt"`
	// LastFailedAt is the StartedAt of the newest failure of the streak
	// decided so far: a passing result of the journey started at or after
	// it ends the streak. Zero reads as FailedAt.
	LastFailedAt time.Time `json:"lastFailedAt,omitzero"`
}

// PageStore keeps one PageRecord per (environment, journey), kept apart
// from Store so stores and fakes that need none stay small. Both backends
// implement it; storetest.RunPages checks them.
type PageStore interface {
	// LastPage returns the page record of journey in environment;
	// ErrNotFound if none was written.
	LastPage(ctx context.Context, environment, journey string) (PageRecord, error)
	// PutPage writes p, replacing the pair's record if there is one
	// (unconditional: of two racing writers the later one stays).
	PutPage(ctx context.Context, p PageRecord) error
}

// ValidatePageKey checks a page record's key.
func ValidatePageKey(environment, journey string) error {
	if err := CheckName("PageRecord.Environment", environment, true); err != nil {
		return err
	}
	return CheckName("PageRecord.Journey", journey, true)
}

// Validate reports whether the page record can be stored.
func (p PageRecord) Validate() error {
	if err := ValidatePageKey(p.Environment, p.Journey); err != nil {
		return err
	}
	if err := CheckName("PageRecord.RunID", p.RunID, true); err != nil {
		return err
	}
	if err := checkTime("PageRecord.FailedAt", p.FailedAt, true); err != nil {
		return err
	}
	if err := checkTime("PageRecord.PagedAt", p.PagedAt, true); err != nil {
		return err
	}
	return checkTime("PageRecord.LastFailedAt", p.LastFailedAt, false)
}

// DescribePage names a page record's key in messages.
func DescribePage(environment, journey string) string {
	return fmt.Sprintf("page record of journey %q in environment %q", journey, environment)
}
