// Package dynamo is the DynamoDB store: store.Store and the other store
// interfaces in one DynamoDB table, for the Lambda functions and any
// command given a dynamodb:// spec. It passes the same conformance suite
// (package storetest) as the embedded store. New wraps a client and a
// table; Open builds the client from a Spec (ParseSpec reads
// dynamodb://TABLE?endpoint=URL&region=R&ttl=D&create=true); TableInput
// and CreateTable describe and create the table.
//
// # DynamoDB key scheme (one table)
//
// One table holds runs with their verdicts, journey results with their
// steps, and sink deliveries. T is the fixed-width UTC time
// (store.TimeKey), A the six-digit attempt (store.AttemptKey), L the
// environment's length in bytes in decimal.
//
//	item       PK          SK                    GSI1PK             GSI2PK       GSI3PK          GSI4PK  GSISK
//	run        RUN#<run>   RUN                   -                  RUNS#<env>   -               RUNS    T#<run>
//	result     RUN#<run>   RESULT#<journey>#A    HIST#L#<env>#<jn>  HIST#<env>   HIST#<journey>  HIST    T#<run>#<journey>#A
//	delivery   SINK#<run>  T#<delivery id>       -                  -            -               -       -
//
// Every item also has "kind" (run, result, delivery, override, lease, page) and, when a TTL
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
// bytewise as in the embedded store. More pages are read only past 1 MB. No request is
// a transaction (the local stand-in has none) and no write touches two items.
//
// Indexes. GSI keys are written on the item itself, so a result is one write
// however many indexes list it. An item has one key per index, so the four
// History filter combinations need four indexes (all keyed on GSInPK and
// the shared GSISK, all projecting keys only):
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
// Keys only, because a write to an item is also a write to each index that
// lists it, billed by the size of what the index holds: a result of a few
// KB written to ALL-projecting indexes costs its size in write units five
// times over; keys-only entries cost one unit each, and an update that
// changes no key (the verdict, the report mark) writes no index at all.
// History and RecentRuns therefore read each listed item from the table:
// one GetItem per key, up to 8 at once, eventually consistent (half a
// read unit per 4 KB, what the index Query read before), then strongly
// consistent for an item that did not come back yet; an item gone by then
// (expired) is left out. The results are the same; a listing costs one
// request per item instead of one per MB.
//
// Sizes. An item may not exceed 400 KB. A result's evidence is already an
// excerpt, so real results fit; when one would not, PutResult cuts every
// free-text field (evidence, messages, cleanup errors) to 64 KB, then 16 KB,
// 4 KB, 1 KB, 256 and 64 bytes until the item fits 350 KB, keeping the head
// of each text and appending "… [truncated by the journeygate store: N of M
// bytes kept]". A verdict is bounded to 200 KB the same way. A delivery
// body that does not fit is stored gzipped ("bodyGzip"); one too large even
// then is ErrInvalid, which the sink answers with 413.
// Deliveries. Each is one conditional PutItem into SINK#<run>; Deliveries
// is a consistent Query of that partition with "SK > after". They expire
// after store.DefaultDeliveryTTL unless WithDeliveryTTL (or WithTTL) says
// otherwise. DynamoDB deletes an expired item only eventually (within
// days; the local stand-in never), so the Query filters on expiresAt
// ("attribute_not_exists(expiresAt) OR expiresAt > now", in epoch
// seconds) and no read returns an expired delivery; the embedded store
// skips expired ones by the same rule.
//
// # Overrides and verdict revisions
//
// An override lives in its deployment's partition, one conditional PutItem
// (attribute_not_exists(PK)) per override; Overrides is one consistent
// Query of that partition, oldest first. Its expiry is the "until"
// attribute; "expiresAt", the TTL attribute, is until plus
// OverrideRetention, so a lapsed override stays readable for audit:
//
//	item       PK                   SK       attributes
//	override   OVERRIDE#<deploy>    AT#T     kind, deployment, by, reason, at, until, expiresAt
//
// ReviseVerdict is one consistent GetItem of the run item and one
// UpdateItem ("SET verdict = :v, revisions = list_append(if_not_exists(
// revisions, :empty), :entry)" on condition "attribute_exists(verdict) AND
// attribute_not_exists(revisions)", or "size(revisions) = :seen" after the
// first). Each replaced verdict is bounded to 32 KB the way a verdict is
// bounded, so the run item stays under the item limit. ScheduledResults
// reads the environment's index (GSI2).
//
// # Leases of pooled test resources
//
// One item per resource in its pool's partition; L is the
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
//
// # Page records
//
// One item per (environment, journey), L the environment's length in
// bytes; it has no GSI key, so no index lists it:
//
//	item   PK                        SK     attributes
//	page   PAGE#L#<env>#<journey>    PAGE   kind, environment, journey, runId, failedAt, pagedAt, lastFailedAt, expiresAt
//
// LastPage is one strongly consistent GetItem; PutPage one unconditional
// PutItem (the last writer wins). "expiresAt" is PagedAt plus
// PageRetention: a record the TTL deleted is no record, and the next
// failure pages.
package dynamo
