package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// RunPrefixFinder is implemented by stores that find run IDs by prefix
// without reading every run record (the embedded store: one prefix scan of its runs).
type RunPrefixFinder interface {
	// RunIDsWithPrefix returns the IDs of the runs that start with prefix,
	// sorted bytewise, at most limit of them (0 = no limit).
	RunIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error)
}

// RunIDsWithPrefix returns the IDs of s's runs that start with prefix,
// sorted bytewise, at most limit of them (0 = no limit), so a person may
// name a run by a unique prefix of its ID. It is one prefix scan where s is
// a RunPrefixFinder, else one RecentRuns read of every run. A prefix that
// could not be a run ID (empty, too long, a control character) is
// ErrInvalid.
func RunIDsWithPrefix(ctx context.Context, s Store, prefix string, limit int) ([]string, error) {
	if err := CheckName("run ID prefix", prefix, true); err != nil {
		return nil, err
	}
	if limit < 0 {
		return nil, Invalidf("limit", "is %d, must not be negative", limit)
	}
	if f, ok := s.(RunPrefixFinder); ok {
		return f.RunIDsWithPrefix(ctx, prefix, limit)
	}
	runs, err := s.RecentRuns(ctx, RunQuery{})
	if err != nil {
		return nil, fmt.Errorf("runs starting with %q: %w", prefix, err)
	}
	var ids []string
	for _, r := range runs {
		if strings.HasPrefix(r.ID, prefix) {
			ids = append(ids, r.ID)
		}
	}
	sort.Strings(ids)
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	return ids, nil
}
