package dynamo_test

import (
	"testing"

	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/internal/store/dynamo"
	"github.com/journeygate/journeygate/internal/store/storetest"
	"github.com/journeygate/journeygate/test/dynalite"
)

// The conformance suite (package storetest) against the DynamoDB store on
// dynalite, a fresh table per case; the embedded store runs the same.

func TestConformance(t *testing.T) {
	client := dynalite.Start(t).Client()
	storetest.Run(t, func(t *testing.T) store.Store {
		return dynamo.New(client, newTable(t, client))
	})
}

func TestDeliveriesConformance(t *testing.T) {
	client := dynalite.Start(t).Client()
	storetest.RunDeliveries(t, func(t *testing.T) store.DeliveryStore { return dynamo.New(client, newTable(t, client)) })
}

func TestLeasesConformance(t *testing.T) {
	client := dynalite.Start(t).Client()
	rounds := 20
	if testing.Short() {
		rounds = 3
	}
	storetest.RunLeases(t, rounds, func(t *testing.T) store.LeaseStore { return dynamo.New(client, newTable(t, client)) })
}

func TestPoliciesConformance(t *testing.T) {
	client := dynalite.Start(t).Client()
	storetest.RunPolicies(t, func(t *testing.T) storetest.PolicyStore { return dynamo.New(client, newTable(t, client)) })
}

func TestPagesConformance(t *testing.T) {
	client := dynalite.Start(t).Client()
	storetest.RunPages(t, func(t *testing.T) store.PageStore { return dynamo.New(client, newTable(t, client)) })
}
