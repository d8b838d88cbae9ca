package report

import (
	"bytes"
	_ "embed"
	"html"
	"strconv"
	"strings"
)

// The page is written with a small writer rather than html/template:
// text/template looks methods up by name at run time, which makes the
// linker keep every exported method of every type in the binary, and the
// gate Lambda, which renders this report, would double in size. Every
// piece of text goes through text or attr (html.EscapeString, in double
// quoted attributes); the only markup written raw is this file's own.
// Identifiers (anchor) and numbers (style, SVG geometry) are made here.

//go:embed html.css
var htmlCSS string

// htmlWriter writes markup (raw) and escaped text (text, attr).
type htmlWriter struct{ b bytes.Buffer }

// raw writes trusted markup.
func (w *htmlWriter) raw(parts ...string) {
	for _, p := range parts {
		w.b.WriteString(p)
	}
}

// text writes s escaped as text (see escape).
func (w *htmlWriter) text(s string) { w.b.WriteString(escape(s)) }

// attr writes name="value", value escaped.
func (w *htmlWriter) attr(name, value string) {
	w.b.WriteString(" " + name + `="` + escape(value) + `"`)
}

// escape makes s safe as HTML text or a double-quoted attribute value:
// control characters other than newline, carriage return and tab (which
// HTML does not allow) and bytes of invalid UTF-8 are shown as \xNN, as
// the text summary shows them, then HTML's special characters are
// escaped.
func escape(s string) string {
	return html.EscapeString(termSafe(strings.ReplaceAll(s, "\r\n", "\n")))
}

// elem writes <tag class="class">text</tag>.
func (w *htmlWriter) elem(tag, class, text string) {
	w.raw("<", tag)
	if class != "" {
		w.attr("class", class)
	}
	w.raw(">")
	w.text(text)
	w.raw("</", tag, ">")
}

func (w *htmlWriter) badge(class, label string) { w.elem("span", "badge "+class, label) }

func render(p page) []byte {
	w := &htmlWriter{}
	w.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
		"<meta name=\"color-scheme\" content=\"light\">\n<meta name=\"generator\" content=\"journeygate\">\n<title>")
	w.text(p.StatusLabel + " · journeygate run " + p.RunID)
	w.raw("</title>\n<style>\n", htmlCSS, "</style>\n</head>\n<body>\n")
	renderHeader(w, p)
	w.raw("<main class=\"wrap\">\n")
	renderOverride(w, p.Override)
	renderReasons(w, p.Reasons)
	renderFlakes(w, p.Flakes)
	renderTable(w, p.Journeys)
	w.raw(`<section class="legend" aria-label="Legend">
<span><span class="swatch passed"></span>passed</span>
<span><span class="swatch sla-breach"></span>SLA breach (hatched)</span>
<span><span class="swatch failed"></span>failed (cross-hatched)</span>
<span><span class="swatch error"></span>error (dotted)</span>
<span><span class="swatch budget"></span>SLA window, a line at its end</span>
<span>history: ● passed, ○ flaky, × failed, ▲ SLA breach, ■ error; line: duration</span>
</section>
`)
	if p.History != "" {
		w.elem("p", "muted", p.History)
		w.raw("\n")
	}
	for _, j := range p.Journeys {
		renderJourney(w, j)
	}
	w.raw("</main>\n<footer class=\"wrap\">\n<p>Every attempt with its full evidence: <code>")
	w.text(p.Inspect)
	w.raw("</code>. This page is self-contained: it loads nothing from anywhere.</p>\n</footer>\n</body>\n</html>\n")
	return w.b.Bytes()
}

