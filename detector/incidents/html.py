"""HTML fragments of an incident, shared by ``report.html`` and the live status page.

The page shell (inline CSS, a strict Content-Security-Policy, no scripts), the facts
of an incident, its chart with onset / alarm / resolution marks, its symptom shares,
top terms and sample posts, and the list of its steps. Every text that comes from
data is escaped here; charts come from :mod:`detector.incidents.svg`.

>>> from detector.incidents.view import IncidentView
>>> v = IncidentView.from_record({"service": "<b>X</b>", "started_at": "2026-11-18T14:05Z",
...                               "detected_at": "2026-11-18T14:15Z", "top_terms": ["mail"]})
>>> html = details(v)
>>> "mail" in html and "<b>" not in page("t", html)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import pandas as pd

from detector.incidents.svg import (
    Marker,
    MarkerKind,
    Span,
    downsample,
    fmt_duration,
    share_bars,
    time_chart,
)
from detector.incidents.view import IncidentView
from detector.incidents.wording import Zone, clip, posts, span_text

#: Nothing may be fetched: styles inline, images only as data: URIs, no scripts.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def e(value: Any) -> str:
    """HTML-escape ``str(value)`` (quotes too).

    >>> e('<a href="x">')
    '&lt;a href=&quot;x&quot;&gt;'
    """
    return escape(str(value), quote=True)


def sev_badge(severity: str) -> str:
    """A coloured ``major`` / ``warning`` badge."""
    css = "major" if severity == "major" else "warning"
    return f'<span class="sev {css}">{e(severity)}</span>'


def status_badge(status: str) -> str:
    """A coloured ``ok`` / ``possible`` / ``outage`` badge.

    >>> status_badge("outage")
    '<span class="st outage">outage</span>'
    """
    css = status if status in ("ok", "possible", "outage") else "unknown"
    return f'<span class="st {css}">{e(status)}</span>'


_MARKED: tuple[tuple[str, MarkerKind], ...] = (
    ("started_at", "onset"),
    ("detected_at", "alarm"),
    ("resolved_at", "resolved"),
)


def markers(view: IncidentView, zone: Zone) -> list[Marker]:
    """Onset, alarm and resolution of *view* as chart markers labelled in *zone*."""
    out = []
    for key, kind in _MARKED:
        at = getattr(view, key)
        if at is not None:
            out.append(Marker(at, f"{kind} {zone.hm(at)}", kind))
    return out


def spans(
    views: Sequence[IncidentView], focal: IncidentView | None, end: pd.Timestamp
) -> list[Span]:
    """Shaded intervals of *views* (open ones run to *end*); *focal* is drawn stronger."""
    out = []
    for view in views:
        start = view.start
        if start is None:
            continue
        is_focal = focal is not None and view is focal
        out.append(Span(start, view.resolved_at or end, focal=is_focal))
    return out


def chart_box(
    frame: pd.DataFrame,
    step: pd.Timedelta,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    *,
    title: str,
    zone: Zone,
    spans: Sequence[Span] = (),
    markers: Sequence[Marker] = (),
) -> str:
    """The chart of ``frame`` between *lo* and *hi*, summed to fewer bars when long."""
    window = frame[(frame["bucket_start"] >= lo) & (frame["bucket_start"] < hi)]
    window, shown = downsample(window, step)
    note = ""
    if shown != step:
        note = (
            f'<p class="note">Buckets summed to {fmt_duration(shown)} to keep the chart '
            "readable.</p>"
        )
    unit = f"posts / {fmt_duration(shown)}"  # axis units stay plural
    chart = time_chart(
        window,
        step=shown,
        unit=unit,
        spans=spans,
        markers=markers,
        title=title,
        zone=zone.name,
    )
    return f'<div class="chartbox">{chart}{note}</div>'


def facts(
    view: IncidentView, unit: str, zone: Zone, *, still_open: str = "open at the end of the data"
) -> str:
    """The incident's times and sizes as a definition list."""
    onset, alarm, resolved = view.started_at, view.detected_at, view.resolved_at
    rows = [("estimated onset", zone.clock(onset), "")]
    delay = f"{span_text(view.delay)} after onset" if view.delay is not None else ""
    rows.append(("alarm raised", zone.clock(alarm), delay))
    if resolved is not None:
        lasted = f"lasted {span_text(resolved - onset)}" if onset is not None else ""
        if alarm is not None and resolved <= alarm:
            # a slow, sparse rise whose evidence sufficed only as the posts fell back
            lasted += "; the alarm came on its tail, as the posts fell back"
        rows.append(("resolved", zone.clock(resolved), lasted.lstrip("; ")))
    else:
        rows.append(("resolved", "not yet", still_open))
    peak_at = f"at {zone.clock(view.peak_at)}" if view.peak_at is not None else ""
    rows.append(("peak", posts(view.peak_posts, unit, "outage "), peak_at))
    rows.append(("baseline (expected)", posts(view.baseline_posts, unit), ""))
    if view.score is not None:
        rows.append(("score", f"{view.score:.2f}", ""))
    if view.related:
        rows.append(("failing together", ", ".join(view.related), ""))
    cells = "".join(
        f"<div><dt>{e(term)}</dt><dd>{e(value)}"
        + (f' <span class="sub">{e(note)}</span>' if note else "")
        + "</dd></div>"
        for term, value, note in rows
    )
    return f'<dl class="facts">{cells}</dl>'


