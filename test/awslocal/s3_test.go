package awslocal_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/journeygate/journeygate/test/awslocal"
)

func TestS3PutObject(t *testing.T) {
	s := awslocal.StartS3(t)
	s.CreateBucket("reports")
	client := s.Client(func(o *s3.Options) { o.Retryer = retry.NewStandard(noBackoff) })
	page := []byte("<!DOCTYPE html><title>x</title>")
	tests := []struct {
		name     string
		in       s3.PutObjectInput
		wantCode string // "" = stored
	}{
		{name: "bytes with metadata", in: s3.PutObjectInput{
			Bucket: aws.String("reports"), Key: aws.String("reports/staging/run-1.html"), Body: bytes.NewReader(page),
			ContentType: aws.String("text/html; charset=utf-8"), CacheControl: aws.String("no-cache"),
			Metadata: map[string]string{"verdict": "Failed"},
		}},
		{name: "CRC32 checksum", in: s3.PutObjectInput{
			Bucket: aws.String("reports"), Key: aws.String("reports/staging/run 2+ü.html"), Body: bytes.NewReader(page),
			ChecksumAlgorithm: s3types.ChecksumAlgorithmCrc32,
		}},
		{name: "a stream of unknown length", in: s3.PutObjectInput{
			Bucket: aws.String("reports"), Key: aws.String("reports/staging/run-3.html"), Body: io.MultiReader(bytes.NewReader(page)),
			ContentLength: aws.Int64(int64(len(page))),
		}},
		{name: "unknown bucket", in: s3.PutObjectInput{Bucket: aws.String("nope"), Key: aws.String("k"), Body: bytes.NewReader(page)}, wantCode: "NoSuchBucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*s3.Options)
			if _, seekable := tt.in.Body.(io.Seeker); !seekable {
				// A stream cannot be hashed up front: it is sent with
				// an unsigned payload.
				opts = append(opts, s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware))
			}
			out, err := client.PutObject(ctx(t), &tt.in, opts...)
			if tt.wantCode != "" {
				var ae smithy.APIError
				if !errors.As(err, &ae) || ae.ErrorCode() != tt.wantCode {
					t.Fatalf("err = %v, want %s", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			obj, ok := s.Object("reports", aws.ToString(tt.in.Key))
			if !ok || !bytes.Equal(obj.Body, page) || aws.ToString(out.ETag) != obj.ETag || obj.ETag == "" {
				t.Fatalf("stored %+v (%t), ETag %q", obj, ok, aws.ToString(out.ETag))
			}
			if want := aws.ToString(tt.in.ContentType); want != "" && obj.ContentType != want {
				t.Errorf("content type %q, want %q", obj.ContentType, want)
			}
			for k, v := range tt.in.Metadata {
				if obj.Metadata[k] != v {
					t.Errorf("metadata %v, want %s=%s", obj.Metadata, k, v)
				}
			}
			if tt.in.CacheControl != nil && obj.CacheControl != "no-cache" {
				t.Errorf("cache control %q", obj.CacheControl)
			}
		})
	}
	if keys := s.Keys("reports"); len(keys) != 3 {
		t.Errorf("keys %v, want the three stored", keys)
	}
	reqs := s.Requests()
	if len(reqs) != 4 || reqs[3].ErrorCode != "NoSuchBucket" || !strings.Contains(string(reqs[0].Body), `"key":"reports/staging/run-1.html"`) {
		t.Errorf("requests %+v", reqs)
	}
}

// TestS3Faults: SlowDown is a throttle the SDK's standard retryer retries;
// AccessDenied is not retried.
func TestS3Faults(t *testing.T) {
	s := awslocal.StartS3(t)
	s.CreateBucket("reports")
	client := s.Client(func(o *s3.Options) { o.Retryer = retry.NewStandard(noBackoff) })
	put := func() error {
		_, err := client.PutObject(ctx(t), &s3.PutObjectInput{Bucket: aws.String("reports"), Key: aws.String("k"), Body: strings.NewReader("x")})
		return err
	}
	s.ThrottleNext(2)
	if err := put(); err != nil {
		t.Fatalf("after two SlowDowns: %v", err)
	}
	s.FailNext(1, "AccessDenied", "Access Denied")
	var ae smithy.APIError
	if err := put(); !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Fatalf("err = %v, want AccessDenied", err)
	}
	var codes []string
	for _, r := range s.Requests() {
		codes = append(codes, r.ErrorCode)
	}
	if strings.Join(codes, ",") != "SlowDown,SlowDown,,AccessDenied" {
		t.Errorf("answers %v, want two SlowDowns retried, a success, one AccessDenied not retried", codes)
	}
	if len(s.Puts()) != 1 {
		t.Errorf("puts %d, want 1", len(s.Puts()))
	}
}
