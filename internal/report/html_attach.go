package report

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/journeygate/journeygate/shared/journey"
)

// The HTML report embeds image attachments (a browser step's screenshot)
// as data: URIs, so the page stays one self-contained file, within these
// bounds; an attachment past them is shown by its location instead.
const (
	// MaxEmbeddedAttachment bounds one embedded attachment, in bytes.
	MaxEmbeddedAttachment = 2 << 20
	// MaxEmbeddedPerPage bounds all of a page's embedded attachments.
	MaxEmbeddedPerPage = 12 << 20
)

// embeddable are the attachment types the page shows as images.
var embeddable = map[string]bool{"image/png": true, "image/jpeg": true}

// pageShot is an image attachment of a step, shown beside it.
type pageShot struct {
	Label, Location, ContentType string
	// Src is the image as a data: URI; "" when it is not embedded, Note
	// then says why.
	Src, Note string
}

// shotsOf returns the step's image attachments, not read yet.
func shotsOf(ev []journey.Evidence) []pageShot {
	var out []pageShot
	for _, e := range ev {
		if e.Attachment != "" && embeddable[e.ContentType] {
			out = append(out, pageShot{Label: e.Label, Location: e.Attachment, ContentType: e.ContentType})
		}
	}
	return out
}

// ReadLocalAttachment reads an attachment kept as a local file (what
// `journeygate run` keeps), at most limit bytes; a location that is a URL
// (s3://...) is not read.
func ReadLocalAttachment(location string, limit int64) ([]byte, error) {
	if strings.Contains(location, "://") {
		return nil, errors.New("not a local file")
	}
	f, err := os.Open(location)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d KiB", limit>>10)
	}
	return b, nil
}

// embedShots reads the page's image attachments into data: URIs within
// the bounds, the latest attempts' failing steps first; what cannot be
// read keeps its location and a note why.
func embedShots(journeys []pageJourney, read func(string, int64) ([]byte, error)) {
	if read == nil {
		read = ReadLocalAttachment
	}
	var failing, rest []*pageShot
	add := func(a *pageAttempt, latest bool) {
		for i := range a.Steps {
			s := &a.Steps[i]
			for k := range s.Shots {
				if latest && s.Failing {
					failing = append(failing, &s.Shots[k])
				} else {
					rest = append(rest, &s.Shots[k])
				}
			}
		}
	}
	for i := range journeys {
		if journeys[i].Latest != nil {
			add(journeys[i].Latest, true)
		}
		for k := range journeys[i].Earlier {
			add(&journeys[i].Earlier[k], false)
		}
	}
	left := int64(MaxEmbeddedPerPage)
	for _, sh := range append(failing, rest...) {
		limit := min(int64(MaxEmbeddedAttachment), left)
		if limit <= 0 {
			sh.Note = fmt.Sprintf("not embedded: the page already embeds %d MiB of attachments", MaxEmbeddedPerPage>>20)
			continue
		}
		b, err := read(sh.Location, limit)
		if err != nil {
			sh.Note = "not embedded: " + err.Error()
			continue
		}
		// Only what really is the image its type claims goes into an img.
		if got := http.DetectContentType(b); got != sh.ContentType {
			sh.Note = fmt.Sprintf("not embedded: the file holds %s, not %s", got, sh.ContentType)
			continue
		}
		left -= int64(len(b))
		sh.Src = "data:" + sh.ContentType + ";base64," + base64.StdEncoding.EncodeToString(b)
	}
}

// writeShots writes a step's image attachments: each image with its label
// and location, or, when not embedded, where it is and why.
func (w *htmlWriter) writeShots(shots []pageShot) {
	for _, sh := range shots {
		if sh.Src == "" {
			w.raw("<p class=\"attachment\">")
			w.text(sh.Label + ": ")
			w.elem("code", "", sh.Location)
			w.text(" (" + sh.Note + ")")
			w.raw("</p>\n")
			continue
		}
		w.raw("<figure class=\"shot\"><img")
		w.attr("src", sh.Src)
		w.attr("alt", sh.Label)
		w.raw(" loading=\"eager\"><figcaption>")
		w.text(sh.Label + " · ")
		w.elem("code", "", sh.Location)
		w.raw("</figcaption></figure>\n")
	}
}
