package awslocal

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// This file serves the Smithy RPC v2 CBOR protocol (smithy.protocols#rpcv2Cbor)
// as aws-sdk-go-v2 clients generated for it speak it (CloudWatch from
// v1.75 on, through smithy-go's transport/http/protocol/rpcv2):
//
//   - POST /service/{ServiceShapeName}/operation/{Operation}, headers
//     Smithy-Protocol: rpc-v2-cbor, Accept: application/cbor, and
//     Content-Type: application/cbor when there is a body; the body is one
//     CBOR map keyed by member name; timestamps are tag 1 (epoch seconds,
//     a float64); an empty input may have no body at all.
//   - Services that were AWS Query services (CloudWatch is one) are
//     "awsQueryCompatible": the client sends X-Amzn-Query-Mode: true, and
//     an error answer then carries X-Amzn-Query-Error: CODE;Sender (or
//     Receiver), CODE being the old Query error code, which the SDK puts
//     in the error's ErrorCode().
//   - Answers: 200 with a CBOR map and Smithy-Protocol: rpc-v2-cbor; an
//     error is a 4xx/5xx whose CBOR body has "__type" (the error shape's
//     full ID, "com.amazonaws.cloudwatch#InvalidNextToken", by which the
//     SDK picks its typed error) and the shape's message member.

// cborError is an error answer of an rpcv2Cbor service.
type cborError struct {
	status int
	// shape is the error shape's full ID, sent as __type.
	shape string
	// queryCode and fault make X-Amzn-Query-Error ("Sender" or "Receiver").
	queryCode string
	fault     string
	// messageKey is the member the message goes in ("message" for most
	// shapes; the shape decides).
	messageKey string
	message    string
}

// cborOperation runs one operation. in is the request's CBOR map rendered
// as JSON (timestamps as RFC 3339 strings), to be unmarshalled into a
// typed struct; the answer is the output shape as a CBOR map.
type cborOperation func(in json.RawMessage) (cbor.Map, *cborError)

// cborEndpoint serves one rpcv2Cbor service on a loopback port.
type cborEndpoint struct {
	service     string // the service shape's name, as in the path
	signingName string // the SigV4 service name in the credential scope
	ops         map[string]cborOperation
	newError    func(code, message string) *cborError
	recorder
}

func startCBOREndpoint(t testing.TB, service, signingName string, newError func(code, message string) *cborError, ops map[string]cborOperation) *cborEndpoint {
	t.Helper()
	e := &cborEndpoint{service: service, signingName: signingName, ops: ops, newError: newError}
	e.srv = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *cborEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	op, known := strings.CutPrefix(r.URL.Path, "/service/"+e.service+"/operation/")
	body, err := io.ReadAll(r.Body)
	req := Request{Operation: op}
	var (
		out  cbor.Map
		aerr *cborError
	)
	e.mu.Lock()
	switch {
	case err != nil:
		aerr = e.newError("SerializationException", err.Error())
	case !known || e.ops[op] == nil:
		aerr = e.newError("UnknownOperationException", "unknown operation "+r.URL.Path)
		aerr.status = http.StatusNotFound
	case r.Method != http.MethodPost:
		aerr = e.newError("UnknownOperationException", "only POST is served")
		aerr.status = http.StatusMethodNotAllowed
	case r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor":
		aerr = e.newError("SerializationException", "Smithy-Protocol must be rpc-v2-cbor, got "+strconv.Quote(r.Header.Get("Smithy-Protocol")))
	case len(body) > 0 && r.Header.Get("Content-Type") != "application/cbor":
		aerr = e.newError("SerializationException", "Content-Type must be application/cbor, got "+strconv.Quote(r.Header.Get("Content-Type")))
	default:
		aerr = e.checkSignature(r.Header.Get("Authorization"))
	}
	if aerr == nil {
		req.Body, aerr = e.decode(body)
	}
	if aerr == nil && len(e.faults) > 0 {
		f := e.faults[0]
		e.faults = e.faults[1:]
		aerr = e.newError(f.code, f.message)
	}
	if aerr == nil {
		out, aerr = e.ops[op](req.Body) // operations run under e.mu: one at a time
	}
	if aerr != nil {
		req.ErrorCode = aerr.queryCode
	}
	e.requests = append(e.requests, req)
	e.seq++
	id := e.seq
	e.mu.Unlock()

	h := w.Header()
	h.Set("X-Amzn-Requestid", "awslocal-"+strconv.Itoa(id))
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("Content-Type", "application/cbor")
	if aerr != nil {
		if r.Header.Get("X-Amzn-Query-Mode") == "true" {
			h.Set("X-Amzn-Query-Error", aerr.queryCode+";"+aerr.fault)
		}
		w.WriteHeader(aerr.status)
		_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(aerr.shape), aerr.messageKey: cbor.String(aerr.message)}))
		return
	}
	if out == nil {
		out = cbor.Map{}
	}
	_, _ = w.Write(cbor.Encode(out))
}

