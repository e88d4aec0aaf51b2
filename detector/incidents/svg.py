"""Inline SVG charts of incidents: a volume-over-time chart and share bars.

One implementation for both pages a person reads: the batch ``report.html`` and the
live status page of ``serve``.

Everything here returns SVG markup as a string, escapes every text it draws and uses
no scripts, event handlers or external references, so the markup can be pasted into a
self-contained HTML page under a strict Content-Security-Policy. The palette is
Okabe-Ito (colour-blind safe); markers differ by line style too, not by colour alone.

>>> svg = share_bars([("access", 0.75), ("<b>app</b>", 0.25)])
>>> svg.startswith("<svg") and "&lt;b&gt;app&lt;/b&gt;" in svg and "75%" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

#: Okabe-Ito colours used by the charts (and by the report's CSS).
BLUE = "#0072B2"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
GREEN = "#009E73"
GREY = "#6b6b6b"
BAND = "#d9d9d9"
INK = "#222222"
GRID = "#ececec"

_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_TICK_MINUTES = (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 4320, 10080, 20160, 43200)

MarkerKind = Literal["onset", "alarm", "resolved"]


@dataclass(frozen=True)
class Marker:
    """A labelled vertical line at ``at`` (``kind`` sets colour and dash pattern)."""

    at: pd.Timestamp
    label: str
    kind: MarkerKind


@dataclass(frozen=True)
class Span:
    """A shaded time interval ``[start, end)``; ``focal`` spans are drawn stronger."""

    start: pd.Timestamp
    end: pd.Timestamp
    focal: bool = True


def fmt_duration(step: pd.Timedelta) -> str:
    """Short human form of a bucket length, as used in axis units.

    >>> fmt_duration(pd.Timedelta("5min")), fmt_duration(pd.Timedelta("2h"))
    ('5 min', '2 h')
    >>> fmt_duration(pd.Timedelta("1D")), fmt_duration(pd.Timedelta("90s"))
    ('1 day', '90 s')
    """
    seconds = int(step.total_seconds())
    for size, unit in ((86400, "day"), (3600, "h"), (60, "min")):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            plural = "s" if unit == "day" and count > 1 else ""
            return f"{count} {unit}{plural}"
    return f"{seconds} s"


def nice_ticks(top: float, target: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top`` (steps of 1, 2 or 5 x 10^k).

    >>> nice_ticks(87)
    [0, 20, 40, 60, 80, 100]
    >>> nice_ticks(0.4)
    [0, 1]
    """
    top = max(float(top), 1.0)
    raw = top / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(step, 1)  # counts: no fractional ticks
    count = math.ceil(top / step - 1e-9)
    return [int(i * step) if float(i * step).is_integer() else i * step for i in range(count + 1)]


def time_ticks(
    start: pd.Timestamp, end: pd.Timestamp, target: int = 8, zone: str = "UTC"
) -> tuple[list[pd.Timestamp], pd.Timedelta]:
    """Tick times in ``[start, end]`` on round clock times of ``zone``, and the tick step.

    The ticks are UTC timestamps (for placing them); read them in ``zone`` for labels.

    >>> T = pd.Timestamp
    >>> ticks, step = time_ticks(T("2026-11-18 02:10Z"), T("2026-11-19 02:10Z"))
    >>> step, ticks[0].strftime("%H:%M"), len(ticks)
    (Timedelta('0 days 03:00:00'), '03:00', 8)
    >>> ticks, _ = time_ticks(T("2026-11-18 02:10Z"), T("2026-11-19 02:10Z"), zone="Asia/Kolkata")
    >>> ticks[0].tz_convert("Asia/Kolkata").strftime("%H:%M")
    '09:00'
    """
    span_minutes = max((end - start).total_seconds() / 60, 1)
    minutes = next((m for m in _TICK_MINUTES if span_minutes / m <= target), _TICK_MINUTES[-1])
    step = pd.Timedelta(minutes=minutes)
    # round clock times of the zone: count in its wall-clock time, then place in UTC
    local_start = start.tz_convert(zone).tz_localize(None)
    local_end = end.tz_convert(zone).tz_localize(None)
    tick = local_start.floor("D")
    while tick < local_start:
        tick += step
    ticks = []
    while tick <= local_end:
        placed = (
            pd.Timestamp(tick)
            .tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
            .tz_convert("UTC")
        )
        if not ticks or placed > ticks[-1]:
            ticks.append(placed)
        tick += step
    return ticks, step


