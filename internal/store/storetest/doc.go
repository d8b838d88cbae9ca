// Package storetest is the conformance suite every store backend must
// pass, so the embedded and the DynamoDB stores never disagree. Each
// backend's tests call Run (store.Store), RunDeliveries, RunDeliveryExpiry,
// RunLeases, RunPolicies and RunPages with a function that opens a fresh, empty
// store of that backend.
package storetest
