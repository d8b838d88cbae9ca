// Package store is journeygate's store interface: the records of runs,
// their journey results and verdicts, the interfaces every backend
// implements (Store, RunReader, ReportMarker, DeliveryStore, OverrideStore,
// VerdictReviser, LeaseStore, PageStore), the errors they return and the validation
// they share, and what is built on the interfaces alone (LoadRun,
// RunIDsWithPrefix, NewSinkReader, GatePolicy, ScheduledResults).
//
// The backends are packages of their own: embedded (one bbolt file, for
// laptops and CI) and dynamo (one DynamoDB table, for the cloud), each
// documenting its key scheme. Package backend opens the one a spec names;
// package storetest is the conformance suite both run.
//
// # One interface, one suite
//
// Every backend implements Store and must pass storetest.Run, so the laptop
// and the cloud never disagree. The rules the suite checks:
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
//   - Names are UTF-8 (DynamoDB keys are UTF-8 strings) and may contain any
//     separator a key scheme uses ('#', '/'): no two names may be confused.
//
// backend.Open picks a backend from a spec: a file path (the embedded
// store, the default) or dynamodb://TABLE?endpoint=URL&region=R&ttl=D&create=true
// (the DynamoDB store). LoadRun
// reads a run with its results, in one request where the store is a
// RunReader. RunIDsWithPrefix finds runs by a prefix of their ID (one
// prefix scan of the runs bucket in the embedded store; DynamoDB reads its
// runs through RecentRuns), so a person may name a run by a unique prefix.
// Sink deliveries have their own interface, DeliveryStore, which both
// backends implement (storetest.RunDeliveries), and NewSinkReader turns one
// into the journey SDK's SinkReader.
//
// Both backends build keys from the same parts (keys.go): T is StartedAt
// (or another instant) in UTC as the fixed-width TimeLayout, so keys sort by
// time; A is the attempt zero-padded to six digits (AttemptKey), so attempts
// sort numerically. A delivery's position is "T#ID" (DeliveryPosition).
//
// # Deliveries
//
// A delivery's RunID is the key its readers read it by: a run's ID for a
// webhook, "inbox/jg<token>" for mail to an inbox (journey.InboxKey: one
// attempt of one journey of one run) and "sms/+<number>" for texts to a
// leased number (journey.SMSKey: its readers skip texts received before
// their lease). The sinks refuse a webhook naming either prefix as its run.
//
// Deliveries expire after DefaultDeliveryTTL unless the backend is told
// otherwise; expiresAt is ReceivedAt plus the TTL in whole epoch seconds
// (Expiry), and no read returns a delivery at or past it
// (storetest.RunDeliveryExpiry). A delivery can become visible after a
// later-stamped one (two sink instances racing), so NewSinkReader's cursor
// trails the newest delivery it returned by ReorderWindow and remembers the
// IDs it returned since then, instead of resuming strictly after the last
// position.
//
// # Overrides and verdict revisions
//
// Audited overrides (gate.Override) and re-decisions have their own
// interfaces, OverrideStore and VerdictReviser, which both backends
// implement and storetest.RunPolicies checks.
//
// An override is one record keyed by its deployment and the time it was
// recorded; it is never changed or deleted by journeygate (an expired one
// simply stops applying).
//
// PutVerdict records a run's first verdict once. A re-decision (journeygate
// decide) that changes it goes through ReviseVerdict, which never rewrites
// silently: the replaced verdict moves to the run's "revisions" list with
// when, by whom and why, in the same single-record write as the new
// verdict. The write is conditional on the number of revisions the caller
// read, so of two concurrent re-decisions one wins and the other gets
// ErrConflict. A run keeps at most MaxRevisions.
//
// The freeze reads what is already there: ScheduledResults is one
// RecentRuns and one History query of the environment since the window's
// start, keeping global journeys of scheduled runs. GatePolicy gathers the
// freeze's and the overrides' inputs for a run.
//
// # Leases of pooled test resources
//
// A lease (LeaseStore, checked by storetest.RunLeases) holds one resource
// of an environment's pool for one holder until it expires. A resource is
// free when it has no lease, its lease was released, or its lease expired
// strictly before the acquirer's AcquiredAt (the holder's clock, LeaseFree).
// Only the holder (an ID unique per acquisition) renews or releases it;
// anyone else gets ErrNotHeld and changes nothing.
//
// # Page records
//
// A PageStore (checked by storetest.RunPages) keeps the last page sent for
// each (environment, journey): the run whose failure paged, the streak's
// first failure, when the page went out and the newest failure seen since. PutPage replaces the record
// unconditionally; package paging reads it to tell a repeat failure from
// a new one. A page record is neither a run nor a result: History and
// RecentRuns never list it.
package store