// checkSignature accepts a SigV4 Authorization header whose credential is
// scoped to the local region and the service's signing name.
func (e *cborEndpoint) checkSignature(auth string) *cborError {
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		aerr := e.newError("MissingAuthenticationToken", "Request is missing Authentication Token")
		aerr.status = http.StatusForbidden
		return aerr
	}
	var scope []string
	for part := range strings.SplitSeq(rest, ",") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "Credential="); ok {
			scope = strings.Split(v, "/")
		}
	}
	if len(scope) != 5 || scope[0] != AccessKeyID || scope[2] != Region || scope[3] != e.signingName || scope[4] != "aws4_request" {
		aerr := e.newError("SignatureDoesNotMatch", fmt.Sprintf("Credential should be scoped to %s/DATE/%s/%s/aws4_request, not %q", AccessKeyID, Region, e.signingName, strings.Join(scope, "/")))
		aerr.status = http.StatusForbidden
		return aerr
	}
	return nil
}

// decode turns a request body (a CBOR map, or nothing) into JSON.
func (e *cborEndpoint) decode(body []byte) (json.RawMessage, *cborError) {
	if len(body) == 0 {
		return json.RawMessage("{}"), nil
	}
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, e.newError("SerializationException", "body is not CBOR: "+err.Error())
	}
	if _, ok := v.(cbor.Map); !ok {
		return nil, e.newError("SerializationException", fmt.Sprintf("body is a CBOR %T, not a map", v))
	}
	p, err := plain(v)
	if err != nil {
		return nil, e.newError("SerializationException", err.Error())
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, e.newError("SerializationException", err.Error())
	}
	return raw, nil
}

// plain converts a decoded CBOR value to what encoding/json marshals:
// maps, slices, strings, numbers, booleans, nil, and time.Time for tag 1.
func plain(v cbor.Value) (any, error) {
	switch v := v.(type) {
	case cbor.Uint:
		if v > math.MaxInt64 {
			return nil, fmt.Errorf("integer %d out of range", uint64(v))
		}
		return int64(v), nil
	case cbor.NegInt:
		if v == 0 || v > 1<<63 { // NegInt(n) is -n; NegInt(0) is -2^64
			return nil, fmt.Errorf("negative integer out of range")
		}
		return -int64(v-1) - 1, nil
	case cbor.Float32:
		return float64(v), nil
	case cbor.Float64:
		return float64(v), nil
	case cbor.String:
		return string(v), nil
	case cbor.Slice:
		return []byte(v), nil
	case cbor.Bool:
		return bool(v), nil
	case *cbor.Nil, *cbor.Undefined:
		return nil, nil
	case cbor.List:
		out := make([]any, len(v))
		for i, item := range v {
			p, err := plain(item)
			if err != nil {
				return nil, err
			}
			out[i] = p
		}
		return out, nil
	case cbor.Map:
		out := make(map[string]any, len(v))
		for k, item := range v {
			p, err := plain(item)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = p
		}
		return out, nil
	case *cbor.Tag:
		if v.ID != 1 {
			return nil, fmt.Errorf("unsupported CBOR tag %d", v.ID)
		}
		t, err := cbor.AsTime(v)
		if err != nil {
			return nil, err
		}
		return t.UTC(), nil
	default:
		return nil, fmt.Errorf("unsupported CBOR value %T", v)
	}
}

// cborTime encodes t as a timestamp: tag 1 around epoch seconds with
// millisecond precision, as the services send it.
func cborTime(t time.Time) cbor.Value {
	return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1000)}
}

// cborInt encodes an integer.
func cborInt(i int64) cbor.Value {
	if i < 0 {
		return cbor.NegInt(uint64(-(i + 1)) + 1) // NegInt(n) is -n
	}
	return cbor.Uint(uint64(i))
}
