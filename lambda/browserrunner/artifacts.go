package browserrunner

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/journeygate/journeygate/shared/journey"
)

// S3API is the part of the S3 client the browser runner keeps artifacts
// (screenshots) with.
type S3API interface {
	// PutObject stores one object.
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ S3API = (*s3.Client)(nil)

// S3Artifacts keeps a run's artifacts in the reports bucket, under
// PREFIX/RUN/NAME (the construct's prefix is reports/ENV/, so a run's
// screenshots sit beside its report, reports/ENV/RUN.html).
type S3Artifacts struct {
	API    S3API
	Bucket string
	Prefix string
}

var _ journey.Artifacts = S3Artifacts{}

// Put stores data as PREFIX/RUN/NAME and returns its s3:// URL.
func (a S3Artifacts) Put(ctx context.Context, runID, name, contentType string, data []byte) (string, error) {
	key := a.Prefix + runID + "/" + name
	_, err := a.API.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(a.Bucket),
		Key:         aws.String(key),
		Body:        bytes.NewReader(data),
		ContentType: aws.String(contentType),
		Metadata:    map[string]string{"run": runID},
	})
	if err != nil {
		return "", fmt.Errorf("uploading s3://%s/%s: %w", a.Bucket, key, err)
	}
	return "s3://" + a.Bucket + "/" + key, nil
}
