package awslocal

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"hash/crc32"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// This file serves S3's REST protocol (restXml) for PutObject and
// GetObject, with path-style addressing, as the aws-sdk-go-v2 S3 client
// speaks it with UsePathStyle and a BaseEndpoint:
//
//   - PUT /{bucket}/{key...}: the body is the object; Content-Type,
//     Cache-Control, Content-Disposition and x-amz-meta-* headers are kept
//     with it. The payload's SHA-256 (x-amz-content-sha256, when not
//     UNSIGNED-PAYLOAD) and any x-amz-checksum-crc32 or Content-MD5 are
//     verified. An aws-chunked body (streaming signatures and trailing
//     checksums, which the SDK uses over TLS only) answers NotImplemented.
//   - GET /{bucket}/{key...}: 200 with the object as body, its
//     Content-Type, Content-Length, ETag, Last-Modified and x-amz-meta-*
//     headers; NoSuchKey (404) when there is no such object (no Range,
//     no conditional requests).
//   - Answers: 200 with an ETag (the MD5 of the object, quoted) and no
//     body; an error is a 4xx/5xx with an XML <Error><Code>…</Code>
//     <Message>…</Message></Error> body, whose Code the SDK puts in the
//     error's ErrorCode() (NoSuchBucket, AccessDenied, SlowDown, ...).

// S3Object is one object PutObject stored.
type S3Object struct {
	Bucket, Key  string
	Body         []byte
	ContentType  string
	CacheControl string
	// Metadata are the x-amz-meta-* headers, by lowercase name.
	Metadata map[string]string
	ETag     string
	// modified is when it was put (GetObject's Last-Modified).
	modified time.Time
}

// S3 is a local S3 endpoint serving PutObject into buckets held in
// memory. A bucket must be made with CreateBucket first: a write to any
// other answers NoSuchBucket (404).
type S3 struct {
	recorder
	buckets map[string]map[string]S3Object
	puts    []S3Object
}

// StartS3 starts the endpoint on a free loopback port, stopped when t
// ends.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	s := &S3{buckets: map[string]map[string]S3Object{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the endpoint's base URL.
func (s *S3) URL() string { return s.srv.URL }

// Config is an aws.Config pointing at the endpoint with dummy credentials.
func (s *S3) Config() aws.Config { return s.awsConfig() }

// Client returns a real S3 client pointed at the endpoint with path-style
// addressing (a loopback address cannot take a bucket as a subdomain).
func (s *S3) Client(optFns ...func(*s3.Options)) *s3.Client {
	return s3.NewFromConfig(s.awsConfig(), append([]func(*s3.Options){func(o *s3.Options) { o.UsePathStyle = true }}, optFns...)...)
}

// CreateBucket makes an empty bucket.
func (s *S3) CreateBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[name] == nil {
		s.buckets[name] = map[string]S3Object{}
	}
}

// Object returns the stored object, if any.
func (s *S3) Object(bucket, key string) (S3Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.buckets[bucket][key]
	return cloneObject(o), ok
}

// Puts returns every accepted PutObject, in order.
func (s *S3) Puts() []S3Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]S3Object, len(s.puts))
	for i, o := range s.puts {
		out[i] = cloneObject(o)
	}
	return out
}

// Requests lists every call received, rejected ones included; Body is
// {"bucket","key","size","contentType"}.
func (s *S3) Requests() []Request { return s.log() }

// ThrottleNext makes the next n calls answer SlowDown (503), S3's
// throttle.
func (s *S3) ThrottleNext(n int) { s.failNext(n, "SlowDown", "Please reduce your request rate.") }

// FailNext makes the next n calls answer the error code (e.g.
// AccessDenied, InternalError).
func (s *S3) FailNext(n int, code, message string) { s.failNext(n, code, message) }

func cloneObject(o S3Object) S3Object {
	o.Body = bytes.Clone(o.Body)
	o.Metadata = maps.Clone(o.Metadata)
	return o
}

// s3Error is an S3 error answer.
type s3Error struct {
	status  int
	code    string
	message string
}

func newS3Error(code, message string) *s3Error {
	status := http.StatusBadRequest
	switch code {
	case "NoSuchBucket", "NoSuchKey":
		status = http.StatusNotFound
	case "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId":
		status = http.StatusForbidden
	case "SlowDown", "ServiceUnavailable":
		status = http.StatusServiceUnavailable
	case "InternalError":
		status = http.StatusInternalServerError
	case "MethodNotAllowed":
		status = http.StatusMethodNotAllowed
	case "NotImplemented":
		status = http.StatusNotImplemented
	}
	return &s3Error{status: status, code: code, message: message}
}

