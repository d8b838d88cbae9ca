// Package embedded is the embedded store: store.Store and the other store
// interfaces in one bbolt file on disk, for `journeygate run` on a laptop or
// in CI. It passes the same conformance suite (package storetest) as the
// DynamoDB store. Open prepares a file; DefaultPath is the CLI's.
//
// # Key scheme
//
// Records are JSON. Keys join parts with a NUL byte; T is StartedAt in UTC
// as the fixed-width store.TimeLayout, so keys sort by time; A is the
// attempt zero-padded to six digits (store.AttemptKey), so attempts sort
// numerically.
//
//	bucket                  key                              value
//	meta                    "schema"                         "1"
//	runs                    runID                            RunRecord
//	runs_by_time            T runID                          runID
//	runs_by_env             env T runID                      runID
//	results                 runID journey A                  journey.Result
//	history                 T runID journey A                results key
//	history_by_journey      journey T runID A                results key
//	history_by_env          env T runID journey A            results key
//	history_by_env_journey  env journey T runID A            results key
//
// A run's results are one prefix scan of results. History picks the index
// whose prefix matches its filters and scans it backwards from the newest key
// down to Since, stopping at Limit; RecentRuns does the same over runs_by_*.
// Index entries are written in the same transaction as their record and
// never change: StartedAt is immutable, and PutVerdict rewrites only the
// runs record.
//
// The deliveries bucket (added later, without a schema bump: Open creates
// it in older files) keys runID, then the delivery's position, so a
// run's deliveries are one prefix scan in position order; the value is the
// delivery with its expiresAt (epoch seconds; none in records written
// before deliveries expired, which never expire):
//
//	deliveries              runID position                   journey.Delivery + expiresAt
//
// Expired deliveries are skipped on read by the rule store documents
// (WithDeliveryTTL, default store.DefaultDeliveryTTL); the file keeps them.
//
// Overrides are kept in the overrides bucket (created by the first
// PutOverride, no schema bump; a file without it has none):
//
//	overrides               deployment T(At)                 gate.Override
//
// ReviseVerdict replaces a verdict in one transaction. Leases are one
// record per resource in the leases bucket (created by the first
// AcquireLease, no schema bump), each operation one transaction; a release
// deletes the record:
//
//	leases                  env pool resource                Lease
//
// Page records (PageStore) are one record per environment and journey in
// the pages bucket (created by the first PutPage, no schema bump), each
// PutPage one transaction replacing the record:
//
//	pages                   env journey                      PageRecord
//
// # Sharing the file between processes
//
// bbolt locks its file exclusively while it is open, and two `journeygate
// run` processes may use one file at once. Store therefore opens the file
// for each operation (read-only, with a shared lock, for reads) and closes it
// afterwards; a process that finds it locked retries with short waits until
// the lock timeout (ErrLockTimeout) or its context ends.
//
// Concurrent PutResult calls of one process are committed together (group
// commit): while one transaction is being written, the results that arrive
// wait and go into the next one, applied in arrival order, so a run of many
// journeys opens and syncs the file a few times per wave of journeys rather
// than once per result. Each caller still gets its own outcome: a result
// that fails (ErrExists, ErrNotFound, ErrInvalid) is left out and the rest
// of its group is committed without it.
package embedded
