package dynalite_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/journeygate/journeygate/test/dynalite"
)

func TestStartServesDynamoDB(t *testing.T) {
	s := dynalite.Start(t)
	if !strings.HasPrefix(s.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("Endpoint = %q, want a loopback URL", s.Endpoint)
	}
	c := s.Client()
	_, err := c.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String("probe"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v\n%s", err, s.Output())
	}
	out, err := c.ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("ListTables: %v", err)
	}
	if len(out.TableNames) != 1 || out.TableNames[0] != "probe" {
		t.Errorf("ListTables = %v, want [probe]", out.TableNames)
	}
}

func TestServersAreIndependent(t *testing.T) {
	a, b := dynalite.Start(t), dynalite.Start(t)
	if a.Endpoint == b.Endpoint {
		t.Fatalf("both servers at %s", a.Endpoint)
	}
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String("only-in-a"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
	}
	if _, err := a.Client().CreateTable(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	out, err := b.Client().ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.TableNames) != 0 {
		t.Errorf("second server lists %v, want no tables", out.TableNames)
	}
}

func TestStopEndsServer(t *testing.T) {
	s := dynalite.Start(t)
	c := s.Client()
	if _, err := c.ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables before Stop: %v", err)
	}
	s.Stop()
	s.Stop() // idempotent
	start := time.Now()
	if _, err := c.ListTables(t.Context(), &dynamodb.ListTablesInput{}); err == nil {
		t.Fatal("ListTables after Stop succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a request to a stopped server took %s; the test client should fail fast", d)
	}
	addr := strings.TrimPrefix(s.Endpoint, "http://")
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Stop", addr)
	}
}

// A client that hangs up in the middle of a request (a Go client whose
// context ended) must not end dynalite for everyone else.
func TestAbortedRequestLeavesServerUp(t *testing.T) {
	s := dynalite.Start(t)
	addr := strings.TrimPrefix(s.Endpoint, "http://")
	for range 3 {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		// Promise 1000 bytes, send 2, hang up.
		_, err = conn.Write([]byte("POST / HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/x-amz-json-1.0\r\n" +
			"X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 1000\r\n\r\n{}"))
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Wait until dynalite has handled the three aborts (the guard says so)
	// or died of one, then ask it something.
	deadline := time.Now().Add(10 * time.Second)
	for out := s.Output(); strings.Count(out, "aborted its request") < 3 && !strings.Contains(out, "Error: aborted"); out = s.Output() {
		if time.Now().After(deadline) {
			t.Fatalf("dynalite never handled the aborted requests:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := s.Client().ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("ListTables after aborted requests: %v\n%s", err, s.Output())
	}
}