def details(view: IncidentView) -> str:
    """Symptom shares, top terms and (redacted) sample posts of *view*."""
    blocks = []
    if view.symptoms:
        blocks.append(f'<div class="block"><h3>Symptoms</h3>{share_bars(view.symptoms[:8])}</div>')
    if view.top_terms:
        terms = "".join(f"<li>{e(t)}</li>" for t in view.top_terms[:12])
        blocks.append(f'<div class="block"><h3>Top terms</h3><ul class="terms">{terms}</ul></div>')
    if view.sample_posts:
        quotes = "".join(f"<blockquote>{e(clip(p))}</blockquote>" for p in view.sample_posts[:5])
        blocks.append(f'<div class="block wide"><h3>Sample posts</h3>{quotes}</div>')
    return f'<div class="details">{"".join(blocks)}</div>' if blocks else ""


_STEP_WORDS = {"open": "opened", "escalate": "escalated", "resolve": "resolved"}


def steps(view: IncidentView, zone: Zone) -> str:
    """The incident's steps (open, escalate, resolve) as an ordered list; ``""`` if none."""
    if not view.steps:
        return ""
    items = []
    for step in view.steps:
        word = _STEP_WORDS.get(step.kind, step.kind)
        score = f", score {step.score:.1f}" if step.score is not None else ""
        items.append(
            f'<li><span class="when">{e(zone.clock(step.at))}</span> '
            f"<b>{e(word)}</b> ({e(step.severity)}{e(score)})</li>"
        )
    return f'<ol class="steps">{"".join(items)}</ol>'


CSS = """
:root{--ink:#222;--muted:#5f5f5f;--line:#dedede;--blue:#0072B2;--verm:#D55E00;
--orange:#E69F00;--green:#009E73;--bg:#fff;--soft:#f6f7f9}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:24px 28px 40px}
h1{font-size:22px;margin:0 0 8px}
h2{font-size:18px;margin:0 0 10px}
h3{font-size:13px;margin:0 0 6px;text-transform:uppercase;letter-spacing:.04em;
color:var(--muted)}
section,footer{margin-top:26px}
.headline{font-size:17px;margin:0 0 6px;padding:10px 14px;border-radius:6px;
border-left:5px solid var(--verm);background:#fdf1ea}
.headline.quiet{border-left-color:var(--green);background:#eaf6f1}
.headline.possible{border-left-color:var(--orange);background:#fdf6e6}
.meta,.note,.check{color:var(--muted);font-size:13px;margin:4px 0}
.check.bad{color:var(--verm);font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{flex:1 1 120px;border:1px solid var(--line);border-radius:6px;padding:8px 12px;
background:var(--soft)}
.card .num{font-size:20px;font-weight:650;font-variant-numeric:tabular-nums}
.card .lbl{font-size:12px;color:var(--muted)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px;font-variant-numeric:tabular-nums}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);white-space:nowrap}
table.incidents td:nth-child(9),table.incidents td:nth-child(10),
table.incidents th:nth-child(9),table.incidents th:nth-child(10){text-align:right}
table.services td.n,table.services th.n{text-align:right}
table.services tr.total td{border-top:2px solid var(--line);color:var(--muted)}
svg.spark{display:block}
th{font-size:12px;color:var(--muted);font-weight:600;white-space:normal;vertical-align:bottom}
td:last-child{white-space:normal;min-width:120px}
a{color:var(--blue)}
.sev,.st{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;
border:1px solid}
.sev.major,.st.outage{color:#9c3b00;border-color:var(--verm);background:#fbe3d6}
.sev.warning,.st.possible{color:#6b4b00;border-color:var(--orange);background:#fdf0d5}
.st.ok{color:#00603f;border-color:var(--green);background:#e3f4ec}
.st.unknown{color:var(--muted);border-color:var(--line);background:var(--soft)}
.incident{border-top:1px solid var(--line);padding-top:18px}
.incident h2 small{font-weight:400;color:var(--muted);font-size:14px}
.facts .sub{display:block;font-size:13px;color:var(--muted)}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:6px 24px;
margin:0 0 8px}
.facts dt{font-size:12px;color:var(--muted)}
.facts dd{margin:0;font-variant-numeric:tabular-nums}
.chartbox svg.chart{width:100%;height:auto;display:block}
.details{display:flex;flex-wrap:wrap;gap:12px 32px;margin-top:8px}
.block{flex:0 1 340px}
.block.wide{flex:1 1 100%}
svg.bars{width:340px;max-width:100%;height:auto;display:block}
.terms{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:6px}
.terms li{background:var(--soft);border:1px solid var(--line);border-radius:4px;
padding:1px 7px;font-size:13px}
blockquote{margin:0 0 6px;padding:4px 10px;border-left:3px solid var(--line);font-size:14px;
overflow-wrap:anywhere}
ol.steps{margin:4px 0 0;padding-left:20px;font-size:14px}
ol.steps .when{font-variant-numeric:tabular-nums;color:var(--muted)}
nav.crumbs{font-size:13px;margin-bottom:8px}
footer{border-top:1px solid var(--line);padding-top:12px;font-size:13px;color:var(--muted)}
footer h2{font-size:14px}
footer ul{padding-left:18px;margin:0}
@media print{
body{font-size:12px}main{max-width:none;padding:0}
section.incident,.card,tr,blockquote,svg{break-inside:avoid}
.scroll{overflow:visible}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
a{color:inherit;text-decoration:none}
}
"""


def page(title: str, body: str, *, refresh: int | None = None) -> str:
    """A whole HTML document: inline CSS, the CSP, optionally reloading every *refresh* s.

    >>> page("t", "<p>x</p>", refresh=60).count('http-equiv="refresh" content="60"')
    1
    """
    reload = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer">{reload}'
        f"<title>{e(title)}</title><style>{CSS}</style></head>"
        f"<body><main>\n{body}\n</main></body></html>\n"
    )


__all__ = [
    "CSP",
    "CSS",
    "chart_box",
    "details",
    "e",
    "facts",
    "markers",
    "page",
    "sev_badge",
    "spans",
    "status_badge",
    "steps",
]