def _num(value: float) -> str:
    """Compact coordinate text (one decimal, no trailing ``.0``)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text_width(text: str, size: float) -> float:
    return 0.58 * size * len(text)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Index ranges ``[a, b)`` where ``mask`` is true."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(mask)))
    return runs


def expected_range(baseline: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Central Poisson interval around the expected counts (NaN stays NaN).

    >>> low, high = expected_range(np.array([4.0, np.nan]))
    >>> float(low[0]), float(high[0]), bool(np.isnan(high[1]))
    (1.0, 8.0, True)
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (exclusive). Got {level!r} instead.")
    mu = np.clip(np.asarray(baseline, dtype=float), 0, None)
    tail = (1 - level) / 2
    with np.errstate(invalid="ignore"):
        low = _poisson_ppf(tail, mu)
        high = _poisson_ppf(1 - tail, mu)
    low = np.where(np.isnan(mu), np.nan, np.nan_to_num(low, nan=0.0))
    high = np.where(np.isnan(mu), np.nan, np.nan_to_num(high, nan=0.0))
    return low, high


def _poisson_ppf(q: float, mu: np.ndarray) -> np.ndarray:
    """``scipy.stats.poisson.ppf(q, mu)`` for 0 < q < 1, as scipy computes it, without
    importing ``scipy.stats`` (over a second of every report's start-up).

    >>> _poisson_ppf(0.975, np.array([0.0, 4.0, 100.0])).tolist()
    [0.0, 8.0, 120.0]
    """
    vals = np.ceil(special.pdtrik(q, mu))
    below = np.maximum(vals - 1, 0)
    return np.where(special.pdtr(below, mu) >= q, below, vals)


#: Most bars one chart draws; longer windows are summed into coarser buckets.
MAX_BARS = 600

# Coarser bucket lengths to fall back on for long windows (each a round clock length).
_COARSE = tuple(
    pd.Timedelta(s)
    for s in ("10min", "15min", "30min", "1h", "2h", "3h", "6h", "12h", "1D", "2D", "7D")
)


def downsample(
    frame: pd.DataFrame, step: pd.Timedelta, max_bars: int = MAX_BARS
) -> tuple[pd.DataFrame, pd.Timedelta]:
    """Sum buckets into a coarser round length when there would be more than ``max_bars``.

    Returns ``(frame, step)``; the baseline is summed too, so both stay in posts per
    (new) bucket. A ``status`` column keeps the worst judgement of the buckets summed.

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
    columns = {
        "outage_posts": grouped["outage_posts"].sum(),
        "all_posts": grouped["all_posts"].sum(),
        "baseline": grouped["baseline"].sum(min_count=1),
    }
    if "status" in frame.columns:
        rank = frame["status"].map(_STATUS_RANK).fillna(-1)
        worst = rank.groupby(keys, sort=True).max()
        columns["status"] = worst.map({v: k for k, v in _STATUS_RANK.items()})
    out = pd.DataFrame(columns)
    out.index.name = "bucket_start"
    return out.reset_index(), coarse


_STATUS_RANK = {"ok": 0, "possible": 1, "outage": 2}


def time_chart(
    frame: pd.DataFrame,
    *,
    step: pd.Timedelta,
    unit: str,
    spans: Sequence[Span] = (),
    markers: Sequence[Marker] = (),
    title: str = "",
    zone: str = "UTC",
    width: int = 960,
    height: int = 300,
) -> str:
    """Bars of outage posts per bucket over the expected baseline (dashed) and its range.

    ``frame`` has ``bucket_start`` (UTC), ``outage_posts`` and ``baseline`` (NaN where
    no baseline is known yet), one row per bucket of length ``step``; ``unit`` is the
    y-axis unit (e.g. ``"posts / 5 min"``). An optional ``status`` column (the
    detector's own judgement of each bucket: ``ok``, ``possible``, ``outage`` or
    empty while not judged yet) is drawn as a strip under the time axis. The time
    axis reads in ``zone`` (an IANA name) and says so.

    >>> t = pd.date_range("2026-11-18", periods=4, freq="5min", tz="UTC")
    >>> f = pd.DataFrame({"bucket_start": t, "outage_posts": [1, 9, 2, 0],
    ...                   "baseline": [1.0, 1.0, 1.0, np.nan]})
    >>> svg = time_chart(f, step=pd.Timedelta("5min"), unit="posts / 5 min",
    ...                  markers=[Marker(t[1], "alarm 00:05", "alarm")], title="A & B")
    >>> "A &amp; B" in svg and "alarm 00:05" in svg and svg.count("<svg") == 1
    True
    """
    judged = _judged(frame)
    strip = 9 if judged is not None else 0
    legend = _legend_items(unit, bool(spans), judged is not None)
    rows = _legend_rows(legend, width - 58 - 18)
    left, right, bottom = 58, 18, 66 + strip + 16 * (len(rows) - 1)
    top = 40 if markers else 14
    height = (height if markers else height - 26) + strip + 16 * (len(rows) - 1)
    plot_w, plot_h = width - left - right, height - top - bottom
    times = pd.DatetimeIndex(frame["bucket_start"])
    counts = frame["outage_posts"].to_numpy(dtype=float)
    baseline = frame["baseline"].to_numpy(dtype=float)
    low, high = expected_range(baseline)
    if len(times):
        t0, t1 = times.min(), times.max() + step
    else:
        t0 = pd.Timestamp("1970-01-01", tz="UTC")
        t1 = t0 + step
    total = (t1 - t0).total_seconds()

    def x_of(ts: pd.Timestamp) -> float:
        return left + plot_w * (ts - t0).total_seconds() / total

    peak = float(np.nanmax(np.concatenate([counts, high, [1.0]])))
    yticks = nice_ticks(peak)
    y_max = float(yticks[-1])

    def y_of(value: float) -> float:
        return top + plot_h * (1 - value / y_max)

    base_y = top + plot_h
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" style="{_FONT}">',
        f"<title>{escape(title)}</title>",
    ]
    # grid and y axis
    for tick in yticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{_num(y)}" y2="{_num(y)}" '
            f'stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{_num(y + 4)}" font-size="11" text-anchor="end" '
            f'fill="{INK}">{tick:g}</text>'
        )
    # incident spans under everything else
    for span in spans:
        a, b = max(span.start, t0), min(span.end, t1)
        if b <= a:
            continue
        opacity = "0.22" if span.focal else "0.10"
        parts.append(
            f'<rect x="{_num(x_of(a))}" y="{top}" width="{_num(x_of(b) - x_of(a))}" '
            f'height="{plot_h}" fill="{ORANGE}" fill-opacity="{opacity}"/>'
        )
    bar_w = plot_w * step.total_seconds() / total
    offsets = np.array([(t - t0).total_seconds() for t in times]) / total * plot_w + left
    # expected range band and baseline line, broken where the baseline is unknown
    band, line = [], []
    for a, b in _runs(~np.isnan(baseline)):
        xs = offsets[a:b] + bar_w / 2
        upper = " ".join(f"{_num(x)},{_num(y_of(v))}" for x, v in zip(xs, high[a:b], strict=True))
        lower = " ".join(
            f"{_num(x)},{_num(y_of(v))}" for x, v in zip(xs[::-1], low[a:b][::-1], strict=True)
        )
        band.append(f'<polygon points="{upper} {lower}" fill="{BAND}" fill-opacity="0.7"/>')
        pts = " ".join(f"{_num(x)},{_num(y_of(v))}" for x, v in zip(xs, baseline[a:b], strict=True))
        line.append(
            f'<polyline points="{pts}" fill="none" stroke="{GREY}" stroke-width="1.5" '
            f'stroke-dasharray="5 3"/>'
        )
    parts.extend(band)
    path = _bars_path(offsets, [y_of(v) for v in counts], bar_w, base_y)
    if path:
        parts.append(f'<path d="{path}" fill="{BLUE}"/>')
    parts.extend(line)
    # x axis
    parts.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{base_y}" y2="{base_y}" stroke="{INK}"/>'
    )
    if judged is not None:
        parts.extend(_status_strip(judged, offsets, bar_w, base_y + 2))
    label_y = base_y + strip
    ticks, tick_step = time_ticks(t0, t1, target=max(4, plot_w // 110), zone=zone)
    for i, tick in enumerate(ticks):
        x = x_of(tick)
        wall = tick.tz_convert(zone)
        daily = tick_step >= pd.Timedelta("1D")
        first_line = f"{wall.day} {wall:%b}" if daily else f"{wall:%H:%M}"
        parts.append(
            f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{base_y}" y2="{label_y + 5}" '
            f'stroke="{INK}"/>'
            f'<text x="{_num(x)}" y="{label_y + 17}" font-size="11" text-anchor="middle" '
            f'fill="{INK}">{first_line}</text>'
        )
        if not daily and (i == 0 or (wall.hour == 0 and wall.minute == 0)):
            parts.append(
                f'<text x="{_num(x)}" y="{label_y + 30}" font-size="10" text-anchor="middle" '
                f'fill="{GREY}">{wall.day} {wall:%b}</text>'
            )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{label_y + 44}" font-size="11" text-anchor="middle" '
        f'fill="{INK}">time ({escape(zone)})</text>'
        f'<text transform="translate(14 {top + plot_h / 2}) rotate(-90)" font-size="11" '
        f'text-anchor="middle" fill="{INK}">outage {escape(unit)}</text>'
    )
    parts.extend(_markers(markers, x_of, t0, t1, top, base_y, left, left + plot_w))
    first_row = height - 8 - 16 * (len(rows) - 1)
    for r, row in enumerate(rows):
        parts.append(_legend(left, first_row + 16 * r, row))
    parts.append("</svg>")
    return "".join(parts)


def _bars_path(xs: Sequence[float], ys: Sequence[float], bar_w: float, base_y: float) -> str:
    """One SVG path for all bars: separate bars when wide, a step area when dense.

    >>> _bars_path([10.0, 20.0], [5.0, 50.0], 10.0, 50.0)
    'M11.2 50V5h7.5V50z'
    >>> _bars_path([10.0, 11.0], [5.0, 8.0], 1.0, 50.0)
    'M10 50H10V5H11H11V8H12V50z'
    """
    if bar_w > 2.5:
        gap = 0.25 * bar_w
        return "".join(
            f"M{_num(x + gap / 2)} {_num(base_y)}V{_num(y)}h{_num(bar_w - gap)}V{_num(base_y)}z"
            for x, y in zip(xs, ys, strict=True)
            if y < base_y
        )
    # dense: thin bars alias into noise, a step outline reads better and is smaller
    if not len(xs):
        return ""
    parts = [f"M{_num(xs[0])} {_num(base_y)}"]
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        parts.append(f"H{_num(x)}V{_num(y)}H{_num(x + bar_w)}")
        if i + 1 < len(xs) and xs[i + 1] > x + bar_w * 1.01:
            parts.append(f"V{_num(base_y)}")
    parts.append(f"V{_num(base_y)}z")
    return "".join(parts)


_MARK_STYLE = {
    "onset": (VERMILLION, "1.5", ' stroke-dasharray="4 3"'),
    "alarm": (VERMILLION, "2.5", ""),
    "resolved": (GREEN, "2", ' stroke-dasharray="1.5 2.5"'),
}


def _markers(
    markers: Sequence[Marker],
    x_of: Callable[[pd.Timestamp], float],
    t0: pd.Timestamp,
    t1: pd.Timestamp,
    top: float,
    base_y: float,
    x_min: float,
    x_max: float,
) -> list[str]:
    """Vertical marker lines with labels placed in two rows without overlapping."""
    out: list[str] = []
    placed: list[tuple[int, float, float]] = []  # (row, x0, x1)
    for marker in sorted(markers, key=lambda m: m.at):
        if not (t0 <= marker.at <= t1):
            continue
        colour, stroke, dash = _MARK_STYLE[marker.kind]
        x = x_of(marker.at)
        out.append(
            f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{top - 8}" y2="{base_y}" '
            f'stroke="{colour}" stroke-width="{stroke}"{dash}/>'
        )
        label = escape(marker.label)
        w = _text_width(marker.label, 11)
        choices = [("start", 0), ("end", 0), ("start", 1), ("end", 1)]
        if marker.kind == "onset":
            choices = [("end", 0), ("start", 0), ("end", 1), ("start", 1)]
        for anchor, row in choices:
            a, b = (x + 3, x + 3 + w) if anchor == "start" else (x - 3 - w, x - 3)
            inside = a >= x_min - 40 and b <= x_max + 10
            free = all(r != row or b < pa or a > pb for r, pa, pb in placed)
            if inside and free:
                break
        placed.append((row, a, b))
        y = top - 24 + 13 * row
        tx = x + 3 if anchor == "start" else x - 3
        out.append(
            f'<text x="{_num(tx)}" y="{y}" font-size="11" text-anchor="{anchor}" '
            f'fill="{colour}" font-weight="600">{label}</text>'
        )
    return out


_STATUS_FILL = {"possible": ORANGE, "outage": VERMILLION}


def _judged(frame: pd.DataFrame) -> np.ndarray | None:
    """The ``status`` column as strings (``""`` where not judged), or ``None`` if absent."""
    if "status" not in frame.columns:
        return None
    return frame["status"].fillna("").astype(str).to_numpy()


def _status_strip(judged: np.ndarray, xs: np.ndarray, bar_w: float, y: float) -> list[str]:
    """Runs of ``possible`` / ``outage`` buckets as coloured blocks in one thin row."""
    out = []
    for state, fill in _STATUS_FILL.items():
        for a, b in _runs(judged == state):
            out.append(
                f'<rect x="{_num(xs[a])}" y="{_num(y)}" width="{_num(xs[b - 1] + bar_w - xs[a])}"'
                f' height="6" fill="{fill}"/>'
            )
    return out


def _legend_items(unit: str, with_span: bool, with_status: bool) -> list[tuple[str, str]]:
    """``(glyph, text)`` of every legend entry the chart needs."""
    items = [
        (f'<rect x="0" y="-9" width="12" height="10" fill="{BLUE}"/>', f"outage {unit}"),
        (
            f'<line x1="0" x2="16" y1="-4" y2="-4" stroke="{GREY}" stroke-width="1.5" '
            f'stroke-dasharray="5 3"/>',
            "expected (baseline)",
        ),
        (
            f'<rect x="0" y="-9" width="14" height="10" fill="{BAND}" fill-opacity="0.7"/>',
            "expected range (95%)",
        ),
    ]
    if with_span:
        items += [
            (
                f'<rect x="0" y="-9" width="14" height="10" fill="{ORANGE}" fill-opacity="0.35"/>',
                "incident",
            ),
            (
                f'<line x1="7" x2="7" y1="-11" y2="2" stroke="{VERMILLION}" '
                f'stroke-width="1.5" stroke-dasharray="4 3"/>',
                "onset",
            ),
            (
                f'<line x1="7" x2="7" y1="-11" y2="2" stroke="{VERMILLION}" stroke-width="2.5"/>',
                "alarm",
            ),
            (
                f'<line x1="7" x2="7" y1="-11" y2="2" stroke="{GREEN}" stroke-width="2" '
                f'stroke-dasharray="1.5 2.5"/>',
                "resolved",
            ),
        ]
    if with_status:
        items += [
            (
                f'<rect x="0" y="-7" width="14" height="6" fill="{_STATUS_FILL[state]}"/>',
                f"judged {state}",
            )
            for state in ("possible", "outage")
        ]
    return items


def _legend_width(text: str) -> float:
    return 20 + _text_width(text, 11) + 18


def _legend_rows(items: list[tuple[str, str]], width: float) -> list[list[tuple[str, str]]]:
    """Legend entries broken into rows that fit ``width``."""
    rows: list[list[tuple[str, str]]] = [[]]
    used = 0.0
    for item in items:
        need = _legend_width(item[1])
        if rows[-1] and used + need > width:
            rows.append([])
            used = 0.0
        rows[-1].append(item)
        used += need
    return rows


def _legend(x: float, y: float, items: list[tuple[str, str]]) -> str:
    """One row of the legend under the x axis."""
    out = []
    cursor = x
    for glyph, text in items:
        out.append(
            f'<g transform="translate({_num(cursor)} {_num(y)})">{glyph}'
            f'<text x="20" y="0" font-size="11" fill="{INK}">{escape(text)}</text></g>'
        )
        cursor += _legend_width(text)
    return "".join(out)


def sparkline(
    values: Sequence[float], *, width: int = 120, height: int = 24, label: str = ""
) -> str:
    """A tiny bar sparkline of ``values`` (oldest first), scaled to its own maximum.

    >>> svg = sparkline([0, 1, 4, 2], label="Gmail")
    >>> svg.startswith('<svg class="spark"') and svg.count("<path") == 1
    True
    """
    n = max(len(values), 1)
    top = max([float(v) for v in values] + [1.0])
    w = width / n
    path = _bars_path(
        [i * w for i in range(len(values))],
        [height - 1 - (height - 2) * float(v) / top for v in values],
        w,
        float(height - 1),
    )
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}">'
        f'<line x1="0" x2="{width}" y1="{height - 0.5}" y2="{height - 0.5}" stroke="{GRID}"/>'
        + (f'<path d="{path}" fill="{BLUE}"/>' if path else "")
        + "</svg>"
    )


def share_bars(shares: Sequence[tuple[str, float]], *, width: int = 340) -> str:
    """Small horizontal bars, one per ``(label, share)`` with share in 0-1, labelled in %."""
    row_h, label_w, pct_w = 20, 110, 44
    bar_max = width - label_w - pct_w
    height = max(row_h * len(shares), row_h)
    parts = [
        f'<svg class="bars" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="shares" style="{_FONT}">'
    ]
    for i, (label, share) in enumerate(shares):
        y = i * row_h
        share = min(max(float(share), 0.0), 1.0)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{escape(str(label))}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_max}" height="12" fill="{GRID}"/>'
            f'<rect x="{label_w}" y="{y + 4}" width="{_num(bar_max * share)}" height="12" '
            f'fill="{BLUE}"/>'
            f'<text x="{width - 2}" y="{y + 14}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{share:.0%}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


__all__ = [
    "MAX_BARS",
    "Marker",
    "Span",
    "downsample",
    "expected_range",
    "fmt_duration",
    "nice_ticks",
    "share_bars",
    "sparkline",
    "time_chart",
    "time_ticks",
]
