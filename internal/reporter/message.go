package reporter

import (
	"net/url"

	"github.com/journeygate/journeygate/internal/display"
	"github.com/journeygate/journeygate/internal/flow"
	"github.com/journeygate/journeygate/internal/gate"
)

// ReportKey is the S3 key of a run's HTML report.
func ReportKey(environment, runID string) string {
	if environment == "" {
		environment = "unknown"
	}
	return "reports/" + environment + "/" + runID + ".html"
}

// Location is where a run's HTML report is: its s3:// URI and, when the
// region is known, the S3 console page of the object.
type Location struct {
	URI        string
	ConsoleURL string
}

// LocationOf is the location of the report at key in bucket.
func LocationOf(bucket, region, key string) Location {
	loc := Location{URI: "s3://" + bucket + "/" + key}
	if region != "" {
		loc.ConsoleURL = "https://" + region + ".console.aws.amazon.com/s3/object/" + url.PathEscape(bucket) +
			"?region=" + url.QueryEscape(region) + "&prefix=" + url.QueryEscape(key)
	}
	return loc
}

// String is the location as the CodePipeline message shows it.
func (l Location) String() string {
	if l.ConsoleURL == "" {
		return l.URI
	}
	return l.URI + " (" + l.ConsoleURL + ")"
}

// PipelineMessage is the failure message CodePipeline shows: the run, the
// command that shows it with its evidence and the HTML report's location
// when there is one (first, so no cut loses them), then the verdict's
// explanation (journey, step, outcome, timing, message), its middle cut
// to MaxPipelineMessage characters (the start and the notes at the end
// survive).
func PipelineMessage(runID string, v gate.Verdict, loc *Location) string {
	where := "evidence: " + flow.InspectCommand(runID)
	if loc != nil {
		where += "; report: " + loc.String()
	}
	return display.Cut("journeygate run "+runID+" ("+where+"): "+v.Explain(), MaxPipelineMessage)
}
