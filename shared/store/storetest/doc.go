// Package storetest is the conformance suite every store.Store
// implementation must pass: call Run from the implementation's tests with a
// function that opens a fresh, empty store.
package storetest
