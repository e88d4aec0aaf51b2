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

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from detector.batch.svg import (
    Marker,
    MarkerKind,
    Span,
    fmt_duration,
    share_bars,
    time_chart,
)
from detector.errors import SchemaError
from detector.series.buckets import bucket_width

#: Most bars one chart draws; longer windows are summed into coarser buckets.
MAX_BARS = 600
#: Incidents that get a section with a chart; the rest are listed in the table only.
MAX_SECTIONS = 25
#: Rows of the incident table; the rest are in incidents.csv.
MAX_TABLE_ROWS = 500
#: Width of the chart window around an incident.
WINDOW = pd.Timedelta(hours=24)

SERIES_COLUMNS = ("service", "bucket_start", "outage_posts", "all_posts", "baseline")
ALL_SERVICES = "all services"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

# Coarser bucket lengths to fall back on for long windows (each a round clock length).
_COARSE = tuple(
    pd.Timedelta(s)
    for s in ("10min", "15min", "30min", "1h", "2h", "3h", "6h", "12h", "1D", "2D", "7D")
)


def render_report(
    *,
    series: pd.DataFrame,
    incidents: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    posts: pd.DataFrame | None = None,
    title: str = "outage-detector report",
    bucket: str = "5min",
) -> str:
    """The report as one self-contained HTML document.

    ``series`` has :data:`SERIES_COLUMNS`; ``incidents`` are dicts with the
    DESIGN.md incident fields (times as ISO 8601 strings or ``None``); ``summary`` has
    ``rows_read, rows_scored, rows_quarantined, rows_duplicate, incidents, seconds``
    and optionally ``inputs``, ``model``, ``engine``; ``posts`` (optional, scored posts)
    only feeds overall counts and is never rendered row by row. ``bucket`` is the
    length of one series bucket (a pandas offset such as ``"5min"``).

    Raises :class:`~detector.errors.SchemaError` when ``series`` lacks a column or an
    incident time cannot be read, :class:`~detector.errors.UsageError` for a bad ``bucket``.
    """
    step = _bucket_step(bucket)
    _require_columns(series)
    items = [_parse_incident(i, n) for n, i in enumerate(incidents)]
    items.sort(key=lambda i: (i["started_at"] or i["detected_at"] or _FAR, i["service"]))
    for number, item in enumerate(items, start=1):
        item["number"] = number
    # only the series that get a chart are cleaned and split: big runs have many services
    names = series["service"].astype(str)
    wanted = {i["service"] for i in items} or {ALL_SERVICES}
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
        _header(title, items, summary, services, period, step),
        _accounting(summary),
        _incident_table(items),
    ]
    if items:
        chosen = sorted(items, key=_importance)[:MAX_SECTIONS]
        chosen_numbers = {i["number"] for i in chosen}
        for item in items:
            if item["number"] in chosen_numbers:
                body.append(_incident_section(item, items, by_service, step))
        if len(items) > MAX_SECTIONS:
            body.append(
                f'<p class="note">{len(items) - MAX_SECTIONS:,} more incidents are listed in '
                f"the table only (the {MAX_SECTIONS} most severe have a chart).</p>"
            )
    else:
        body.append(_quiet_section(by_service, step))
    if posts is not None and len(posts):
        body.append(_overall_posts(posts))
    body.append(_footer(step))
    return _page(title, "\n".join(body))


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


def _time(value: Any) -> pd.Timestamp | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _parse_incident(raw: Mapping[str, Any], index: int) -> dict[str, Any]:
    """Normalise one incident dict: Timestamps for times, lists/dicts where expected."""
    if not isinstance(raw, Mapping) and hasattr(raw, "to_dict"):
        raw = raw.to_dict()  # an Incident record instead of its dict
    if "service" not in raw:
        raise SchemaError(f"render_report: incident #{index + 1} has no 'service' field.")
    item: dict[str, Any] = {"service": str(raw["service"])}
    for name in ("started_at", "detected_at", "resolved_at", "peak_at"):
        try:
            item[name] = _time(raw.get(name))
        except (ValueError, TypeError) as exc:
            raise SchemaError(
                f"render_report: incident #{index + 1} ({item['service']}) has an unreadable "
                f"{name}: expected an ISO 8601 time or null. Got {raw.get(name)!r} instead."
            ) from exc
    item["status"] = str(raw.get("status") or ("resolved" if item["resolved_at"] else "open"))
    item["severity"] = str(raw.get("severity") or "warning")
    item["warmup"] = bool(raw.get("warmup"))
    for name in ("peak_posts", "baseline_posts", "score"):
        item[name] = _float(raw.get(name))
    symptoms = raw.get("symptoms") or {}
    item["symptoms"] = dict(symptoms) if isinstance(symptoms, Mapping) else {}
    for name in ("top_terms", "sample_posts", "related"):
        value = raw.get(name) or []
        values = [value] if isinstance(value, str) else value
        item[name] = [str(v) for v in values if v is not None]
    return item


