package browser

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// probeResult is one look at the page for a selector.
type probeResult struct {
	URL      string `json:"url"`
	Title    string `json:"title"`
	Invalid  string `json:"invalid"`
	Found    bool   `json:"found"`
	Visible  bool   `json:"visible"`
	Text     string `json:"text"`
	Contains bool   `json:"contains"`
	// Near is the longest prefix of the selector that matches when the
	// selector does not; HTML is an excerpt of the element found (or of
	// Near's), Body of the page's text when neither matches.
	Near string `json:"near"`
	HTML string `json:"html"`
	Body string `json:"body"`

	selector string
}

// describe says what the probe saw, bounded, for a message.
func (pr probeResult) describe() string {
	var b strings.Builder
	switch {
	case !pr.Found:
		fmt.Fprintf(&b, "no element matches %s", pr.selector)
	case !pr.Visible:
		fmt.Fprintf(&b, "%s is present but not visible", pr.selector)
	default:
		fmt.Fprintf(&b, "%s has text %q", pr.selector, clip(pr.Text, 200))
	}
	fmt.Fprintf(&b, " on %s", pr.URL)
	if title := clip(pr.Title, 120); title != "" {
		fmt.Fprintf(&b, " (title %q)", title)
	}
	switch {
	case pr.Found:
		if pr.HTML != "" && !pr.Visible {
			fmt.Fprintf(&b, "; element: %s", clip(pr.HTML, 300))
		}
	case pr.Near != "":
		fmt.Fprintf(&b, "; nearest match %s: %s", pr.Near, clip(pr.HTML, 300))
	case strings.TrimSpace(pr.Body) == "":
		b.WriteString("; the page has no text")
	default:
		fmt.Fprintf(&b, "; page text: %q", clip(pr.Body, 300))
	}
	return b.String()
}

// clip cuts s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func jsString(s string) string {
	b, _ := json.Marshal(s) // a string always encodes
	return string(b)
}

// probeScript looks for selector once: present, visible, its text and
// whether it contains text; when it is missing, the nearest prefix of the
// selector that matches, else the page's text; excerpts cut to limit.
func probeScript(selector, text string, limit int) string {
	return fmt.Sprintf(`(() => {
  const sel = %s, want = %s, limit = %d;
  const out = {url: location.href, title: document.title || ""};
  const cut = s => (s || "").length > limit ? s.slice(0, limit) + "…" : (s || "");
  let el;
  try { el = document.querySelector(sel); } catch (e) { out.invalid = String(e.message || e); return out; }
  if (el) {
    out.found = true;
    const r = el.getBoundingClientRect(), st = getComputedStyle(el);
    out.visible = r.width > 0 && r.height > 0 && st.visibility !== "hidden" && st.display !== "none";
    out.text = el.innerText ?? el.textContent ?? "";
    if (out.text === "" && (el.value ?? "") !== "") out.text = String(el.value);
    out.contains = want !== "" && out.text.includes(want);
    out.html = cut(el.outerHTML);
    return out;
  }
  const parts = sel.trim().split(/\s+/);
  for (let n = parts.length - 1; n > 0; n--) {
    const prefix = parts.slice(0, n).join(" ");
    let p = null;
    try { p = document.querySelector(prefix); } catch (e) { continue; }
    if (p) { out.near = prefix; out.html = cut(p.outerHTML); return out; }
  }
  out.body = cut(document.body ? document.body.innerText : "");
  return out;
})()`, jsString(selector), jsString(text), limit)
}

func jsonMarshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
