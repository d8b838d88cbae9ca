package dynamo

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// A loopback endpoint's client drops idle connections before a local
// stand-in closes them (issue 20 item 6): the same short idle timeout the
// tests' own dynalite client needed.
func TestLocalEndpointDropsIdleConnectionsEarly(t *testing.T) {
	d, err := Open(t.Context(), Spec{Table: "t", Endpoint: "http://127.0.0.1:8000"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	client, ok := d.api.(*dynamodb.Client)
	if !ok {
		t.Fatalf("api is %T", d.api)
	}
	hc, ok := client.Options().HTTPClient.(*http.Client)
	if !ok {
		t.Fatalf("HTTP client is %T, want an *http.Client with a transport of its own", client.Options().HTTPClient)
	}
	tr, ok := hc.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport is %T, want an *http.Transport", hc.Transport)
	}
	if tr.IdleConnTimeout != LocalIdleTimeout {
		t.Errorf("idle timeout %v, want %v", tr.IdleConnTimeout, LocalIdleTimeout)
	}
}
