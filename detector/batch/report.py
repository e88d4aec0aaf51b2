"""``report.html``: the one-file report of a batch scoring run that a person reads first.

The page says in one sentence what was found, shows the run's accounting, a table of
all incidents and, per incident, the "last 24 hours" chart (outage posts per bucket
against the expected baseline, the incident shaded, onset / alarm / resolution marked),
the share of each symptom, the top terms and a few sample posts. It is self-contained
(inline CSS and SVG, no JavaScript, nothing fetched) under a strict
Content-Security-Policy, and every text that comes from the data is HTML-escaped.

>>> import pandas as pd
>>> t = pd.date_range("2026-11-18", periods=3, freq="5min", tz="UTC")
>>> series = pd.DataFrame({"service": "all services", "bucket_start": t,
...                        "outage_posts": [0, 1, 0], "all_posts": [5, 6, 5],
...                        "baseline": [0.5, 0.5, 0.5]})
>>> summary = {"rows_read": 16, "rows_scored": 16, "rows_quarantined": 0,
...            "rows_duplicate": 0, "incidents": 0, "seconds": 0.2}
>>> page = render_report(series=series, incidents=[], summary=summary)
>>> page.startswith("<!DOCTYPE html>") and "No incidents" in page
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from detector.errors import SchemaError
from detector.incidents import html
from detector.incidents.html import CSP, chart_box, e, sev_badge
from detector.incidents.svg import MAX_BARS, downsample, fmt_duration, share_bars
from detector.incidents.view import IncidentView
from detector.incidents.wording import Zone, count, number, span_text
from detector.series.buckets import bucket_width

#: Incidents that get a section with a chart; the rest are listed in the table only.
MAX_SECTIONS = 25
#: Rows of the incident table; the rest are in incidents.csv.
MAX_TABLE_ROWS = 500
#: Width of the chart window around an incident.
WINDOW = pd.Timedelta(hours=24)
#: ... and at least this many buckets (a run judged per day charts 24 days, not two).
WINDOW_BUCKETS = 24

SERIES_COLUMNS = ("service", "bucket_start", "outage_posts", "all_posts", "baseline")
ALL_SERVICES = "all services"


def render_report(
    *,
    series: pd.DataFrame,
    incidents: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    posts: pd.DataFrame | None = None,
    title: str = "outage-detector report",
    bucket: str = "5min",
    zone: str = "UTC",
) -> str:
    """The report as one self-contained HTML document.

    ``series`` has :data:`SERIES_COLUMNS`; ``incidents`` are dicts with the
    DESIGN.md incident fields (times as ISO 8601 strings or ``None``); ``summary`` has
    ``rows_read, rows_scored, rows_quarantined, rows_duplicate, incidents, seconds``
    and optionally ``inputs``, ``model`` (and ``model_card``: its sha256 and the class
    it detects), ``engine`` and ``warnings``; ``posts`` (optional, scored posts)
    only feeds overall counts and is never rendered row by row. ``bucket`` is the
    length of one series bucket (a pandas offset such as ``"5min"``); ``zone`` the IANA
    time zone the page shows times in (UTC by default).

    Raises :class:`~detector.errors.SchemaError` when ``series`` lacks a column or an
    incident time cannot be read, :class:`~detector.errors.UsageError` for a bad ``bucket``.
    """
    step = _bucket_step(bucket)
    where = Zone(zone)
    _require_columns(series)
    views = [
        IncidentView.from_record(i, n, source="render_report") for n, i in enumerate(incidents)
    ]
    views.sort(key=lambda i: (i.start or _FAR, i.service))
    items = [view.numbered(n) for n, view in enumerate(views, start=1)]
    # only the series that get a chart are cleaned and split: big runs have many services
    names = series["service"].astype(str)
    wanted = {i.service for i in items} or {ALL_SERVICES}
    by_service = {
        str(name): frame.sort_values("bucket_start").reset_index(drop=True)
        for name, frame in _clean(series[names.isin(wanted)]).groupby("service", sort=False)
    }
    if not items and ALL_SERVICES not in by_service and len(series):
        summed = _clean(series).groupby("bucket_start", sort=True)[
            ["outage_posts", "all_posts", "baseline"]
        ]
        by_service[ALL_SERVICES] = summed.sum(min_count=1).reset_index()
    times = series["bucket_start"]
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        times = pd.to_datetime(times, utc=True)
    period = (times.min(), times.max() + step) if len(times) else None
    services = [str(name) for name in pd.unique(names)]

    body = [
        _header(title, items, summary, services, period, step, where),
        _accounting(summary),
        _incident_table(items, where),
    ]
    if items:
        chosen = sorted(items, key=_importance)[:MAX_SECTIONS]
        chosen_numbers = {i.number for i in chosen}
        for item in items:
            if item.number in chosen_numbers:
                body.append(_incident_section(item, items, by_service, step, where))
        if len(items) > MAX_SECTIONS:
            body.append(
                f'<p class="note">{len(items) - MAX_SECTIONS:,} more incidents are listed in '
                f"the table only (the {MAX_SECTIONS} most severe have a chart).</p>"
            )
    else:
        body.append(_quiet_section(by_service, step, where))
    if posts is not None and len(posts):
        body.append(_overall_posts(posts))
    body.append(_footer(step, where))
    return html.page(title, "\n".join(body))


def write_report(path: str | Path, **kwargs: Any) -> Path:
    """Render with :func:`render_report` (same keyword arguments) and write UTF-8 to *path*.

    >>> import tempfile, pandas as pd
    >>> t = pd.date_range("2026-11-18", periods=2, freq="5min", tz="UTC")
    >>> s = pd.DataFrame({"service": "all services", "bucket_start": t, "outage_posts": 0,
    ...                   "all_posts": 1, "baseline": 0.1})
    >>> out = write_report(Path(tempfile.mkdtemp()) / "report.html", series=s,
    ...                    incidents=[], summary={})
    >>> out.name, out.stat().st_size > 1000
    ('report.html', True)
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_report(**kwargs), encoding="utf-8")
    return target


