package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	gatefn "github.com/journeygate/journeygate/functions/gate/handler"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/reporter"
	"github.com/journeygate/journeygate/shared/trigger"
	"github.com/journeygate/journeygate/test/awslocal"
)

const (
	reportBucket = "journeygate-staging-reports"
	pipelineJob  = "c0d5e8b2-4a7f-4e0b-9d41-6f1b2c3d4e5f"
)

// reportWorld is a gate over the embedded store reporting to the local
// CodePipeline endpoint and writing HTML reports to the local S3 endpoint,
// both through the real SDK clients, with its JSON log kept.
type reportWorld struct {
	*fixture
	s3   *awslocal.S3
	cp   *awslocal.CodePipeline
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// logLines returns the log records whose msg is msg.
func (w *reportWorld) logLines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(w.logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func newReportWorld(t *testing.T, s3api gatefn.S3API) *reportWorld {
	t.Helper()
	w := &reportWorld{fixture: newFixture(t), s3: awslocal.StartS3(t), cp: awslocal.StartCodePipeline(t), logs: &syncBuffer{}}
	w.s3.CreateBucket(reportBucket)
	w.cp.AddJob(pipelineJob, awslocal.Job{Pipeline: "alertmanager", Stage: "staging", Action: "journeys"})
	if s3api == nil {
		s3api = w.s3.Client(func(o *s3.Options) {
			o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = 1 })
		})
	}
	w.opts = append(w.opts,
		gatefn.WithHTMLReports(s3api, reportBucket, "eu-west-1"),
		gatefn.WithLogger(slog.New(slog.NewJSONHandler(w.logs, nil))),
	)
	return w
}

// invoke runs the gate with the local CodePipeline client.
func (w *reportWorld) invoke(t *testing.T, ctx context.Context, req flow.GateRequest) (flow.GateResponse, error) {
	t.Helper()
	opts := append([]gatefn.Option{gatefn.WithEvents(w.events, "journeygate-bus")}, w.opts...)
	h, err := gatefn.New(w.store, w.cd, w.cp.Client(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lambda.NewHandler(h.Handle).Invoke(ctx, encode(t, req))
	if err != nil {
		return flow.GateResponse{}, err
	}
	var resp flow.GateResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	return resp, nil
}

// pipelineRequest is the sample gate request as a CodePipeline run whose
// second journey failed at its second step.
func (w *reportWorld) pipelineRequest(t *testing.T) flow.GateRequest {
	t.Helper()
	req := decodeEvent(t, "gate-decide.json")
	req.Input.RunID = "cp-" + pipelineJob
	req.Input.Trigger = trigger.Trigger{Type: trigger.CodePipeline, JobID: pipelineJob}
	w.record(t, req, passed(req.Input.RunID, "alert-to-notification"), failedAtStep2(req.Input.RunID, "resolve-lifecycle"))
	return req
}

// TestHTMLReportForCodePipeline: the gate writes the run's HTML report to
// the stack's bucket and logs where: the s3:// URI and console link the
// hook's CodePipeline failure message carries (reporter.LocationOf).
func TestHTMLReportForCodePipeline(t *testing.T) {
	w := newReportWorld(t, nil)
	req := w.pipelineRequest(t)
	resp, err := w.invoke(t, context.Background(), req)
	if err != nil || resp.Status != "Failed" {
		t.Fatalf("gate: %+v, %v", resp, err)
	}
	key := "reports/staging/cp-" + pipelineJob + ".html"
	obj, ok := w.s3.Object(reportBucket, key)
	if !ok {
		t.Fatalf("no report at s3://%s/%s; stored: %v", reportBucket, key, w.s3.Keys(reportBucket))
	}
	page := string(obj.Body)
	for _, want := range []string{
		`<span class="status-label">FAILED</span>`,
		`<a href="#journey-resolve-lifecycle">resolve-lifecycle</a><span class="where">step 2/2 (notification delivered)</span>`,
		`<span class="badge failed">FAILED</span><span class="timing">1s of SLA 10s</span>`,
		`<dt>trigger</dt><dd>codepipeline</dd>`, `<dt>deployment</dt><dd><code>` + pipelineJob + `</code></dd>`,
		`<figcaption><span class="rate">0.0%</span> success · 1 run within 7d`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %s", want)
		}
	}
	if obj.ContentType != "text/html; charset=utf-8" || obj.Metadata["verdict"] != "Failed" {
		t.Errorf("object content type %q, metadata %v", obj.ContentType, obj.Metadata)
	}
	uri := "s3://" + reportBucket + "/" + key
	console := "https://eu-west-1.console.aws.amazon.com/s3/object/" + reportBucket + "?region=eu-west-1&prefix=reports%2Fstaging%2Fcp-" + pipelineJob + ".html"
	if reports := w.cp.Reports(); len(reports) != 0 {
		t.Errorf("CodePipeline results %+v: the hook answers the job, not the gate", reports)
	}
	// The hook's failure message names the same place (reporter.ReportKey).
	if loc := reporter.LocationOf(reportBucket, "eu-west-1", reporter.ReportKey("staging", req.Input.RunID)); loc.URI != uri || loc.ConsoleURL != console {
		t.Errorf("reporter locates the report at %+v, the gate wrote it at %s", loc, uri)
	}
	logged := w.logLines(t, "html report written")
	if len(logged) != 1 || logged[0]["report"] != uri || logged[0]["reportConsoleUrl"] != console || logged[0]["run"] != req.Input.RunID {
		t.Errorf("log %v, want one 'html report written' line with the location", logged)
	}
}

// TestHTMLReportForCodeDeploy: a CodeDeploy run's report is written too,
// after the one report CodeDeploy gets.
func TestHTMLReportForCodeDeploy(t *testing.T) {
	w := newReportWorld(t, nil)
	req := decodeEvent(t, "gate-decide.json")
	w.record(t, req, passed(req.Input.RunID, "alert-to-notification"), passed(req.Input.RunID, "resolve-lifecycle"))
	resp, err := w.invoke(t, context.Background(), req)
	if err != nil || resp.Status != "Succeeded" || !slices.Equal(w.cd.accepted, []string{"d-7GW8E5HQ2:Succeeded"}) {
		t.Fatalf("gate: %+v, %v; CodeDeploy %v", resp, err, w.cd.accepted)
	}
	obj, ok := w.s3.Object(reportBucket, "reports/staging/"+req.Input.RunID+".html")
	if !ok || !strings.Contains(string(obj.Body), `<span class="status-label">SUCCEEDED</span>`) {
		t.Fatalf("report %v: %.200s", ok, obj.Body)
	}
}

// hangingS3 never answers until the request's context ends; panicking
// S3 panics.
type hangingS3 struct{ calls int }

func (h *hangingS3) PutObject(ctx context.Context, _ *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	h.calls++
	<-ctx.Done()
	return nil, ctx.Err()
}

type panickingS3 struct{}

func (panickingS3) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	panic("s3 client exploded")
}