func renderHeader(w *htmlWriter, p page) {
	w.raw("<header")
	w.attr("class", "verdict "+p.StatusClass)
	w.raw(" id=\"verdict\">\n<div class=\"wrap\">\n<p class=\"status\">")
	w.elem("span", "status-label", p.StatusLabel)
	w.raw(" journeygate run <code>")
	w.text(p.RunID)
	w.raw("</code>")
	if p.Environment != "" {
		w.raw(" in <b>")
		w.text(p.Environment)
		w.raw("</b>")
	}
	w.raw("</p>\n")
	w.elem("h1", "summary", p.Summary)
	w.raw("\n")
	w.elem("p", "counts", p.Counts)
	w.raw("\n<dl class=\"meta\">")
	meta := func(name, value string, code bool) {
		if value == "" {
			return
		}
		w.raw("<div><dt>", name, "</dt><dd>")
		if code {
			w.raw("<code>")
		}
		w.text(value)
		if code {
			w.raw("</code>")
		}
		w.raw("</dd></div>")
	}
	meta("started", p.Started, false)
	meta("took", p.Took, false)
	meta("trigger", p.Trigger, false)
	meta("deployment", p.Deployment, true)
	meta("report made", p.Generated, false)
	w.raw("\n</dl>\n</div>\n</header>\n")
}

func renderOverride(w *htmlWriter, o *pageOverride) {
	if o == nil {
		return
	}
	w.raw("<section class=\"box override\" aria-labelledby=\"override-h\">\n<h2 id=\"override-h\">Overridden</h2>\n<p>by <b>")
	w.text(o.By)
	w.raw("</b> at ")
	w.text(o.At)
	w.raw(", until ")
	w.text(o.Until)
	w.raw(", for deployment <code>")
	w.text(o.Deployment)
	w.raw("</code>: ")
	w.text(o.Reason)
	w.raw("</p>\n<p>The gate said Failed; the reasons it overrode are listed below, still marked blocking.</p>\n</section>\n")
}

func renderReasons(w *htmlWriter, reasons []pageReason) {
	if len(reasons) == 0 {
		return
	}
	w.raw("<section class=\"why\" aria-labelledby=\"why-h\">\n<h2 id=\"why-h\">Why</h2>\n<ol class=\"reasons\">\n")
	for _, r := range reasons {
		w.raw("<li")
		w.attr("class", "reason "+r.Class)
		w.raw(">\n<div class=\"reason-head\">")
		w.badge(r.Class, r.Label)
		if r.Anchor != "" {
			w.raw("<a")
			w.attr("href", "#"+r.Anchor)
			w.raw(">")
			w.text(r.Name)
			w.raw("</a>")
		} else {
			w.elem("span", "", r.Name)
		}
		if r.Where != "" {
			w.elem("span", "where", r.Where)
		}
		w.elem("span", "blocking", "["+r.Blocking+"]")
		if r.Attempt > 1 {
			w.elem("span", "where", "attempt "+strconv.Itoa(r.Attempt))
		}
		w.raw("</div>\n")
		if r.Timing != "" {
			w.elem("p", "timing", r.Timing)
			w.raw("\n")
		}
		w.elem("p", "message", r.Message)
		w.raw("\n")
		for _, c := range r.Causes {
			w.raw("<p class=\"cause\"><b>cause:</b> ")
			w.text(c)
			w.raw("</p>\n")
		}
		if r.Run != "" {
			w.raw("<p>See the run: <code>journeygate show ")
			w.text(r.Run)
			w.raw("</code></p>\n")
		}
		w.raw("</li>\n")
	}
	w.raw("</ol>\n</section>\n")
}

func renderFlakes(w *htmlWriter, flakes []pageFlake) {
	if len(flakes) == 0 {
		return
	}
	w.raw("<section class=\"flakes\" aria-labelledby=\"flakes-h\">\n<h2 id=\"flakes-h\">Flaky passes</h2>\n",
		"<p class=\"muted\">These journeys passed only after a retry: the gate let them through and reports them so they get fixed.</p>\n<ul>\n")
	for _, f := range flakes {
		w.raw("<li><a")
		w.attr("href", "#"+f.Anchor)
		w.raw(">")
		w.text(f.Name)
		w.raw("</a> passed on attempt ", strconv.Itoa(f.Attempt), " after:\n<ul>\n")
		for _, e := range f.Earlier {
			w.raw("<li>attempt ", strconv.Itoa(e.Attempt), ": ")
			w.badge(e.Class, e.Label)
			if e.Where != "" {
				w.text(" " + e.Where)
			}
			if e.Timing != "" {
				w.text(", " + e.Timing)
			}
			w.text(": " + e.Message)
			w.raw("</li>\n")
		}
		w.raw("</ul>\n</li>\n")
	}
	w.raw("</ul>\n</section>\n")
}