def _importance(item: Mapping[str, Any]) -> tuple:
    """Sort key: major before warning, then the largest peak."""
    return (item["severity"] != "major", -(item["peak_posts"] or 0.0), item["number"])


# --------------------------------------------------------------------------- formatting


def _clock(ts: pd.Timestamp | None, *, date: bool = True) -> str:
    """'14:15 UTC, 18 Nov 2026' (or just the clock)."""
    if ts is None:
        return "-"
    return f"{ts:%H:%M} UTC, {ts.day} {ts:%b %Y}" if date else f"{ts:%H:%M}"


def _table_time(ts: pd.Timestamp | None) -> str:
    return "-" if ts is None else ts.strftime("%Y-%m-%d %H:%M")


def _span_text(delta: pd.Timedelta) -> str:
    """'40 min', '3 h 5 min', '2 days 4 h'.

    >>> _span_text(pd.Timedelta("3h5min")), _span_text(pd.Timedelta("-10min"))
    ('3 h 5 min', '-10 min')
    """
    sign = "-" if delta < pd.Timedelta(0) else ""
    minutes = int(round(abs(delta.total_seconds()) / 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days > 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return sign + " ".join(parts[:2])


def _count(value: Any) -> str:
    number = _float(value)
    if number is None:
        return "-"
    return f"{number:,.0f}" if float(number).is_integer() else f"{number:,.1f}"


def _posts(value: Any, unit: str, kind: str = "") -> str:
    """'41 outage posts / 5 min', '1 post / 5 min'.

    >>> _posts(1, "posts / 5 min"), _posts(2.25, "posts / 5 min", "outage ")
    ('1 post / 5 min', '2.2 outage posts / 5 min')
    """
    text = _count(value)
    if text == "1":
        unit = unit.replace("posts", "post", 1)
    return f"{text} {kind}{unit}"


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


# --------------------------------------------------------------------------- sections


def _headline(
    items: Sequence[Mapping[str, Any]], services: Iterable[str], period: str, unit: str = ""
) -> tuple[str, str]:
    """``(lead, sentence)``: the count of incidents and one sentence of facts about them.

    >>> _headline([], ["all services", "Gmail"], "18 Nov 2026")
    ('No incidents.', 'No alarm was raised for 1 service over 18 Nov 2026.')
    """
    if not items:
        names = [s for s in services if s != ALL_SERVICES]
        watched = f" for {len(names):,} service{'s' if len(names) != 1 else ''}" if names else ""
        return "No incidents.", f"No alarm was raised{watched} over {period}."
    ranked = sorted(items, key=_importance)
    services_hit = {i["service"] for i in items}
    lead = f"{len(items):,} incident{'s' if len(items) > 1 else ''}"
    if len(services_hit) > 1:
        lead += f" in {len(services_hit):,} services"
    first = ranked[0]
    facts = []
    if first["detected_at"] is not None:
        detected = f"detected {_clock(first['detected_at'])}"
        if first["started_at"] is not None:
            delay = first["detected_at"] - first["started_at"]
            detected += (
                f", {_span_text(delay)} after the estimated onset at "
                f"{_clock(first['started_at'], date=False)}"
            )
        facts.append(detected)
    if first["peak_posts"] is not None:
        peak = f"peak {_count(first['peak_posts'])} outage {unit or 'posts per bucket'}"
        if first["baseline_posts"] is not None:
            peak += f" ({_count(first['baseline_posts'])} expected)"
        facts.append(peak)
    if first["resolved_at"] is not None:
        facts.append(f"resolved {_clock(first['resolved_at'])}")
    else:
        facts.append("still open at the end of the data")
    sentence = f"{first['service']} ({first['severity']}): " + "; ".join(facts) + "."
    others = ranked[1:4]
    if others:
        sentence += " Also " + "; ".join(
            f"{o['service']} ({o['severity']}, detected {_clock(o['detected_at'])})" for o in others
        )
        sentence += f" and {len(ranked) - 4:,} more." if len(ranked) > 4 else "."
    return lead + ":", sentence


def _header(
    title: str,
    items: Sequence[Mapping[str, Any]],
    summary: Mapping[str, Any],
    services: Sequence[str],
    period: tuple[pd.Timestamp, pd.Timestamp] | None,
    step: pd.Timedelta,
) -> str:
    meta = []
    span = "the period"
    if period is not None:
        start, end = period
        span = f"{_span_text(end - start)} of posts ({_table_time(start)} to "
        span += f"{_table_time(end)} UTC)"
        meta.append(f"period {_table_time(start)} to {_table_time(end)} UTC")
    meta.append(f"bucket {fmt_duration(step)}")
    for key in ("model", "engine"):
        if summary.get(key):
            meta.append(f"{key} {summary[key]}")
    if summary.get("tz") and summary["tz"] != "UTC":
        meta.append(f"times without a zone read as {summary['tz']}")
    inputs = summary.get("inputs") or []
    if isinstance(inputs, str):
        inputs = [inputs]
    if inputs:
        shown = ", ".join(Path(str(p)).name for p in list(inputs)[:5])
        more = f" and {len(inputs) - 5} more" if len(inputs) > 5 else ""
        meta.append(f"input {shown}{more}")
    lead, sentence = _headline(items, services, span, f"posts / {fmt_duration(step)}")
    css = "headline alert" if items else "headline quiet"
    return (
        f"<header><h1>{_e(title)}</h1>"
        f'<p class="{css}"><strong>{_e(lead)}</strong> {_e(sentence)}</p>'
        f'<p class="meta">{" &middot; ".join(_e(m) for m in meta)}</p></header>'
    )


def _accounting(summary: Mapping[str, Any]) -> str:
    """The run's numbers, and whether they add up."""
    cards = [
        ("rows read", "rows_read"),
        ("scored", "rows_scored"),
        ("quarantined", "rows_quarantined"),
        ("duplicates", "rows_duplicate"),
        ("incidents", "incidents"),
    ]
    html = ['<section id="accounting"><h2>Run</h2><div class="cards">']
    for label, key in cards:
        html.append(
            f'<div class="card"><div class="num">{_count(summary.get(key))}</div>'
            f'<div class="lbl">{label}</div></div>'
        )
    seconds = _float(summary.get("seconds"))
    html.append(
        f'<div class="card"><div class="num">{"-" if seconds is None else f"{seconds:,.1f}"}'
        '</div><div class="lbl">seconds</div></div></div>'
    )
    parts = [_float(summary.get(k)) for k in ("rows_scored", "rows_quarantined", "rows_duplicate")]
    read = _float(summary.get("rows_read"))
    if read is not None and None not in parts:
        gap = read - sum(p for p in parts if p is not None)
        if gap == 0:
            html.append(
                '<p class="check ok">Every row is accounted for: rows read = scored + '
                "quarantined + duplicates.</p>"
            )
        else:
            problem = (
                f"{_count(gap)} row{'s' if gap != 1 else ''} read "
                f"{'are' if gap != 1 else 'is'} neither scored, quarantined nor duplicate"
                if gap > 0
                else f"scored + quarantined + duplicates exceed rows read by {_count(-gap)}"
            )
            html.append(f'<p class="check bad">Accounting gap: {problem}.</p>')
    warm = summary.get("warmup_until")
    if warm:
        html.append(
            f'<p class="check">Warm-up: the baselines learned from the first day of data '
            f"(until {_e(str(warm))}); alarms in that day need a clear jump and are marked "
            "as raised during warm-up.</p>"
        )
    for warning in summary.get("warnings") or []:
        html.append(f'<p class="check bad">Warning: {_e(str(warning))}</p>')
    html.append("</section>")
    return "".join(html)


_TABLE_HEAD = (
    "#",
    "service",
    "status",
    "severity",
    "started (UTC)",
    "detected (UTC)",
    "alarm delay",
    "resolved (UTC)",
    "peak posts",
    "baseline",
    "related",
)


def _incident_table(items: Sequence[Mapping[str, Any]]) -> str:
    if not items:
        return (
            '<section id="incidents"><h2>Incidents</h2>'
            '<p class="none">No incidents were found in this run.</p></section>'
        )
    rows = []
    for item in items[:MAX_TABLE_ROWS]:
        delay = (
            _span_text(item["detected_at"] - item["started_at"])
            if item["detected_at"] is not None and item["started_at"] is not None
            else "-"
        )
        cells = [
            f'<a href="#incident-{item["number"]}">{item["number"]}</a>',
            _e(item["service"]),
            _e(item["status"]),
            f'<span class="sev {_sev_class(item["severity"])}">{_e(item["severity"])}</span>',
            _table_time(item["started_at"]),
            _table_time(item["detected_at"]),
            delay,
            _table_time(item["resolved_at"]) if item["resolved_at"] is not None else "open",
            _count(item["peak_posts"]),
            _count(item["baseline_posts"]),
            _e(", ".join(item["related"])) or "-",
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    note = ""
    if len(items) > MAX_TABLE_ROWS:
        note = (
            f'<p class="note">Showing the first {MAX_TABLE_ROWS:,} of {len(items):,} incidents; '
            "incidents.csv has them all.</p>"
        )
    head = "".join(f"<th>{h}</th>" for h in _TABLE_HEAD)
    return (
        f'<section id="incidents"><h2>Incidents ({len(items):,})</h2>'
        f'<div class="scroll"><table class="incidents"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{note}</section>"
    )


def _sev_class(severity: str) -> str:
    return "major" if severity == "major" else "warning"


def _window(
    start: pd.Timestamp, end: pd.Timestamp, first: pd.Timestamp, last: pd.Timestamp
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """24 h around ``[start, end]`` (wider if the incident is longer), kept inside the data.

    >>> T = pd.Timestamp
    >>> lo, hi = _window(T("2026-11-18 14:00Z"), T("2026-11-18 16:00Z"),
    ...                  T("2026-11-18 00:00Z"), T("2026-11-20 00:00Z"))
    >>> str(lo), str(hi)
    ('2026-11-18 03:00:00+00:00', '2026-11-19 03:00:00+00:00')
    """
    length = max(WINDOW, (end - start) + pd.Timedelta(hours=4))
    # the normal level before the rise matters as much as the recovery after it
    lo = start - min((length - (end - start)) / 2, pd.Timedelta(hours=11))
    lo = lo.floor("h")
    hi = lo + length
    if hi > last:
        lo, hi = lo - (hi - last), last
    if lo < first:
        lo, hi = first, min(last, first + length)
    return lo, hi


def downsample(frame: pd.DataFrame, step: pd.Timedelta, max_bars: int = MAX_BARS):
    """Sum buckets into a coarser round length when there would be more than ``max_bars``.

    Returns ``(frame, step)``; the baseline is summed too, so both stay in posts per
    (new) bucket.

    >>> t = pd.date_range("2026-11-18", periods=12, freq="5min", tz="UTC")
    >>> f = pd.DataFrame({"bucket_start": t, "outage_posts": 1.0, "all_posts": 2.0,
    ...                   "baseline": 0.5})
    >>> small, new = downsample(f, pd.Timedelta("5min"), max_bars=5)
    >>> new, len(small), small["outage_posts"].tolist()
    (Timedelta('0 days 00:15:00'), 4, [3.0, 3.0, 3.0, 3.0])
    """
    if len(frame) == 0:
        return frame, step
    span = frame["bucket_start"].max() - frame["bucket_start"].min() + step
    if span / step <= max_bars:
        return frame, step
    coarse = next(
        (c for c in _COARSE if c > step and c % step == pd.Timedelta(0) and span / c <= max_bars),
        None,
    )
    if coarse is None:
        coarse = step * math.ceil(span / step / max_bars)
    keys = frame["bucket_start"].dt.floor(coarse)
    grouped = frame.groupby(keys, sort=True)
    out = pd.DataFrame(
        {
            "outage_posts": grouped["outage_posts"].sum(),
            "all_posts": grouped["all_posts"].sum(),
            "baseline": grouped["baseline"].sum(min_count=1),
        }
    )
    out.index.name = "bucket_start"
    return out.reset_index(), coarse


def _chart_for(
    frame: pd.DataFrame,
    step: pd.Timedelta,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    *,
    spans: Sequence[Span],
    markers: Sequence[Marker],
    title: str,
) -> str:
    window = frame[(frame["bucket_start"] >= lo) & (frame["bucket_start"] < hi)]
    window, shown = downsample(window, step)
    note = ""
    if shown != step:
        note = (
            f'<p class="note">Buckets summed to {fmt_duration(shown)} to keep the chart '
            "readable.</p>"
        )
    unit = f"posts / {fmt_duration(shown)}"  # axis units stay plural
    return (
        time_chart(window, step=shown, unit=unit, spans=spans, markers=markers, title=title) + note
    )


_MARKED: tuple[tuple[str, MarkerKind], ...] = (
    ("started_at", "onset"),
    ("detected_at", "alarm"),
    ("resolved_at", "resolved"),
)


def _incident_section(
    item: Mapping[str, Any],
    items: Sequence[Mapping[str, Any]],
    by_service: Mapping[str, pd.DataFrame],
    step: pd.Timedelta,
) -> str:
    service = item["service"]
    number = item["number"]
    start = item["started_at"] or item["detected_at"]
    end_known = [t for t in (item["resolved_at"], item["detected_at"], item["peak_at"]) if t]
    head = (
        f'<section class="incident" id="incident-{number}">'
        f'<h2><span class="sev {_sev_class(item["severity"])}">{_e(item["severity"])}</span> '
        f"{_e(service)} <small>#{number}, {_e(item['status'])}</small></h2>"
    )
    facts = _facts(item, f"posts / {fmt_duration(step)}")
    if item.get("warmup"):
        facts += (
            '<p class="note">Raised while the baseline was still warming up (less than a '
            "day of this service's history, so its daily rhythm was not known yet): only "
            "a clear jump can raise an alarm then; check it against the graph.</p>"
        )
    frame = by_service.get(service)
    if start is None:
        chart = '<p class="note">No onset or alarm time to place this incident in time.</p>'
    elif frame is None or not len(frame):
        chart = f'<p class="note">No volume series for {_e(service)} in this run.</p>'
    else:
        # the data covers [first, last): last is the end of the final bucket
        first, last = frame["bucket_start"].min(), frame["bucket_start"].max() + step
        end = max(end_known) if end_known else start
        lo, hi = _window(start, end, first, last)
        spans = []
        for other in items:
            if other["service"] != service:
                continue
            o_start = other["started_at"] or other["detected_at"]
            if o_start is None:
                continue
            o_end = other["resolved_at"] or last
            spans.append(Span(o_start, o_end, focal=other["number"] == number))
        markers = [
            Marker(item[key], f"{kind} {_clock(item[key], date=False)}", kind)
            for key, kind in _MARKED
            if item[key] is not None
        ]
        chart = _chart_for(
            frame,
            step,
            lo,
            hi,
            spans=spans,
            markers=markers,
            title=f"{service}: outage posts per bucket against the expected baseline",
        )
    return head + facts + f'<div class="chartbox">{chart}</div>' + _details(item) + "</section>"


def _facts(item: Mapping[str, Any], unit: str) -> str:
    """The incident's times and sizes as a definition list: ``(term, value, note)``."""
    onset, alarm, resolved = item["started_at"], item["detected_at"], item["resolved_at"]
    rows = [("estimated onset", _clock(onset), "")]
    delay = f"{_span_text(alarm - onset)} after onset" if alarm and onset else ""
    rows.append(("alarm raised", _clock(alarm), delay))
    if resolved is not None:
        lasted = f"lasted {_span_text(resolved - onset)}" if onset else ""
        rows.append(("resolved", _clock(resolved), lasted))
    else:
        rows.append(("resolved", "not yet", "open at the end of the data"))
    peak_at = f"at {_clock(item['peak_at'])}" if item["peak_at"] is not None else ""
    rows.append(("peak", _posts(item["peak_posts"], unit, "outage "), peak_at))
    rows.append(("baseline (expected)", _posts(item["baseline_posts"], unit), ""))
    if item["score"] is not None:
        rows.append(("score", f"{item['score']:.2f}", ""))
    if item["related"]:
        rows.append(("failing together", ", ".join(item["related"]), ""))
    cells = "".join(
        f"<div><dt>{_e(term)}</dt><dd>{_e(value)}"
        + (f' <span class="sub">{_e(note)}</span>' if note else "")
        + "</dd></div>"
        for term, value, note in rows
    )
    return f'<dl class="facts">{cells}</dl>'


def _shares(values: Mapping[str, Any]) -> list[tuple[str, float]]:
    """``(label, share)`` sorted by share; counts or percentages are turned into shares."""
    clean = [(str(k), _float(v) or 0.0) for k, v in values.items()]
    clean = [(k, max(v, 0.0)) for k, v in clean]
    total = sum(v for _, v in clean)
    if total > 1.0001:
        clean = [(k, v / total) for k, v in clean]
    return sorted(clean, key=lambda kv: (-kv[1], kv[0]))


def _details(item: Mapping[str, Any]) -> str:
    blocks = []
    if item["symptoms"]:
        blocks.append(
            f'<div class="block"><h3>Symptoms</h3>{share_bars(_shares(item["symptoms"])[:8])}</div>'
        )
    if item["top_terms"]:
        terms = "".join(f"<li>{_e(t)}</li>" for t in item["top_terms"][:12])
        blocks.append(f'<div class="block"><h3>Top terms</h3><ul class="terms">{terms}</ul></div>')
    if item["sample_posts"]:
        posts = "".join(
            f"<blockquote>{_e(_clip(p))}</blockquote>" for p in item["sample_posts"][:5]
        )
        blocks.append(f'<div class="block wide"><h3>Sample posts</h3>{posts}</div>')
    return f'<div class="details">{"".join(blocks)}</div>' if blocks else ""


def _clip(text: str, limit: int = 280) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _quiet_section(by_service: Mapping[str, pd.DataFrame], step: pd.Timedelta) -> str:
    frame = by_service.get(ALL_SERVICES)
    label = ALL_SERVICES
    if frame is None or not len(frame):
        return (
            '<section class="quiet"><h2>Volume</h2>'
            '<p class="note">The run produced no volume series.</p></section>'
        )
    lo, hi = frame["bucket_start"].min(), frame["bucket_start"].max() + step
    chart = _chart_for(
        frame,
        step,
        lo,
        hi,
        spans=(),
        markers=(),
        title=f"{label}: outage posts per bucket against the expected baseline",
    )
    return (
        f'<section class="quiet"><h2>Outage posts, {_e(label)}</h2>'
        "<p>Outage posts over the whole period, against the expected baseline.</p>"
        f'<div class="chartbox">{chart}</div></section>'
    )


def _overall_posts(posts: pd.DataFrame) -> str:
    """Counts over every scored post: outage share and outage posts per symptom / service."""
    n = len(posts)
    html = ['<section id="overall"><h2>All scored posts</h2>']
    if "is_outage" not in posts.columns:
        html.append(f"<p>{n:,} posts scored.</p></section>")
        return "".join(html)
    outage = posts["is_outage"].fillna(False).astype(bool)
    k = int(outage.sum())
    html.append(f"<p>{k:,} of {n:,} posts ({k / n:.1%}) were classified as outage reports.</p>")
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
        html.append(f'<div class="details">{"".join(blocks)}</div>')
    html.append("</section>")
    return "".join(html)


def _footer(step: pd.Timedelta) -> str:
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
        "<li>All times are UTC. Full data: incidents.csv, series.csv, posts.parquet, "
        "quarantine.csv, summary.json next to this file.</li></ul></footer>"
    )


_CSS = """
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
td:nth-child(9),td:nth-child(10),th:nth-child(9),th:nth-child(10){text-align:right}
th{font-size:12px;color:var(--muted);font-weight:600;white-space:normal;vertical-align:bottom}
td:last-child{white-space:normal;min-width:120px}
a{color:var(--blue)}
.sev{display:inline-block;padding:0 7px;border-radius:9px;font-size:12px;font-weight:600;
border:1px solid}
.sev.major{color:#9c3b00;border-color:var(--verm);background:#fbe3d6}
.sev.warning{color:#6b4b00;border-color:var(--orange);background:#fdf0d5}
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


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>\n{body}\n</main></body></html>\n"
    )


__all__ = ["CSP", "MAX_BARS", "SERIES_COLUMNS", "downsample", "render_report", "write_report"]