func (s *S3) serve(w http.ResponseWriter, r *http.Request) {
	bucket, key, perr := splitPath(r.URL)
	body, rerr := io.ReadAll(r.Body)
	req := Request{Operation: "PutObject"}
	switch r.Method {
	case http.MethodPut:
	case http.MethodGet:
		req.Operation = "GetObject"
	default:
		req.Operation = r.Method
	}
	var (
		obj  S3Object
		aerr *s3Error
	)
	s.mu.Lock()
	switch {
	case rerr != nil:
		aerr = newS3Error("IncompleteBody", rerr.Error())
	case perr != nil:
		aerr = newS3Error("InvalidURI", perr.Error())
	case r.Method != http.MethodPut && r.Method != http.MethodGet || key == "":
		aerr = newS3Error("MethodNotAllowed", "only PutObject and GetObject (PUT and GET /bucket/key, path-style) are served")
	case !signedForS3(r.Header.Get("Authorization")):
		aerr = newS3Error("AccessDenied", "request is not signed with SigV4 for service s3")
	case len(s.faults) > 0:
		f := s.faults[0]
		s.faults = s.faults[1:]
		aerr = newS3Error(f.code, f.message)
	case r.Method == http.MethodGet:
		obj, aerr = s.getObject(bucket, key)
	default:
		obj, aerr = s.putObject(r, bucket, key, body)
	}
	summary, _ := json.Marshal(map[string]any{"bucket": bucket, "key": key, "size": len(obj.Body), "contentType": r.Header.Get("Content-Type")})
	req.Body = summary
	if aerr != nil {
		req.ErrorCode = aerr.code
	}
	s.requests = append(s.requests, req)
	s.seq++
	id := "awslocal-" + strconv.Itoa(s.seq)
	s.mu.Unlock()

	w.Header().Set("X-Amz-Request-Id", id)
	w.Header().Set("X-Amz-Id-2", base64.StdEncoding.EncodeToString([]byte(id)))
	if aerr != nil {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(aerr.status)
		_, _ = io.WriteString(w, xml.Header)
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName   xml.Name `xml:"Error"`
			Code      string   `xml:"Code"`
			Message   string   `xml:"Message"`
			Bucket    string   `xml:"BucketName,omitempty"`
			RequestID string   `xml:"RequestId"`
		}{Code: aerr.code, Message: aerr.message, Bucket: bucket, RequestID: id})
		return
	}
	w.Header().Set("ETag", obj.ETag)
	if r.Method == http.MethodGet {
		w.Header().Set("Content-Type", obj.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(obj.Body)))
		w.Header().Set("Last-Modified", obj.modified.UTC().Format(http.TimeFormat))
		if obj.CacheControl != "" {
			w.Header().Set("Cache-Control", obj.CacheControl)
		}
		for k, v := range obj.Metadata {
			w.Header().Set("X-Amz-Meta-"+k, v)
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(obj.Body)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// getObject returns one stored object; called with s.mu held.
func (s *S3) getObject(bucket, key string) (S3Object, *s3Error) {
	objects, ok := s.buckets[bucket]
	if !ok {
		return S3Object{}, newS3Error("NoSuchBucket", "The specified bucket does not exist")
	}
	obj, ok := objects[key]
	if !ok {
		return S3Object{}, newS3Error("NoSuchKey", "The specified key does not exist.")
	}
	return cloneObject(obj), nil
}

// splitPath reads /{bucket}/{key...} of a path-style request; the key is
// taken from the escaped path, so a key with an escaped slash is kept.
func splitPath(u *url.URL) (bucket, key string, err error) {
	p := strings.TrimPrefix(u.EscapedPath(), "/")
	b, k, _ := strings.Cut(p, "/")
	if bucket, err = url.PathUnescape(b); err != nil {
		return "", "", err
	}
	if key, err = url.PathUnescape(k); err != nil {
		return "", "", err
	}
	return bucket, key, nil
}

// signedForS3 reports whether an Authorization header is a SigV4
// signature scoped to the s3 service.
func signedForS3(auth string) bool {
	return strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") && strings.Contains(auth, "/s3/aws4_request")
}

// putObject checks and stores one object; called with s.mu held.
func (s *S3) putObject(r *http.Request, bucket, key string, body []byte) (S3Object, *s3Error) {
	objects, ok := s.buckets[bucket]
	if !ok {
		return S3Object{}, newS3Error("NoSuchBucket", "The specified bucket does not exist")
	}
	if len(key) > 1024 {
		return S3Object{}, newS3Error("KeyTooLongError", "Your key is too long")
	}
	payloadHash := r.Header.Get("X-Amz-Content-Sha256")
	if strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") || strings.HasPrefix(payloadHash, "STREAMING-") {
		// The SDK sends aws-chunked bodies (streaming signatures, trailing
		// checksums) over TLS only; refuse rather than store chunk framing.
		return S3Object{}, newS3Error("NotImplemented", "aws-chunked uploads are not served by this stand-in")
	}
	if payloadHash != "" && payloadHash != "UNSIGNED-PAYLOAD" {
		sum := sha256.Sum256(body)
		if hex.EncodeToString(sum[:]) != payloadHash {
			return S3Object{}, newS3Error("XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	}
	if crc := r.Header.Get("X-Amz-Checksum-Crc32"); crc != "" {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], crc32.ChecksumIEEE(body))
		if base64.StdEncoding.EncodeToString(b[:]) != crc {
			return S3Object{}, newS3Error("BadDigest", "The CRC32 you specified did not match the calculated checksum.")
		}
	}
	sum := md5.Sum(body)
	if m := r.Header.Get("Content-Md5"); m != "" && m != base64.StdEncoding.EncodeToString(sum[:]) {
		return S3Object{}, newS3Error("BadDigest", "The Content-MD5 you specified did not match what we received.")
	}
	obj := S3Object{
		Bucket: bucket, Key: key, Body: bytes.Clone(body),
		ContentType: r.Header.Get("Content-Type"), CacheControl: r.Header.Get("Cache-Control"),
		Metadata: map[string]string{}, ETag: `"` + hex.EncodeToString(sum[:]) + `"`,
		modified: time.Now(),
	}
	if obj.ContentType == "" {
		obj.ContentType = "binary/octet-stream"
	}
	for name, v := range r.Header {
		if m, ok := strings.CutPrefix(strings.ToLower(name), "x-amz-meta-"); ok {
			obj.Metadata[m] = strings.Join(v, ",")
		}
	}
	objects[key] = obj
	s.puts = append(s.puts, obj)
	return obj, nil
}

// Keys returns the keys of a bucket's objects, sorted.
func (s *S3) Keys(bucket string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.buckets[bucket]))
}
