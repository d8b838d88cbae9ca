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
//   - Names are UTF-8 (DynamoDB keys are UTF-8 strings) and may contain any
//     separator a key scheme uses ('#', '/'): no two names may be confused.
//
// Open picks a backend from a spec: a file path (Embedded, the default) or
// dynamodb://TABLE?endpoint=URL&region=R&ttl=D&create=true (Dynamo). LoadRun
// reads a run with its results, in one request where the store is a
// RunReader. RunIDsWithPrefix finds runs by a prefix of their ID (one
// prefix scan of the runs bucket in Embedded; DynamoDB reads its runs through
// RecentRuns), so a person may name a run by a unique prefix. Sink deliveries have their own interface, DeliveryStore, which
// both backends implement (storetest.RunDeliveries), and NewSinkReader turns
// one into the journey SDK's SinkReader.
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
// The deliveries bucket (added later, without a schema bump: OpenEmbedded
// creates it in older files) keys runID, then the delivery's position, so a
// run's deliveries are one prefix scan in position order; the value is the
// delivery with its expiresAt (epoch seconds; none in records written
// before deliveries expired, which never expire):
//
//	deliveries              runID position                   journey.Delivery + expiresAt
//
// # Sharing the file between processes
//
// bbolt locks its file exclusively while it is open, and two `journeygate
// run` processes may use one file at once. Embedded therefore opens the file
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
//
// # DynamoDB key scheme (one table)
//
// One table holds runs with their verdicts, journey results with their
// steps, and sink deliveries. T is the fixed-width UTC time above, A the
// six-digit attempt, L the environment's length in bytes in decimal.
//
//	item       PK          SK                    GSI1PK             GSI2PK       GSI3PK          GSI4PK  GSISK
//	run        RUN#<run>   RUN                   -                  RUNS#<env>   -               RUNS    T#<run>
//	result     RUN#<run>   RESULT#<journey>#A    HIST#L#<env>#<jn>  HIST#<env>   HIST#<journey>  HIST    T#<run>#<journey>#A
//	delivery   SINK#<run>  T#<delivery id>       -                  -            -               -       -
//
// Every item also has "kind" (run, result, delivery, override) and, when a TTL
// applies, "expiresAt" (epoch seconds; the table's TTL setting names it).
// The record's own fields are flattened beside the keys with attributevalue,
// under their JSON names; the verdict is the run item's "verdict" map.
//
// Requests. CreateRun is one PutItem, conditional on attribute_not_exists(PK).
// PutResult is one PutItem with the same condition; it first needs the run's
// environment (to check the result's), read with one consistent GetItem and
// then cached per process (run environments never change). PutVerdict is
// one UpdateItem of the run item, conditional on attribute_exists(PK) AND
// attribute_not_exists(verdict); a lost condition is ErrExists when
// DynamoDB returns the old item (ReturnValuesOnConditionCheckFailure) and
// otherwise (local stand-ins) one GetItem tells ErrExists from ErrNotFound.
// MarkReported (deployment runs only, after their report) is one UpdateItem
// setting "reportedAt", conditional on the run existing and the attribute
// being absent or zero; a lost condition is one GetItem to tell "marked
// before" (nil) from ErrNotFound.
// Results (and RunResults) is one consistent Query of PK=RUN#<run>: the run
// item proves the run exists and the result items come with it; results are
// sorted by journey and attempt in the client, so names containing '#' sort
// bytewise as in Embedded. More pages are read only past 1 MB. No request is
// a transaction (the local stand-in has none) and no write touches two items.
//
// Indexes. GSI keys are written on the item itself, so a result is one write
// however many indexes list it. An item has one key per index, so the four
// History filter combinations need four indexes (all project ALL, keyed on
// GSInPK and the shared GSISK):
//
//	index  serves                                           partitions
//	GSI1   History(journey, environment)                    HIST#L#<env>#<journey>
//	GSI2   History(environment), RecentRuns(environment)    HIST#<env>, RUNS#<env>
//	GSI3   History(journey)                                 HIST#<journey>
//	GSI4   History(), RecentRuns()                          HIST, RUNS
//
// The alternatives were rejected: a fan-out over "known environments" needs
// a list that can go stale and several queries per call; filtering one broad
// partition reads every other journey's results. GSI4's two partitions take
// every write of the table: journeygate writes a few items per journey run,
// orders of magnitude below a partition's 1,000 writes per second, and GSIs
// have no partition size limit. L makes GSI1 unambiguous although names may
// contain '#'; RESULT#<journey>#A is unambiguous because A is fixed-width.
// Every query reads newest first (ScanIndexForward=false) with
// "GSISK >= T(Since)" as its key condition, follows LastEvaluatedKey, and
// asks for no more than the items Limit still allows. Index reads are
// eventually consistent (usually well under a second); GetRun, Results and
// Deliveries read the base table strongly consistently.
//
// Sizes. An item may not exceed 400 KB. A result's evidence is already an
// excerpt, so real results fit; when one would not, PutResult cuts every
// free-text field (evidence, messages, cleanup errors) to 64 KB, then 16 KB,
// 4 KB, 1 KB, 256 and 64 bytes until the item fits 350 KB, keeping the head
// of each text and appending "… [truncated by the journeygate store: N of M
// bytes kept]". A verdict is bounded to 200 KB the same way. A delivery
// body that does not fit is stored gzipped ("bodyGzip"); one too large even
// then is ErrInvalid, which the sink answers with 413.
//
// Deliveries. Each is one conditional PutItem into SINK#<run>; Deliveries
// is a consistent Query of that partition with "SK > after". They expire
// after DefaultDeliveryTTL unless WithDeliveryTTL (or WithTTL) says
// otherwise. DynamoDB deletes an expired item only eventually (within
// days; the local stand-in never), so the Query filters on expiresAt
// ("attribute_not_exists(expiresAt) OR expiresAt > now", in epoch
// seconds) and no read returns an expired delivery. Embedded stores the
// same expiresAt with each delivery (WithEmbeddedDeliveryTTL, the same
// default) and skips expired ones by the same rule. A delivery can become visible after a later-stamped one (two
// sink instances racing), so NewSinkReader's cursor trails the newest
// delivery it returned by ReorderWindow and remembers the IDs it returned
// since then, instead of resuming strictly after the last position.
//
// # Overrides and verdict revisions
//
// Audited overrides (gate.Override) and re-decisions have their own
// interfaces, OverrideStore and VerdictReviser, which both backends
// implement and storetest.RunPolicies checks.
//
// An override is one record keyed by its deployment and the time it was
// recorded; it is never changed or deleted by journeygate (an expired one
// simply stops applying). Embedded keeps it in the overrides bucket (created
// by the first PutOverride, no schema bump; a file without it has none):
//
//	overrides               deployment T(At)                 gate.Override
//
// DynamoDB keeps it in its deployment's partition, one conditional PutItem
// (attribute_not_exists(PK)) per override; Overrides is one consistent
// Query of that partition, oldest first. Its expiry is the "until"
// attribute; "expiresAt", the TTL attribute, is until plus
// OverrideRetention, so a lapsed override stays readable for audit:
//
//	item       PK                   SK       attributes
//	override   OVERRIDE#<deploy>    AT#T     kind, deployment, by, reason, at, until, expiresAt
//
// PutVerdict records a run's first verdict once. A re-decision (journeygate
// decide) that changes it goes through ReviseVerdict, which never rewrites
// silently: the replaced verdict moves to the run's "revisions" list with
// when, by whom and why, in the same single-record write as the new
// verdict. The write is conditional on the number of revisions the caller
// read, so of two concurrent re-decisions one wins and the other gets
// ErrConflict. Embedded does it in one transaction; DynamoDB with one
// consistent GetItem of the run item and one UpdateItem ("SET verdict = :v,
// revisions = list_append(if_not_exists(revisions, :empty), :entry)" on
// condition "attribute_exists(verdict) AND attribute_not_exists(revisions)",
// or "size(revisions) = :seen" after the first). A run keeps at most
// MaxRevisions; each replaced verdict is bounded to 32 KB the way a verdict
// is bounded, so the run item stays under the item limit.
//
// The freeze reads what is already there: ScheduledResults is one
// RecentRuns and one History query of the environment (GSI2) since the
// window's start, keeping global journeys of scheduled runs. GatePolicy
// gathers the freeze's and the overrides' inputs for a run.
//
// # Leases of pooled test resources
//
// A lease (LeaseStore, checked by storetest.RunLeases) holds one resource
// of an environment's pool for one holder until it expires. A resource is
// free when it has no lease, its lease was released, or its lease expired
// strictly before the acquirer's AcquiredAt (the holder's clock). Only the
// holder (an ID unique per acquisition) renews or releases it; anyone else
// gets ErrNotHeld and changes nothing.
//
// Embedded keeps one record per resource in the leases bucket (created by
// the first AcquireLease, no schema bump), each operation one transaction;
// a release deletes the record:
//
//	leases                  env pool resource                Lease
//
// DynamoDB keeps one item per resource in its pool's partition; L is the
// environment's length in bytes, so names containing '#' cannot collide,
// and "until" is the expiry as the fixed-width time T, compared as a
// string:
//
//	item   PK                       SK            attributes
//	lease  LEASE#L#<env>#<pool>     RES#<id>      kind, environment, pool, resource, holder, acquiredAt, until, expiresAt
//
// AcquireLease is one PutItem on condition "attribute_not_exists(PK) OR
// attribute_not_exists(until) OR until < :now"; RenewLease one UpdateItem
// setting until on condition "holder = :holder"; ReleaseLease one
// UpdateItem removing holder and until on the same condition (the item
// stays, so the runner needs no DeleteItem); Leases one consistent Query
// of the partition, skipping released items. "expiresAt", the TTL
// attribute, is the lease's expiry (or the release time) plus
// LeaseRetention, so the table's TTL only clears leases of resources no
// longer used, never one that decides who may take a resource.
package store
