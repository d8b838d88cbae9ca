package report

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeygate/journeygate/internal/secrets"
	"github.com/journeygate/journeygate/shared/journey"
)

// testPNG writes a small real PNG into dir and returns its path and bytes.
func testPNG(t *testing.T, dir, name string) (string, []byte) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 6))
	for x := range 8 {
		img.Set(x, x%6, color.RGBA{R: 200, A: 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, b.Bytes()
}

// withShot returns the fixture with attachments as evidence of its
// breaching step (step 3/3 of alert-to-notification).
func withShot(ev ...journey.Evidence) Run {
	r := fixture()
	r.Results[0].Steps[2].Evidence = append(r.Results[0].Steps[2].Evidence, ev...)
	return r
}

// The failing step's screenshot is shown beside it, embedded as a data:
// URI, with its label and location; the evidence names the location too.
func TestHTMLEmbedsTheFailingStepsScreenshot(t *testing.T) {
	path, data := testPNG(t, t.TempDir(), "alert-to-notification-1-3.png")
	r := withShot(journey.Evidence{Label: "screenshot", Detail: "page http://am/#/alerts, title Alertmanager", Attachment: path, ContentType: "image/png"})
	out := renderHTML(t, r, HTMLOptions{})

	li := stepMarkup(t, out, "journey-alert-to-notification", "notification delivered")
	want := `<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(data) + `" alt="screenshot"`
	if !strings.Contains(li, `<figure class="shot">`+want) {
		t.Errorf("the failing step does not show the screenshot as %q...:\n%s", want[:60], li)
	}
	if !strings.Contains(li, "<figcaption>screenshot · <code>"+path+"</code></figcaption>") {
		t.Errorf("the screenshot's caption lacks its label and location:\n%s", li)
	}
	// The figure is beside the step, not folded into its evidence.
	if strings.Index(li, `<figure class="shot">`) > strings.Index(li, "<details") {
		t.Error("the screenshot is inside the collapsed evidence; it must be beside the step")
	}
	if !strings.Contains(li, "Attachment (image/png): <code>"+path+"</code>") {
		t.Errorf("the evidence does not name the attachment's location:\n%s", li)
	}
}

// An attachment the page cannot embed is shown by its location, with why.
func TestHTMLShowsUnembeddableAttachmentsByLocation(t *testing.T) {
	dir := t.TempDir()
	notPNG := filepath.Join(dir, "not.png")
	if err := os.WriteFile(notPNG, []byte("<html>not an image</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.png")
	_, small := testPNG(t, dir, "small.png")
	if err := os.WriteFile(big, append(small, make([]byte, MaxEmbeddedAttachment)...), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, location, note string }{
		{"missing file", filepath.Join(dir, "gone.png"), "no such file"},
		{"in the cloud", "s3://reports/runs/r1/a-1-3.png", "not a local file"},
		{"not what it claims", notPNG, "holds text/html"},
		{"too large", big, "larger than 2048 KiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := renderHTML(t, withShot(journey.Evidence{Label: "screenshot", Attachment: tc.location, ContentType: "image/png"}), HTMLOptions{})
			li := stepMarkup(t, out, "journey-alert-to-notification", "notification delivered")
			if strings.Contains(li, "<img") {
				t.Fatalf("embedded an attachment it must not:\n%s", li)
			}
			want := `<p class="attachment">screenshot: <code>` + tc.location + `</code> (not embedded: `
			if !strings.Contains(li, want) || !strings.Contains(li, tc.note) {
				t.Errorf("want %q with %q:\n%s", want, tc.note, li)
			}
		})
	}
}

// The page embeds at most MaxEmbeddedPerPage, the failing step's first.
func TestHTMLBoundsEmbeddedAttachments(t *testing.T) {
	r := fixture()
	var reads []string
	read := func(loc string, limit int64) ([]byte, error) {
		reads = append(reads, loc)
		if limit < MaxEmbeddedAttachment {
			return nil, errors.New("over the page's budget")
		}
		_, b := testPNG(t, t.TempDir(), "x.png")
		return append(b, make([]byte, MaxEmbeddedAttachment-len(b))...), nil
	}
	// A passed step with many screenshots, then the failing step's one.
	for i := range MaxEmbeddedPerPage/MaxEmbeddedAttachment + 2 {
		r.Results[0].Steps[0].Evidence = append(r.Results[0].Steps[0].Evidence,
			journey.Evidence{Label: "shot", Attachment: "passed-" + string(rune('a'+i)), ContentType: "image/png"})
	}
	r.Results[0].Steps[2].Evidence = append(r.Results[0].Steps[2].Evidence,
		journey.Evidence{Label: "screenshot", Attachment: "failing", ContentType: "image/png"})
	out := renderHTML(t, r, HTMLOptions{ReadAttachment: read})
	if len(reads) == 0 || reads[0] != "failing" {
		t.Errorf("read %v: the failing step's attachment must come first", reads)
	}
	if n := strings.Count(out, "<img src=\"data:"); n != MaxEmbeddedPerPage/MaxEmbeddedAttachment {
		t.Errorf("%d images embedded, want %d (MaxEmbeddedPerPage)", n, MaxEmbeddedPerPage/MaxEmbeddedAttachment)
	}
	if !strings.Contains(out, "not embedded: the page already embeds 12 MiB of attachments") {
		t.Error("the attachments past the page's bound do not say why they are not embedded")
	}
}

// Redaction keeps the attachment (its location redacted like any text).
func TestHTMLRedactionKeepsAttachments(t *testing.T) {
	const secret = "tenant-secret-4711"
	path, _ := testPNG(t, t.TempDir(), "shot.png")
	r := withShot(journey.Evidence{Label: "screenshot", Attachment: path, ContentType: "image/png"},
		journey.Evidence{Label: "trace", Attachment: "s3://bucket/" + secret + "/trace.zip", ContentType: "application/zip"})
	out := renderHTML(t, r, HTMLOptions{Redactor: secrets.NewRedactor(secret)})
	if !strings.Contains(out, `<img src="data:image/png;base64,`) {
		t.Error("a redacted page lost the screenshot")
	}
	if strings.Contains(out, secret) || !strings.Contains(out, "s3://bucket/"+secrets.Redacted+"/trace.zip") {
		t.Error("the attachment's location is not redacted")
	}
}

// stepMarkup returns the markup of the latest attempt's step named name in
// the journey's section.
func stepMarkup(t *testing.T, page, section, name string) string {
	t.Helper()
	i := strings.Index(page, `id="`+section+`"`)
	if i < 0 {
		t.Fatalf("no section %s", section)
	}
	page = page[i:]
	j := strings.Index(page, " "+name+"</div>")
	if j < 0 {
		t.Fatalf("no step %q in %s", name, section)
	}
	start := strings.LastIndex(page[:j], "<li")
	end := strings.Index(page[j:], "</li>")
	return page[start : j+end]
}
