package journey

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"strings"
)

// Artifacts keeps a run's binary evidence, such as a browser's screenshots,
// outside its results: a result is stored as one record that cannot hold
// images. Locally it is a directory beside the embedded store; in the cloud
// the run's reports bucket. It must be safe for concurrent use.
type Artifacts interface {
	// Put stores data under name within the run runID and returns where
	// a responder finds it (a file path, an s3:// URL). name is unique
	// within the run (see ArtifactName) and holds only letters, digits,
	// '.', '-' and '_'.
	Put(ctx context.Context, runID, name, contentType string, data []byte) (location string, err error)
}

// ArtifactName is the name of an attempt's artifact: JOURNEY-ATTEMPT-STEP
// (step 1-based), then "-N" for the Nth artifact of the step after the
// first, then the extension of contentType (".png").
func ArtifactName(journey string, attempt, step, n int, contentType string) string {
	name := fmt.Sprintf("%s-%d-%d", safeName(journey), attempt, step)
	if n > 1 {
		name += fmt.Sprintf("-%d", n)
	}
	return name + extension(contentType)
}

func extension(contentType string) string {
	switch contentType {
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "text/html":
		return ".html"
	case "text/plain":
		return ".txt"
	}
	if exts, _ := mime.ExtensionsByType(contentType); len(exts) > 0 {
		return exts[0]
	}
	return ".bin"
}

// safeName keeps letters, digits, '.', '-' and '_', replacing the rest.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// ErrNoArtifacts is why an attachment was not kept when the run has no
// artifact store (Options.Artifacts).
var ErrNoArtifacts = errors.New("the run keeps no artifacts (no artifact store configured)")

// Attach stores data with the run's artifact store (Options.Artifacts) and
// records it as evidence of the current step: labelled label, with detail
// as its text and its location in Evidence.Attachment. Without a store, or
// when storing fails, the evidence says why the attachment was not kept.
// Call it from a step or from a capture registered with OnFailure.
func (t *T) Attach(ctx context.Context, label, detail, contentType string, data []byte) (location string, err error) {
	t.mu.Lock()
	t.attached++
	step, n := t.stepIndex+1, t.attached
	t.mu.Unlock()
	if t.opts.Artifacts == nil {
		err = ErrNoArtifacts
	} else {
		name := ArtifactName(t.journey.Name, t.opts.Attempt, step, n, contentType)
		location, err = t.opts.Artifacts.Put(ctx, t.opts.RunID, name, contentType, data)
	}
	e := Evidence{Label: t.redact(label), Detail: t.excerpt([]byte(detail), t.opts.excerptLimit())}
	if err != nil {
		note := fmt.Sprintf("%s (%d bytes) not kept: %s", contentType, len(data), t.redact(err.Error()))
		if e.Detail != "" {
			note = e.Detail + "\n" + note
		}
		e.Detail = note
	} else {
		e.Attachment, e.ContentType = location, contentType
	}
	t.addEvidence(e)
	return location, err
}