func renderTable(w *htmlWriter, journeys []pageJourney) {
	w.raw("<section class=\"journeys\" aria-labelledby=\"journeys-h\">\n<h2 id=\"journeys-h\">Journeys</h2>\n<table>\n",
		"<thead><tr><th scope=\"col\">Journey</th><th scope=\"col\">Class</th><th scope=\"col\">Tier</th><th scope=\"col\">Owner</th>",
		"<th scope=\"col\">Mode</th><th scope=\"col\">Duration</th><th scope=\"col\">Failing step</th><th scope=\"col\">Attempts</th></tr></thead>\n<tbody>\n")
	cell := func(label, class, text string) {
		w.raw("<td")
		if class != "" {
			w.attr("class", class)
		}
		w.attr("data-label", label)
		w.raw(">")
		w.text(text)
		w.raw("</td>")
	}
	for _, j := range journeys {
		w.raw("<tr")
		w.attr("class", j.Class)
		w.raw("><th scope=\"row\"><a")
		w.attr("href", "#"+j.Anchor)
		w.raw(">")
		w.text(j.Name)
		w.raw("</a></th><td data-label=\"Class\">")
		w.badge(j.Class, j.Label)
		w.raw("</td>")
		cell("Tier", "", j.Tier)
		cell("Owner", "", j.Owner)
		cell("Mode", "", j.Mode+", "+j.Blocking)
		cell("Duration", "num", j.Duration)
		cell("Failing step", "", j.Step)
		cell("Attempts", "num", strconv.Itoa(j.Attempts))
		w.raw("</tr>\n")
	}
	w.raw("</tbody>\n</table>\n</section>\n")
}

func renderJourney(w *htmlWriter, j pageJourney) {
	w.raw("<section")
	w.attr("class", "journey "+j.Class)
	w.attr("id", j.Anchor)
	w.attr("aria-labelledby", j.Anchor+"-h")
	w.raw(">\n<div class=\"journey-head\">\n<div>\n<h2")
	w.attr("id", j.Anchor+"-h")
	w.raw(">")
	w.elem("span", "", j.Name)
	w.badge(j.Class, j.Label)
	w.raw("</h2>\n")
	attempts := "attempts"
	if j.Attempts == 1 {
		attempts = "attempt"
	}
	w.elem("p", "meta", "tier "+j.Tier+" · owner "+j.Owner+" · "+j.Mode+", "+j.Blocking+" · "+strconv.Itoa(j.Attempts)+" "+attempts+" · took "+j.Duration)
	w.raw("\n")
	if j.Problem != "" {
		w.elem("p", "problem", j.Problem)
		w.raw("\n")
	}
	w.raw("</div>\n")
	if c := j.History; c != nil {
		renderChart(w, c)
	}
	w.raw("</div>\n<div class=\"attempts\">\n")
	if j.NoResult {
		w.raw("<p>No result recorded: the journey never reported, which fails the gate.</p>\n")
	}
	if j.Latest != nil {
		renderAttempt(w, *j.Latest)
	}
	for _, a := range j.Earlier {
		w.raw("<details class=\"earlier\"><summary>")
		w.text("Earlier attempt " + strconv.Itoa(a.Number) + ": " + a.Headline + " in " + a.Took)
		w.raw("</summary>\n")
		renderAttempt(w, a)
		w.raw("</details>\n")
	}
	if len(j.Cleanups) > 0 {
		w.raw("<ul class=\"cleanups\">\n")
		for _, c := range j.Cleanups {
			w.elem("li", "", c)
			w.raw("\n")
		}
		w.raw("</ul>\n")
	}
	w.raw("</div>\n</section>\n")
}

