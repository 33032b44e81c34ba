"""What the live preview adds to a page: the reload script, the problems banner, the index.

In: a built HTML page (bytes from output/), the preview's state (a generation number and the
current problem lines). Out: the page as served, never written anywhere, so that output/ files
stay exactly what `build` makes. Every text put into a page is HTML-escaped here, and the
script sets problem lines with textContent only: a problem message quotes content, and content
is untrusted.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from ..core.errors import BriefsmithWarning

BANNER_ID = "briefsmith-problems"

# Opens /events and reloads when a newer build is there. `since` is the generation the page
# was served at: a build that finished between serving the page and connecting is still seen,
# because the server answers a stale `since` with an immediate reload.
_SCRIPT = """<script id="briefsmith-preview">
(function () {
  "use strict";
  var since = %(since)d;
  var source = new EventSource("/events?since=" + since);
  function show(lines) {
    var old = document.getElementById("%(banner)s");
    if (old) { old.remove(); }
    if (!lines.length) { return; }
    var box = document.createElement("div");
    box.id = "%(banner)s";
    box.setAttribute("role", "alert");
    box.setAttribute("style", "%(style)s");
    var head = document.createElement("p");
    head.setAttribute("style", "margin:0 0 .4em;font-weight:bold");
    head.textContent = "Briefsmith: " + lines.length + (lines.length === 1 ? " problem" :
      " problems") + " (the page shows the last good build)";
    box.appendChild(head);
    var list = document.createElement("ul");
    list.setAttribute("style", "margin:0;padding-left:1.2em");
    lines.forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      list.appendChild(item);
    });
    box.appendChild(list);
    document.body.appendChild(box);
  }
  source.addEventListener("reload", function () { source.close(); location.reload(); });
  source.addEventListener("problems", function (e) { show(JSON.parse(e.data)); });
  %(extra)s
})();
</script>
"""
_BANNER_STYLE = ("position:fixed;left:0;right:0;bottom:0;z-index:2147483647;max-height:50vh;"
                 "overflow:auto;margin:0;padding:.8em 1.2em;background:#fff4f4;color:#5a0000;"
                 "border-top:3px solid #b00020;font:14px/1.4 monospace;white-space:pre-wrap")


def script(since: int, extra: str = "") -> str:
    return _SCRIPT % {"since": since, "banner": BANNER_ID, "style": _BANNER_STYLE,
                      "extra": extra}


def banner(lines: Sequence[str]) -> str:
    """The banner as the server renders it into a page loaded while the build is broken (the
    script would draw the same one a moment later; this way it is there at once)."""
    if not lines:
        return ""
    count = f"{len(lines)} problem{'s' if len(lines) != 1 else ''}"
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return (f'<div id="{BANNER_ID}" role="alert" style="{_BANNER_STYLE}">'
            f'<p style="margin:0 0 .4em;font-weight:bold">Briefsmith: {count} (the page shows '
            f'the last good build)</p><ul style="margin:0;padding-left:1.2em">{items}</ul>'
            "</div>")


def inject(page: bytes, since: int, problems: Sequence[str]) -> bytes:
    """The built page with the banner and the script put before its last </body>."""
    text = page.decode("utf-8", errors="replace")
    addition = banner(problems) + script(since)
    at = text.lower().rfind("</body>")
    text = text + addition if at < 0 else text[:at] + addition + text[at:]
    return text.encode("utf-8")


def warning_list(warnings: Sequence[BriefsmithWarning]) -> str:
    """The last good build's warnings, each as the command line prints it, in three parts: where,
    what kind, and what is wrong and what to do. Every part is escaped: a message quotes
    content."""
    if not warnings:
        return ""
    e = html.escape
    items = "".join(f'<li><code>{e(str(w.origin))}</code> <span class="kind">{e(w.kind)}</span>'
                    f" {e(w.message)}</li>" for w in warnings)
    count = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    return (f'<section aria-labelledby="warnings"><h2 id="warnings">{count}</h2>'
            f'<ul class="warnings">{items}</ul></section>')


def index_page(rows: Sequence[tuple[str, str, Sequence[tuple[str, str, bool, bool]]]],
               since: int, problems: Sequence[str], title: str,
               warnings: Sequence[BriefsmithWarning] = ()) -> bytes:
    """Briefs × audiences. `rows`: (brief id, title, [(audience, label, has html, has pdf)])."""
    e = html.escape
    body = []
    for brief_id, brief_title, audiences in rows:
        cells = []
        for name, label, has_html, has_pdf in audiences:
            links = []
            base = f"{e(brief_id)}/{e(name)}"
            links.append(f'<a href="/brief/{base}/">HTML preview</a>' if has_html
                         else "<span>HTML not built yet</span>")
            links.append(f'<a href="/pdf/{base}.pdf">PDF</a>' if has_pdf
                         else "<span>PDF not built yet</span>")
            cells.append(f"<li><strong>{e(label)}</strong> ({e(name)}): "
                         f"{' · '.join(links)}</li>")
        body.append(f"<section><h2>{e(brief_title)} <small>({e(brief_id)})</small></h2>"
                    f"<ul>{''.join(cells)}</ul></section>")
    if not rows:
        body.append("<p>No briefs yet: add one in briefs/.</p>")
    # the index also reloads when a PDF is replaced, so its "not built yet" turns into a link
    extra = 'source.addEventListener("pdf", function () { source.close(); location.reload(); });'
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{e(title)}</title><style>body{{font:16px/1.5 sans-serif;max-width:50em;"
            "margin:2em auto;padding:0 1em}small{color:#555;font-weight:normal}"
            ".warnings{font-size:.9em}.warnings code{color:#333}.kind{color:#6b4e00;"
            "font-weight:bold}</style></head>"
            f"<body><main><h1>{e(title)}</h1>{''.join(body)}{warning_list(warnings)}</main>"
            f"{banner(problems)}{script(since, extra)}</body></html>\n")
    return page.encode("utf-8")


def sse(event: str, data: object) -> bytes:
    """One server-sent event; the data is JSON on one line (json.dumps never emits a newline)."""
    return f"event: {event}\ndata: {json.dumps(data)}\n\n".encode()
