"""The live status page as HTML: the service list (``/``) and one service (``/services/...``).

Laid out from the same pieces as ``report.html`` (:mod:`detector.incidents.view`,
:mod:`detector.incidents.html`, :mod:`detector.incidents.svg`): one typed incident
view, one chart. No script: the page reloads itself with ``<meta http-equiv=
"refresh">`` and fetches nothing (the same Content-Security-Policy as the report).
Times are UTC unless a zone is asked for (``?tz=Europe/Berlin``), and the zone is
always named.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import pandas as pd

from detector.api.statusdata import GRAPH_BUCKET, Overview, ServiceRow
from detector.incidents import html
from detector.incidents.html import e, sev_badge, status_badge
from detector.incidents.svg import fmt_duration, sparkline
from detector.incidents.view import IncidentView
from detector.incidents.wording import Zone, count, posts, span_text

#: Seconds between reloads of the page (``?refresh=`` changes it, 0 turns it off).
REFRESH_SECONDS = 60
#: Incidents listed in a service's history.
HISTORY = 20
#: Services listed on ``/`` (the worst first); the rest are counted in a note.
MAX_ROWS = 200

_STATUS_WORDS = {
    "outage": "Outage",
    "possible": "Possible problem",
    "ok": "No problem detected",
}


def _query(zone: Zone, refresh: int) -> str:
    args = {}
    if not zone.is_utc:
        args["tz"] = zone.name
    if refresh != REFRESH_SECONDS:
        args["refresh"] = str(refresh)
    return ("?" + urlencode(args)) if args else ""


def service_link(name: str, zone: Zone, refresh: int = REFRESH_SECONDS) -> str:
    """The path of a service's page, keeping the zone and refresh asked for.

    >>> service_link("Exchange Online", Zone("Europe/Berlin"))
    '/services/Exchange%20Online?tz=Europe%2FBerlin'
    """
    return f"/services/{quote(name, safe='')}{_query(zone, refresh)}"


def _as_of(now: pd.Timestamp | None, judged: pd.Timestamp | None, zone: Zone, refresh: int) -> str:
    parts = []
    if now is not None:
        parts.append(f"as of {zone.clock(now)} (the newest post's time)")
    if judged is not None:
        judged_at = zone.clock(judged, date=False)
        if now is not None and zone.local(judged).date() != zone.local(now).date():
            judged_at = zone.clock(judged)  # the day before now's: say which
        parts.append(f"judged until {judged_at}")
    where = zone.describe(now if now is not None else pd.Timestamp.now(tz="UTC"))
    parts.append(
        f"times in {where}" + ("; add ?tz=Area/City for a local zone" if zone.is_utc else "")
    )
    parts.append(f"reloads every {refresh} s" if refresh else "does not reload")
    return f'<p class="meta">{" &middot; ".join(e(p) for p in parts)}</p>'


# --------------------------------------------------------------------------- the list


def overview_page(data: Overview, zone: Zone, *, refresh: int = REFRESH_SECONDS) -> str:
    """``GET /``: every service with posts in the last day, worst status and most posts first."""
    rows = data.rows
    failing = [r for r in rows if r.status == "outage"]
    doubtful = [r for r in rows if r.status == "possible"]
    if data.now is None:
        css, lead, sentence = "headline quiet", "No posts yet.", "Send posts to POST /v1/posts."
    elif failing:
        css = "headline alert"
        lead = f"{len(failing)} service{'s' if len(failing) > 1 else ''} with an outage:"
        sentence = "; ".join(_row_sentence(r, zone) for r in failing[:4])
        if len(failing) > 4:
            sentence += f"; and {len(failing) - 4} more"
        sentence += "."
    elif doubtful:
        css = "headline possible"
        lead = "Possible problems:"
        sentence = (
            ", ".join(r.name for r in doubtful[:6]) + " (above the expected level, no alarm)."
        )
    else:
        css = "headline quiet"
        lead = "All services OK."
        sentence = f"No outage among {len(rows)} service{'s' if len(rows) != 1 else ''} with posts."
    body = [
        "<header><h1>Service status</h1>"
        f'<p class="{css}"><strong>{e(lead)}</strong> {e(sentence)}</p>'
        f"{_as_of(data.now, data.judged, zone, refresh)}</header>",
        _service_table(data, zone, refresh),
    ]
    if data.quiet:
        names = ", ".join(
            f'<a href="{e(service_link(n, zone, refresh))}">{e(n)}</a>' for n in data.quiet
        )
        body.append(
            f'<section id="quiet"><details><summary>{len(data.quiet)} more watched services had '
            f"no posts in the last 24 hours</summary><p>{names}</p></details></section>"
        )
    body.append(_footer(zone))
    return html.page("Service status - outage-detector", "\n".join(body), refresh=refresh)


def _row_sentence(row: ServiceRow, zone: Zone) -> str:
    text = row.name
    if row.open_since is not None:
        text += f" ({row.severity or 'warning'}, since {zone.clock(row.open_since)})"
    return text


def _service_table(data: Overview, zone: Zone, refresh: int) -> str:
    if not data.rows:
        return (
            '<section id="services"><h2>Services</h2><p class="none">No service had posts '
            "in the last 24 hours.</p></section>"
        )
    head = (
        "<tr><th>status</th><th>service</th><th>incident, 24 h</th>"
        '<th class="n">outage posts, 24 h</th><th class="n">all posts, 24 h</th>'
        "<th>outage posts per hour, 24 h</th></tr>"
    )
    lines = [_service_line(r, zone, refresh) for r in data.rows[:MAX_ROWS]]
    if data.everything is not None:
        lines.append(_service_line(data.everything, zone, refresh, css="total"))
    note = ""
    if len(data.rows) > MAX_ROWS:
        note = (
            f'<p class="note">Showing the {MAX_ROWS} services with the worst status and most '
            f"outage posts of {len(data.rows):,}; GET /v1/services lists them all.</p>"
        )
    return (
        f'<section id="services"><h2>Services ({len(data.rows):,})</h2>'
        f'<div class="scroll"><table class="services"><thead>{head}</thead>'
        f"<tbody>{''.join(lines)}</tbody></table></div>{note}</section>"
    )


def _service_line(row: ServiceRow, zone: Zone, refresh: int, css: str = "") -> str:
    since = "-"
    if row.open_since is not None:
        since = f"{sev_badge(row.severity or 'warning')} open since {e(zone.clock(row.open_since))}"
    elif row.resolved is not None:
        started, ended, severity = row.resolved
        since = (
            f"{sev_badge(severity)} {e(zone.hm(started))}&ndash;{e(zone.clock(ended))}"
            if started is not None and ended is not None
            else sev_badge(severity)
        )
    spark = sparkline(row.hourly, label=f"{row.name}: outage posts per hour")
    cls = f' class="{css}"' if css else ""
    return (
        f"<tr{cls}><td>{status_badge(row.status)}</td>"
        f'<td><a href="{e(service_link(row.name, zone, refresh))}">{e(row.name)}</a></td>'
        f"<td>{since}</td>"
        f'<td class="n">{count(row.outage_posts)}</td><td class="n">{count(row.all_posts)}</td>'
        f"<td>{spark}</td></tr>"
    )


# --------------------------------------------------------------------------- one service


def service_page(
    service: str,
    status: Mapping[str, Any],
    frame: pd.DataFrame,
    incidents: Sequence[Mapping[str, Any]],
    zone: Zone,
    *,
    now: pd.Timestamp | None,
    judged: pd.Timestamp | None,
    refresh: int = REFRESH_SECONDS,
) -> str:
    """``GET /services/{name}``: the day's graph, the open (or latest) incident, the history.

    ``status`` is :func:`~detector.api.queries.service_status`'s answer, ``frame`` the
    day (:func:`~detector.api.statusdata.day_frame`), ``incidents`` newest first as
    :func:`~detector.api.queries.list_incidents` gives them (with ``history``).
    """
    views = [IncidentView.from_record(raw, n) for n, raw in enumerate(incidents)]
    views = [v.numbered(len(views) - n) for n, v in enumerate(views)]  # oldest is #1
    step = pd.Timedelta(seconds=GRAPH_BUCKET)
    unit = f"posts / {fmt_duration(step)}"
    state = str(status.get("status") or "ok")
    focal = next((v for v in views if v.is_open), None)
    lo = hi = None
    if now is not None:
        hi = now.floor(step) + step
        lo = hi - pd.Timedelta(days=1)
        if focal is None:
            focal = next(
                (v for v in views if v.start is not None and (v.resolved_at or hi) >= lo), None
            )
    body = [
        f'<nav class="crumbs"><a href="/{e(_query(zone, refresh))}">&larr; all services</a></nav>',
        f"<header><h1>{e(service)} {status_badge(state)}</h1>",
        _service_headline(state, status, focal, zone, unit, now),
        _as_of(now, judged, zone, refresh) + "</header>",
        _day_section(service, frame, views, focal, zone, step, lo, hi),
    ]
    if focal is not None:
        body.append(_focal_section(focal, zone, unit))
    body.append(_history(views, zone))
    body.append(_footer(zone))
    return html.page(f"{service} - status", "\n".join(body), refresh=refresh)


def _when(ts: pd.Timestamp, now: pd.Timestamp | None, zone: Zone) -> str:
    """*ts* as a wall-clock time, with its date when that is not *now*'s (in *zone*).

    >>> now = pd.Timestamp("2025-03-02 10:50Z")
    >>> _when(pd.Timestamp("2025-03-02 10:47Z"), now, Zone())
    '10:47'
    >>> _when(pd.Timestamp("2025-03-01 10:05Z"), now, Zone())
    '10:05 UTC, 1 Mar 2025'
    """
    if now is not None and zone.local(ts).date() == zone.local(now).date():
        return zone.hm(ts)
    return zone.clock(ts)


def _service_headline(
    state: str,
    status: Mapping[str, Any],
    focal: IncidentView | None,
    zone: Zone,
    unit: str,
    now: pd.Timestamp | None = None,
) -> str:
    css = {"outage": "headline alert", "possible": "headline possible"}.get(state, "headline quiet")
    lead = _STATUS_WORDS.get(state, state) + "."
    if state == "outage" and focal is not None and focal.is_open:
        facts = [f"{focal.severity} incident open since {zone.clock(focal.start)}"]
        if focal.detected_at is not None:
            facts.append(f"alarm raised {zone.clock(focal.detected_at)}")
        if focal.peak_posts is not None:
            peak = f"peak {posts(focal.peak_posts, unit, 'outage ')}"
            if focal.baseline_posts is not None:
                peak += f" against {count(focal.baseline_posts)} expected"
            facts.append(peak)
        sentence = "; ".join(facts) + "."
    elif state == "possible":
        sentence = "Outage posts are above the expected level, not yet enough to raise an alarm."
    else:
        sentence = "Outage posts are within the range the detector expects."
        if focal is not None and focal.resolved_at is not None:
            sentence += f" The last incident resolved {zone.clock(focal.resolved_at)}."
    latest = status.get("bucket_start")
    if latest:
        expected = status.get("baseline")
        sentence += (
            f" Latest judged bucket ({_when(pd.Timestamp(latest), now, zone)}): "
            f"{count(status.get('outage_posts'))} outage of "
            f"{count(status.get('all_posts'))} posts"
            + (f", {count(expected)} expected" if expected is not None else "")
            + "."
        )
    return f'<p class="{css}"><strong>{e(lead)}</strong> {e(sentence)}</p>'


def _day_section(
    service: str,
    frame: pd.DataFrame,
    views: Sequence[IncidentView],
    focal: IncidentView | None,
    zone: Zone,
    step: pd.Timedelta,
    lo: pd.Timestamp | None,
    hi: pd.Timestamp | None,
) -> str:
    head = '<section id="day"><h2>Last 24 hours</h2>'
    if lo is None or hi is None or not len(frame):
        return head + '<p class="note">No posts yet.</p></section>'
    seen = frame.loc[frame["all_posts"] > 0, "bucket_start"]
    note = ""
    if len(seen) and seen.min().floor("h") > lo:
        # a service first seen less than a day ago: no empty half day before its first post
        lo = seen.min().floor("h")
        note = f" Its first post in this window came at {e(zone.clock(seen.min()))}."
    chart = html.chart_box(
        frame,
        step,
        lo,
        hi,
        title=f"{service}: outage posts per 5 minutes against the expected baseline",
        zone=zone,
        spans=html.spans(views, focal, hi),
        markers=html.markers(focal, zone) if focal is not None else (),
    )
    return (
        head + "<p>Outage posts per 5 minutes against the baseline the detector expected at "
        f"that time, with the strip under the axis showing its verdict for each bucket.{note}</p>"
        f"{chart}</section>"
    )


def _focal_section(view: IncidentView, zone: Zone, unit: str) -> str:
    title = "Open incident" if view.is_open else "Latest incident"
    return (
        f'<section class="incident" id="incident-{view.number}"><h2>{title} '
        f"{sev_badge(view.severity)} <small>#{view.number}, {e(view.status)}</small></h2>"
        + html.facts(view, unit, zone, still_open="still open")
        + html.details(view)
        + (
            f'<div class="block wide"><h3>Steps</h3>{html.steps(view, zone)}</div>'
            if view.steps
            else ""
        )
        + "</section>"
    )


def _history(views: Sequence[IncidentView], zone: Zone) -> str:
    if not views:
        return (
            '<section id="history"><h2>Incident history</h2>'
            '<p class="none">No incident so far.</p></section>'
        )
    where = "UTC" if zone.is_utc else zone.name
    head = (
        f"<tr><th>#</th><th>status</th><th>severity</th><th>started ({e(where)})</th>"
        f"<th>alarm ({e(where)})</th><th>alarm delay</th><th>resolved ({e(where)})</th>"
        '<th class="n">peak posts</th><th>steps</th></tr>'
    )
    lines = []
    for v in views[:HISTORY]:
        steps = ", ".join(f"{s.kind} {zone.hm(s.at)}" for s in v.steps) or "-"
        lines.append(
            f"<tr><td>{v.number}</td><td>{e(v.status)}</td><td>{sev_badge(v.severity)}</td>"
            f"<td>{zone.table(v.started_at)}</td><td>{zone.table(v.detected_at)}</td>"
            f"<td>{span_text(v.delay) if v.delay is not None else '-'}</td>"
            f"<td>{zone.table(v.resolved_at) if v.resolved_at is not None else 'open'}</td>"
            f'<td class="n">{count(v.peak_posts)}</td><td>{e(steps)}</td></tr>'
        )
    return (
        f'<section id="history"><h2>Incident history ({len(views)})</h2>'
        f'<div class="scroll"><table class="history"><thead>{head}</thead>'
        f"<tbody>{''.join(lines)}</tbody></table></div></section>"
    )


def _footer(zone: Zone) -> str:
    where = "UTC" if zone.is_utc else zone.name
    return (
        "<footer><h2>How to read this page</h2><ul>"
        "<li>Status is the detector's verdict on the latest closed minute: <b>outage</b> while "
        "an incident is open, <b>possible</b> when outage posts are above the expected level "
        "without enough evidence for an alarm, <b>ok</b> otherwise.</li>"
        "<li>Bars count posts classified as outage reports per 5 minutes. The dashed line is "
        "the count the detector expected (learned from the service's own past, judged from "
        "earlier posts only); the grey band is the range that count would fall in 95% of the "
        "time if nothing were wrong.</li>"
        "<li><b>Onset</b> is the estimated start of the rise; <b>alarm</b> is when the "
        "detector raised the incident; <b>resolved</b> is when volume returned to the "
        "baseline. Sample posts are shown with e-mail addresses, phone and account numbers "
        "redacted.</li>"
        f"<li>Times are in {e(where)}; time follows the posts' own timestamps. JSON: "
        "/v1/services, /v1/incidents, /v1/series.</li></ul></footer>"
    )


__all__ = ["REFRESH_SECONDS", "overview_page", "service_link", "service_page"]