# --------------------------------------------------------------------------- inputs

_FAR = pd.Timestamp.max.tz_localize("UTC")


def _bucket_step(bucket: str) -> pd.Timedelta:
    """The bucket length as a Timedelta; a clear error for anything else.

    >>> _bucket_step("15min")
    Timedelta('0 days 00:15:00')
    """
    return bucket_width(bucket, name="The 'bucket' parameter of render_report")


def _require_columns(series: pd.DataFrame) -> None:
    missing = [c for c in SERIES_COLUMNS if c not in series.columns]
    if missing:
        raise SchemaError(
            f"render_report: the series frame lacks column(s) {', '.join(missing)}; it needs "
            f"{', '.join(SERIES_COLUMNS)}. Got columns: {', '.join(map(str, series.columns))}."
        )


def _clean(series: pd.DataFrame) -> pd.DataFrame:
    """The series columns with UTC times, float counts and string service names."""
    out = series.loc[:, list(SERIES_COLUMNS)].copy()
    out["bucket_start"] = pd.to_datetime(out["bucket_start"], utc=True)
    for column in ("outage_posts", "all_posts", "baseline"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    out["service"] = out["service"].astype(str)
    return out


def _importance(item: IncidentView) -> tuple:
    """Sort key: major before warning, then the largest peak."""
    return (item.severity != "major", -(item.peak_posts or 0.0), item.number)


# --------------------------------------------------------------------------- sections


def _headline(
    items: Sequence[IncidentView],
    services: Iterable[str],
    period: str,
    unit: str = "",
    zone: Zone | None = None,
) -> tuple[str, str]:
    """``(lead, sentence)``: the count of incidents and one sentence of facts about them.

    >>> _headline([], ["all services", "Gmail"], "18 Nov 2026")
    ('No incidents.', 'No alarm was raised for 1 service over 18 Nov 2026.')
    """
    zone = zone or Zone()
    if not items:
        names = [s for s in services if s != ALL_SERVICES]
        watched = f" for {len(names):,} service{'s' if len(names) != 1 else ''}" if names else ""
        return "No incidents.", f"No alarm was raised{watched} over {period}."
    ranked = sorted(items, key=_importance)
    services_hit = {i.service for i in items}
    lead = f"{len(items):,} incident{'s' if len(items) > 1 else ''}"
    if len(services_hit) > 1:
        lead += f" in {len(services_hit):,} services"
    first = ranked[0]
    facts = []
    if first.detected_at is not None:
        detected = f"detected {zone.clock(first.detected_at)}"
        if first.started_at is not None and first.delay is not None:
            detected += (
                f", {span_text(first.delay)} after the estimated onset at "
                f"{zone.hm(first.started_at)}"
            )
        facts.append(detected)
    if first.peak_posts is not None:
        peak = f"peak {count(first.peak_posts)} outage {unit or 'posts per bucket'}"
        if first.baseline_posts is not None:
            peak += f" ({count(first.baseline_posts)} expected)"
        facts.append(peak)
    if first.resolved_at is not None:
        facts.append(f"resolved {zone.clock(first.resolved_at)}")
    else:
        facts.append("still open at the end of the data")
    sentence = f"{first.service} ({first.severity}): " + "; ".join(facts) + "."
    others = ranked[1:4]
    if others:
        sentence += " Also " + "; ".join(
            f"{o.service} ({o.severity}, detected {zone.clock(o.detected_at)})" for o in others
        )
        sentence += f" and {len(ranked) - 4:,} more." if len(ranked) > 4 else "."
    return lead + ":", sentence


def _header(
    title: str,
    items: Sequence[IncidentView],
    summary: Mapping[str, Any],
    services: Sequence[str],
    period: tuple[pd.Timestamp, pd.Timestamp] | None,
    step: pd.Timedelta,
    zone: Zone,
) -> str:
    meta = []
    span = "the period"
    if period is not None:
        start, end = period
        named = zone.describe(start)
        span = f"{span_text(end - start)} of posts ({zone.table(start)} to "
        span += f"{zone.table(end)} {named})"
        meta.append(f"period {zone.table(start)} to {zone.table(end)} {named}")
    meta.append(f"bucket {fmt_duration(step)}")
    model = _model_text(summary)
    if model:
        meta.append(model)
    if summary.get("engine"):
        meta.append(f"engine {summary['engine']}")
    if summary.get("tz") and summary["tz"] != "UTC":
        meta.append(f"times without a zone read as {summary['tz']}")
    inputs = summary.get("inputs") or []
    if isinstance(inputs, str):
        inputs = [inputs]
    if inputs:
        shown = ", ".join(Path(str(p)).name for p in list(inputs)[:5])
        more = f" and {len(inputs) - 5} more" if len(inputs) > 5 else ""
        meta.append(f"input {shown}{more}")
    lead, sentence = _headline(items, services, span, f"posts / {fmt_duration(step)}", zone)
    css = "headline alert" if items else "headline quiet"
    return (
        f"<header><h1>{e(title)}</h1>"
        f'<p class="{css}"><strong>{e(lead)}</strong> {e(sentence)}</p>'
        f'<p class="meta">{" &middot; ".join(e(m) for m in meta)}</p></header>'
    )


def _model_text(summary: Mapping[str, Any]) -> str | None:
    """The model in the header: its name, the first 12 hex digits of its file's sha256
    and, when it is not outage, the class it detects (summary.json's ``model_card``).

    >>> _model_text({"model": "outage-v2", "model_card": {"name": "outage-v2",
    ...              "model_sha256": "7a86c953f239fa10280a", "positive": "outage"}})
    'model outage-v2 (sha256 7a86c953f239)'
    >>> _model_text({"model": "m", "model_card": {"positive": "complaint"}})
    'model m (detects complaint)'
    >>> _model_text({"model": "m"}), _model_text({})
    ('model m', None)
    """
    card = summary.get("model_card")
    card = card if isinstance(card, Mapping) else {}
    name = summary.get("model") or card.get("name")
    if not name:
        return None
    details = []
    if card.get("model_sha256"):
        details.append(f"sha256 {str(card['model_sha256'])[:12]}")
    positive = str(card.get("positive") or "outage")
    if positive.strip().casefold() != "outage":
        details.append(f"detects {positive}")
    return f"model {name}" + (f" ({', '.join(details)})" if details else "")


def _accounting(summary: Mapping[str, Any]) -> str:
    """The run's numbers, and whether they add up."""
    cards = [
        ("rows read", "rows_read"),
        ("scored", "rows_scored"),
        ("quarantined", "rows_quarantined"),
        ("duplicates", "rows_duplicate"),
        ("incidents", "incidents"),
    ]
    out = ['<section id="accounting"><h2>Run</h2><div class="cards">']
    for label, key in cards:
        out.append(
            f'<div class="card"><div class="num">{count(summary.get(key))}</div>'
            f'<div class="lbl">{label}</div></div>'
        )
    seconds = number(summary.get("seconds"))
    out.append(
        f'<div class="card"><div class="num">{"-" if seconds is None else f"{seconds:,.1f}"}'
        '</div><div class="lbl">seconds</div></div></div>'
    )
    parts = [number(summary.get(k)) for k in ("rows_scored", "rows_quarantined", "rows_duplicate")]
    read = number(summary.get("rows_read"))
    if read is not None and None not in parts:
        gap = read - sum(p for p in parts if p is not None)
        if gap == 0:
            out.append(
                '<p class="check ok">Every row is accounted for: rows read = scored + '
                "quarantined + duplicates.</p>"
            )
        else:
            problem = (
                f"{count(gap)} row{'s' if gap != 1 else ''} read "
                f"{'are' if gap != 1 else 'is'} neither scored, quarantined nor duplicate"
                if gap > 0
                else f"scored + quarantined + duplicates exceed rows read by {count(-gap)}"
            )
            out.append(f'<p class="check bad">Accounting gap: {problem}.</p>')
    warm = summary.get("warmup_until")
    if warm:
        out.append(
            f'<p class="check">Warm-up: the baselines learned from the first day of data '
            f"(until {e(str(warm))}; a service first named later, from its own first day); "
            "alarms in that day need a clear jump and are marked as raised during "
            "warm-up.</p>"
        )
    for warning in summary.get("warnings") or []:
        out.append(f'<p class="check bad">Warning: {e(str(warning))}</p>')
    out.append("</section>")
    return "".join(out)


def _table_head(zone: Zone) -> tuple[str, ...]:
    where = "UTC" if zone.is_utc else zone.name
    return (
        "#",
        "service",
        "status",
        "severity",
        f"started ({where})",
        f"detected ({where})",
        "alarm delay",
        f"resolved ({where})",
        "peak posts",
        "baseline",
        "related",
    )


def _incident_table(items: Sequence[IncidentView], zone: Zone) -> str:
    if not items:
        return (
            '<section id="incidents"><h2>Incidents</h2>'
            '<p class="none">No incidents were found in this run.</p></section>'
        )
    rows = []
    for item in items[:MAX_TABLE_ROWS]:
        cells = [
            f'<a href="#incident-{item.number}">{item.number}</a>',
            e(item.service),
            e(item.status),
            sev_badge(item.severity),
            zone.table(item.started_at),
            zone.table(item.detected_at),
            span_text(item.delay) if item.delay is not None else "-",
            zone.table(item.resolved_at) if item.resolved_at is not None else "open",
            count(item.peak_posts),
            count(item.baseline_posts),
            e(", ".join(item.related)) or "-",
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    note = ""
    if len(items) > MAX_TABLE_ROWS:
        note = (
            f'<p class="note">Showing the first {MAX_TABLE_ROWS:,} of {len(items):,} incidents; '
            "incidents.csv has them all.</p>"
        )
    head = "".join(f"<th>{h}</th>" for h in _table_head(zone))
    return (
        f'<section id="incidents"><h2>Incidents ({len(items):,})</h2>'
        f'<div class="scroll"><table class="incidents"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{note}</section>"
    )


def _window(
    start: pd.Timestamp,
    end: pd.Timestamp,
    first: pd.Timestamp,
    last: pd.Timestamp,
    step: pd.Timedelta,
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """24 h (or :data:`WINDOW_BUCKETS` buckets of *step*, if longer) around ``[start, end]``
    (wider if the incident is longer), kept inside the data.

    >>> T = pd.Timestamp
    >>> lo, hi = _window(T("2026-11-18 14:00Z"), T("2026-11-18 16:00Z"),
    ...                  T("2026-11-18 00:00Z"), T("2026-11-20 00:00Z"), pd.Timedelta("5min"))
    >>> str(lo), str(hi)
    ('2026-11-18 03:00:00+00:00', '2026-11-19 03:00:00+00:00')
    >>> day = pd.Timedelta(days=1)
    >>> lo, hi = _window(T("2015-06-23 00:00Z"), T("2015-06-24 00:00Z"),
    ...                  T("2015-04-01 00:00Z"), T("2015-07-31 00:00Z"), day)
    >>> str(lo.date()), str(hi.date())
    ('2015-06-12', '2015-07-06')
    """
    span = max(WINDOW, WINDOW_BUCKETS * step)
    length = max(span, (end - start) + max(pd.Timedelta(hours=4), 4 * step))
    # the normal level before the rise matters as much as the recovery after it
    lo = start - min((length - (end - start)) / 2, span * 11 / 24)
    lo = lo.floor("h") if step <= pd.Timedelta(hours=1) else lo.floor(step)
    hi = lo + length
    if hi > last:
        lo, hi = lo - (hi - last), last
    if lo < first:
        lo, hi = first, min(last, first + length)
    return lo, hi


def _incident_section(
    item: IncidentView,
    items: Sequence[IncidentView],
    by_service: Mapping[str, pd.DataFrame],
    step: pd.Timedelta,
    zone: Zone,
) -> str:
    service = item.service
    start = item.start
    end_known = [t for t in (item.resolved_at, item.detected_at, item.peak_at) if t is not None]
    head = (
        f'<section class="incident" id="incident-{item.number}">'
        f"<h2>{sev_badge(item.severity)} "
        f"{e(service)} <small>#{item.number}, {e(item.status)}</small></h2>"
    )
    facts = html.facts(item, f"posts / {fmt_duration(step)}", zone)
    if item.warmup:
        facts += (
            '<p class="note">Raised while the baseline was still warming up (less than a '
            "day of this service's history, so its daily rhythm was not known yet): only "
            "a clear jump can raise an alarm then; check it against the graph.</p>"
        )
    frame = by_service.get(service)
    if start is None:
        chart = (
            '<div class="chartbox"><p class="note">No onset or alarm time to place this '
            "incident in time.</p></div>"
        )
    elif frame is None or not len(frame):
        chart = (
            f'<div class="chartbox"><p class="note">No volume series for {e(service)} in this '
            "run.</p></div>"
        )
    else:
        # the data covers [first, last): last is the end of the final bucket
        first, last = frame["bucket_start"].min(), frame["bucket_start"].max() + step
        end = max(end_known) if end_known else start
        lo, hi = _window(start, end, first, last, step)
        same = [other for other in items if other.service == service]
        chart = chart_box(
            frame,
            step,
            lo,
            hi,
            spans=html.spans(same, item, last),
            markers=html.markers(item, zone),
            title=f"{service}: outage posts per bucket against the expected baseline",
            zone=zone,
        )
    return head + facts + chart + html.details(item) + "</section>"


def _quiet_section(by_service: Mapping[str, pd.DataFrame], step: pd.Timedelta, zone: Zone) -> str:
    frame = by_service.get(ALL_SERVICES)
    label = ALL_SERVICES
    if frame is None or not len(frame):
        return (
            '<section class="quiet"><h2>Volume</h2>'
            '<p class="note">The run produced no volume series.</p></section>'
        )
    lo, hi = frame["bucket_start"].min(), frame["bucket_start"].max() + step
    chart = chart_box(
        frame,
        step,
        lo,
        hi,
        title=f"{label}: outage posts per bucket against the expected baseline",
        zone=zone,
    )
    return (
        f'<section class="quiet"><h2>Outage posts, {e(label)}</h2>'
        f"<p>Outage posts over the whole period, against the expected baseline.</p>{chart}"
        "</section>"
    )


def _overall_posts(posts: pd.DataFrame) -> str:
    """Counts over every scored post: outage share and outage posts per symptom / service."""
    n = len(posts)
    out = ['<section id="overall"><h2>All scored posts</h2>']
    if "is_outage" not in posts.columns:
        out.append(f"<p>{n:,} posts scored.</p></section>")
        return "".join(out)
    outage = posts["is_outage"].fillna(False).astype(bool)
    k = int(outage.sum())
    out.append(f"<p>{k:,} of {n:,} posts ({k / n:.1%}) were classified as outage reports.</p>")
    blocks = []
    if k and "symptom" in posts.columns:
        counts = posts.loc[outage, "symptom"].fillna("unknown").astype(str).value_counts()
        shares = [(name, c / k) for name, c in counts.head(8).items()]
        blocks.append(
            f'<div class="block"><h3>Outage posts by symptom</h3>{share_bars(shares)}</div>'
        )
    if k and "service" in posts.columns:
        counts = posts.loc[outage, "service"].fillna("unmatched").astype(str).value_counts()
        shares = [(name, c / k) for name, c in counts.head(8).items()]
        blocks.append(
            f'<div class="block"><h3>Outage posts by service</h3>{share_bars(shares)}</div>'
        )
    if blocks:
        out.append(f'<div class="details">{"".join(blocks)}</div>')
    out.append("</section>")
    return "".join(out)


def _footer(step: pd.Timedelta, zone: Zone) -> str:
    where = "All times are UTC." if zone.is_utc else f"All times are in {e(zone.name)}."
    return (
        "<footer><h2>How to read this report</h2><ul>"
        f"<li>Bars count the posts classified as outage reports per {fmt_duration(step)} "
        "bucket. The dashed line is the expected count (the baseline learned from the "
        "service's own past); the grey band is the range that count would fall in 95% of "
        "the time if nothing were wrong.</li>"
        "<li><b>Onset</b> is the estimated start of the rise (a change point, found after "
        "the fact); <b>alarm</b> is the bucket at which the detector raised the incident, "
        "judged from earlier posts only; <b>resolved</b> is when volume returned to the "
        "baseline.</li>"
        f"<li>{where} Full data: incidents.csv, series.csv, posts.parquet, "
        "quarantine.csv, summary.json next to this file.</li></ul></footer>"
    )


__all__ = ["CSP", "MAX_BARS", "SERIES_COLUMNS", "downsample", "render_report", "write_report"]