// TestHTMLReportFailureKeepsTheVerdict: a report that cannot be written
// (S3 denies it, never answers, or the client panics) is logged; the
// verdict is reported all the same.
func TestHTMLReportFailureKeepsTheVerdict(t *testing.T) {
	tests := []struct {
		name    string
		s3      func(w *reportWorld) gatefn.S3API // nil: the local endpoint
		prepare func(w *reportWorld)
		timeout time.Duration
		wantLog string
	}{
		{"access denied", nil, func(w *reportWorld) { w.s3.FailNext(1, "AccessDenied", "Access Denied") }, 0, "AccessDenied"},
		{"no such bucket", nil, func(w *reportWorld) {}, 0, "NoSuchBucket"},
		{"never answers", func(*reportWorld) gatefn.S3API { return &hangingS3{} }, nil, 6 * time.Second, "context deadline exceeded"},
		{"client panics", func(*reportWorld) gatefn.S3API { return panickingS3{} }, nil, 0, "s3 client exploded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var api gatefn.S3API
			if tt.s3 != nil {
				api = tt.s3(nil)
			}
			w := newReportWorld(t, api)
			if tt.name == "no such bucket" {
				w.opts = append(w.opts, gatefn.WithHTMLReports(w.s3.Client(), "deleted-bucket", ""))
			}
			if tt.prepare != nil {
				tt.prepare(w)
			}
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			req := decodeEvent(t, "gate-decide.json")
			w.record(t, req, passed(req.Input.RunID, "alert-to-notification"), failedAtStep2(req.Input.RunID, "resolve-lifecycle"))
			start := time.Now()
			resp, err := w.invoke(t, ctx, req)
			if err != nil || resp.Status != "Failed" {
				t.Fatalf("gate: %+v, %v", resp, err)
			}
			if tt.timeout > 0 && time.Since(start) > tt.timeout-time.Second {
				t.Errorf("the gate took %s of a %s invocation", time.Since(start), tt.timeout)
			}
			if !slices.Equal(w.cd.accepted, []string{"d-7GW8E5HQ2:Failed"}) {
				t.Errorf("CodeDeploy accepted %v, want the one Failed", w.cd.accepted)
			}
			logged := w.logLines(t, "html report not written; the verdict is reported without it")
			if len(logged) != 1 || !strings.Contains(logged[0]["err"].(string), tt.wantLog) {
				t.Errorf("log %v, want the report's failure (%s)", logged, tt.wantLog)
			}
		})
	}
}
