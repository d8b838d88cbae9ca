// Package paging decides whether a scheduled journey failure pages
// on-call or repeats a failing streak that already paged: one page per
// streak, a reminder every ReminderInterval while it stays failing, and
// a page whenever in doubt.
//
// It keeps one store.PageRecord per (environment, journey). For a failure,
// Decide reads it: no record, a record whose page is ReminderInterval old
// or older, a result of the journey in the environment that passed since
// the last failure the record saw (store.History, Since inclusive) in a
// run against the live targets (not a gate's pre-traffic run against the
// test targets; a run it cannot read counts), or any store error, and the
// failure pages; otherwise it is a repeat. Record
// writes what Decide saw: the caller writes it after publishing, so a page
// that was never published is never taken for sent. A failed write is
// logged and changes nothing else; two runs deciding at once may both page
// (a duplicate, never a missed page).
package paging
