package handler

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
	"github.com/journeygate/journeygate/internal/report"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/internal/store"
	"github.com/journeygate/journeygate/shared/trigger"
)

// S3API is the part of the S3 client the gate uses to store HTML reports.
type S3API interface {
	// PutObject stores one object.
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ S3API = (*s3.Client)(nil)

// HTMLReportTimeout bounds writing a run's HTML report (reading the
// journeys' history and the upload). For a CodePipeline run, whose
// failure message carries the report's location, it is written before the
// verdict is reported, in the time the store reads get, never out of
// ReportReserve; for the others, after the verdict is reported. Either
// way htmlReportMargin of the invocation is left unused.
const HTMLReportTimeout = 10 * time.Second

// htmlReportMargin is the part of the invocation's time the HTML report
// never uses, so the gate returns before its timeout.
const htmlReportMargin = 2 * time.Second

// htmlReports writes each decided run's HTML report to S3.
type htmlReports struct {
	api    S3API
	bucket string
	region string
}

// WithHTMLReports writes every decided run's HTML report (report.WriteHTML,
// with each journey's history from the store) to bucket through api,
// under reporter.ReportKey and logs where (a CodePipeline failure message,
// which the hook sends, carries its location). region, when set, adds an S3 console link. A report
// that cannot be written is logged; the verdict and its reporting never
// depend on it.
func WithHTMLReports(api S3API, bucket, region string) Option {
	return func(h *Handler) {
		if api != nil && bucket != "" {
			h.html = &htmlReports{api: api, bucket: bucket, region: region}
		}
	}
}

// writeHTMLReport renders the run's HTML report with the verdict being
// reported and uploads it, within HTMLReportTimeout of ctx. It returns the
// location, or nil when no report is configured or it was not written
// (which is logged, never returned: the verdict stands either way).
func (h *Handler) writeHTMLReport(ctx context.Context, in flow.Input, v gate.Verdict, log *slog.Logger) *reporter.Location {
	if h.html == nil {
		return nil
	}
	if err := trigger.ValidateRunID(in.RunID); err != nil {
		log.Warn("html report not written: the run ID is not valid", "err", err)
		return nil
	}
	timeout := HTMLReportTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl)-htmlReportMargin)
	}
	if timeout <= 0 {
		log.Warn("html report not written: no time left in the invocation")
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	key := reporter.ReportKey(in.Environment, in.RunID)
	loc, err := h.html.safeWrite(ctx, h.store, in, v, key, log)
	if err != nil {
		log.Warn("html report not written; the verdict is reported without it", "bucket", h.html.bucket, "key", key, "err", err)
		return nil
	}
	log.Info("html report written", "report", loc.URI, "reportConsoleUrl", loc.ConsoleURL, "bucket", h.html.bucket, "key", key)
	return loc
}

// safeWrite is write with a panic (a renderer's, a client's) turned into
// an error: the report is never why a verdict goes unreported.
func (r *htmlReports) safeWrite(ctx context.Context, st store.Store, in flow.Input, v gate.Verdict, key string, log *slog.Logger) (loc *reporter.Location, err error) {
	defer func() {
		if p := recover(); p != nil {
			loc, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return r.write(ctx, st, in, v, key, log)
}

// write renders the report of in's run with v, reading the run and the
// history from st, and stores it at key.
func (r *htmlReports) write(ctx context.Context, st store.Store, in flow.Input, v gate.Verdict, key string, log *slog.Logger) (*reporter.Location, error) {
	run := report.Run{RunID: in.RunID, Environment: in.Environment, Verdict: v}
	rec, results, err := store.LoadRun(ctx, st, in.RunID)
	if err != nil {
		log.Warn("html report without the run's results: the store cannot be read", "err", err)
	} else {
		run.StartedAt, run.Results = rec.StartedAt, results
		if rec.Environment != "" {
			run.Environment = rec.Environment
		}
		if !rec.FinishedAt.IsZero() {
			run.Elapsed = rec.FinishedAt.Sub(rec.StartedAt)
		}
	}
	opts := report.HTMLOptions{Trigger: string(in.Trigger.Type), Deployment: in.Trigger.Deployment(), Generated: time.Now()}
	if err == nil {
		hist, herr := report.LoadHistory(ctx, st, run, report.DefaultHistoryWindow, report.DefaultHistoryRuns)
		if herr != nil {
			log.Warn("html report without history", "err", herr)
		}
		opts.History = hist
	}
	var page bytes.Buffer
	if err := report.WriteHTML(&page, run, opts); err != nil {
		return nil, err
	}
	_, err = r.api.PutObject(ctx, &s3.PutObjectInput{
		Bucket:       aws.String(r.bucket),
		Key:          aws.String(key),
		Body:         bytes.NewReader(page.Bytes()),
		ContentType:  aws.String("text/html; charset=utf-8"),
		CacheControl: aws.String("no-cache"),
		Metadata:     map[string]string{"run": in.RunID, "verdict": string(v.Status)},
	})
	if err != nil {
		return nil, fmt.Errorf("uploading s3://%s/%s: %w", r.bucket, key, err)
	}
	loc := reporter.LocationOf(r.bucket, r.region, key)
	return &loc, nil
}