func renderChart(w *htmlWriter, c *chart) {
	w.raw("<figure class=\"history\">\n")
	if !c.Empty {
		w.raw("<svg viewBox=\"0 0 320 76\" role=\"img\"")
		w.attr("aria-label", c.Label)
		w.raw(">\n<title>")
		w.text(c.Label)
		w.raw("</title>\n<line x1=\"12\" y1=\"44\" x2=\"308\" y2=\"44\" class=\"baseline\"/>\n<polyline")
		w.attr("points", c.Trend)
		w.raw(" class=\"trend\"/>\n")
		for _, m := range c.Marks {
			if m.Current {
				w.raw("<circle")
				w.attr("cx", m.X)
				w.attr("cy", m.Y)
				w.raw(" r=\"8.5\" class=\"current\"/>\n")
			}
			w.raw("<path")
			w.attr("d", m.D)
			w.attr("class", "mark "+m.Class)
			w.raw("><title>")
			w.text(m.Title)
			w.raw("</title></path>\n")
		}
		w.raw("</svg>\n")
	}
	w.raw("<figcaption>")
	w.elem("span", "rate", c.Rate)
	w.text(" success · " + c.Caption)
	w.raw("</figcaption>\n</figure>\n")
}

func renderAttempt(w *htmlWriter, a pageAttempt) {
	w.raw("<div class=\"attempt\">\n<h3>Attempt ", strconv.Itoa(a.Number), " ")
	w.badge(a.Class, a.Label)
	head := a.Headline + " · took " + a.Took
	if a.Cleanup != "" {
		head += " · cleanup " + a.Cleanup
	}
	if a.Started != "" {
		head += " · started " + a.Started
	}
	w.elem("span", "muted", head)
	w.raw("</h3>\n")
	if a.Message != "" {
		w.elem("p", "step-message", a.Message)
		w.raw("\n")
	}
	w.raw("<ol class=\"waterfall\"")
	w.attr("aria-label", "Steps of attempt "+strconv.Itoa(a.Number)+" on a time axis from "+a.Scale)
	w.raw(">\n")
	for _, s := range a.Steps {
		class := "step " + s.Class
		if s.Failing {
			class += " failing"
		}
		w.raw("<li")
		w.attr("class", class)
		w.attr("id", s.ID)
		w.raw(">\n<div class=\"step-name\">")
		w.elem("span", "step-index", s.Index)
		w.text(" " + s.Name)
		w.raw("</div>\n<div class=\"track\" aria-hidden=\"true\">")
		if s.Ran {
			w.raw("<span class=\"budget\"")
			w.attr("style", s.Budget)
			w.raw("></span><span")
			w.attr("class", "bar "+s.Class)
			w.attr("style", s.Bar)
			w.raw("></span><span class=\"sla\"")
			w.attr("style", s.Marker)
			w.raw("></span>")
		}
		w.raw("</div>\n<div class=\"step-timing\">")
		w.badge(s.Class, s.Label)
		w.elem("span", "timing", s.Timing)
		w.raw("</div>\n")
		if s.Message != "" {
			w.elem("p", "step-message", s.Message)
			w.raw("\n")
		}
		w.writeShots(s.Shots)
		if len(s.Evidence) > 0 {
			class := "evidence"
			if s.Failing {
				class += " failing"
			}
			w.raw("<details")
			w.attr("class", class)
			w.raw("><summary>")
			w.text(s.Summary)
			w.raw("</summary>\n<dl>\n")
			for _, e := range s.Evidence {
				w.elem("dt", "", e.Label)
				w.raw("\n<dd><pre>")
				w.text(e.Detail)
				w.raw("</pre>")
				if e.Attachment != "" {
					w.raw("<p class=\"attachment\">")
					w.text("Attachment (" + e.ContentType + "): ")
					w.elem("code", "", e.Attachment)
					w.raw("</p>")
				}
				w.raw("</dd>\n")
			}
			w.raw("</dl>\n</details>\n")
		}
		w.raw("</li>\n")
	}
	w.raw("</ol>\n")
	w.elem("p", "axis", "Time axis from "+a.Scale+". Bars: how long each step took, from when it started; dashed box: its SLA window.")
	w.raw("\n</div>\n")
}
