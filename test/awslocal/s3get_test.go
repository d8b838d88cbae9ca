package awslocal_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/journeygate/journeygate/test/awslocal"
)

// TestS3GetObject reads back with the real client what PutObject stored,
// and answers NoSuchKey and NoSuchBucket as S3 does.
func TestS3GetObject(t *testing.T) {
	s := awslocal.StartS3(t)
	s.CreateBucket("mail")
	client := s.Client()
	raw := []byte("From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n")
	if _, err := client.PutObject(ctx(t), &s3.PutObjectInput{
		Bucket: aws.String("mail"), Key: aws.String("inbox/0123abc"), Body: bytes.NewReader(raw),
		ContentType: aws.String("message/rfc822"), Metadata: map[string]string{"source": "ses"},
	}); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("mail"), Key: aws.String("inbox/0123abc")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, raw) || aws.ToInt64(out.ContentLength) != int64(len(raw)) || aws.ToString(out.ContentType) != "message/rfc822" ||
		out.Metadata["source"] != "ses" || out.LastModified == nil || aws.ToString(out.ETag) == "" {
		t.Errorf("GetObject = %q, length %d, type %q, metadata %v, modified %v, etag %q",
			got, aws.ToInt64(out.ContentLength), aws.ToString(out.ContentType), out.Metadata, out.LastModified, aws.ToString(out.ETag))
	}

	_, err = client.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("mail"), Key: aws.String("inbox/missing")})
	var nsk *s3types.NoSuchKey
	if !errors.As(err, &nsk) {
		t.Errorf("missing key: err = %v, want NoSuchKey", err)
	}
	_, err = client.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("nope"), Key: aws.String("k")})
	if err == nil {
		t.Error("unknown bucket: no error")
	}
	var ops []string
	for _, r := range s.Requests() {
		ops = append(ops, r.Operation+":"+r.ErrorCode)
	}
	if want := "[PutObject: GetObject: GetObject:NoSuchKey GetObject:NoSuchBucket]"; fmt.Sprint(ops) != want {
		t.Errorf("requests = %s, want %s", fmt.Sprint(ops), want)
	}
}
