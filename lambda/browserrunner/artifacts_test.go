package browserrunner

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

type fakeS3 struct {
	in   *s3.PutObjectInput
	body string
	err  error
}

func (f *fakeS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.in = in
	b, _ := io.ReadAll(in.Body)
	f.body = string(b)
	return &s3.PutObjectOutput{}, f.err
}

// TestS3Artifacts: a screenshot goes to the reports bucket under the run,
// beside its report, and its location is the object's s3:// URL.
func TestS3Artifacts(t *testing.T) {
	api := &fakeS3{}
	a := S3Artifacts{API: api, Bucket: "reports-bucket", Prefix: "reports/staging/"}
	loc, err := a.Put(context.Background(), "cd-d-1", "silence-through-ui-1-2.png", "image/png", []byte("PNG"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "s3://reports-bucket/reports/staging/cd-d-1/silence-through-ui-1-2.png"; loc != want {
		t.Errorf("location %q, want %q", loc, want)
	}
	if aws.ToString(api.in.Bucket) != "reports-bucket" || aws.ToString(api.in.Key) != "reports/staging/cd-d-1/silence-through-ui-1-2.png" ||
		aws.ToString(api.in.ContentType) != "image/png" || api.body != "PNG" {
		t.Errorf("PutObject %+v body %q", api.in, api.body)
	}
	api.err = errors.New("AccessDenied")
	if _, err := a.Put(context.Background(), "cd-d-1", "x.png", "image/png", nil); err == nil || !strings.Contains(err.Error(), "s3://reports-bucket/reports/staging/cd-d-1/x.png: AccessDenied") {
		t.Errorf("err = %v, want the object and the cause", err)
	}
}
