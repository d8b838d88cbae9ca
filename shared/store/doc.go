// Package store records journeygate runs, their journey results and their
// verdicts. It is the only way the project reaches DynamoDB.
//
// # One interface, one suite
//
// Every backend (Embedded for laptops and CI; the DynamoDB store for the
// cloud) implements Store and must pass storetest.Run, so the laptop and the
// cloud never disagree. The rules the suite checks:
//
//   - Writes are conditional single-record writes, never read-modify-write
//     across records and never transactions: CreateRun and PutResult fail
//     with ErrExists when the key is taken, PutVerdict succeeds exactly once
//     per run. Under concurrent writers exactly one wins; nothing is lost.
//   - PutResult and PutVerdict return ErrNotFound when the run does not
//     exist, and PutResult rejects a result whose Environment differs from
//     its run's (ErrInvalid).
//   - Invalid arguments fail with ErrInvalid before any I/O, naming the field
//     (the shared Validate functions in this package); names may not be
//     empty, longer than MaxNameLen or contain NUL.
//   - Results sorts by journey name (bytewise), then attempt, and returns
//     ErrNotFound for an unknown run.
//   - History and RecentRuns order by StartedAt (the instant, whatever the
//     time zone), newest first; Since is inclusive; Limit 0 means no limit;
//     filters match names exactly, never by prefix.
//   - Times round-trip to the nanosecond; errors wrap the context's error
//     when ctx ends.
//
// # Embedded key scheme (bbolt)
//
// Records are JSON. Keys join parts with a NUL byte; T is StartedAt in UTC
// as fixed-width "2006-01-02T15:04:05.000000000Z" so keys sort by time; A is
// the attempt zero-padded to six digits so attempts sort numerically.
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
// # Sharing the file between processes
//
// bbolt locks its file exclusively while it is open, and two `journeygate
// run` processes may use one file at once. Embedded therefore opens the file
// for each operation (read-only, with a shared lock, for reads) and closes it
// afterwards; a process that finds it locked retries with short waits until
// the lock timeout (ErrLockTimeout) or its context ends.
package store
