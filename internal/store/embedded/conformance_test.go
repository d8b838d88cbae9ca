package embedded_test

import (
	"testing"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/storetest"
)

// The conformance suite (package storetest) against the embedded store, a
// fresh file per case; the DynamoDB store runs the same.

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestDeliveriesConformance(t *testing.T) {
	storetest.RunDeliveries(t, func(t *testing.T) store.DeliveryStore { return openTemp(t) })
}

func TestLeasesConformance(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 3
	}
	storetest.RunLeases(t, rounds, func(t *testing.T) store.LeaseStore { return openTemp(t) })
}

func TestPoliciesConformance(t *testing.T) {
	storetest.RunPolicies(t, func(t *testing.T) storetest.PolicyStore { return openTemp(t) })
}

func TestPagesConformance(t *testing.T) {
	storetest.RunPages(t, func(t *testing.T) store.PageStore { return openTemp(t) })
}
