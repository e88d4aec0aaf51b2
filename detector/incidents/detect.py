"""Incidents on one count series: the incident engine online, or offline segments.

``detect_series(counts, mode="online")`` feeds the series, bucket by bucket, to the
same :class:`~detector.incidents.tracker.IncidentTracker` that batch ``score`` and the
live API run (one step per bucket of the series): ``detected_at`` is the bucket
at which the alarm rises, ``started_at`` the change point estimated from the data
up to it, ``resolved_at`` the estimated return to the baseline. An alarm still
raised at the end of the data leaves the incident ``open``. ``change_points`` are
the onsets and returns of the incidents.

``mode="offline"`` segments the whole series at once
(:class:`~detector.changepoint.segment.Segmenter`, Poisson cost relative to the
tracker's baseline, which never learned an incident, automatic penalty):
``change_points`` are all level changes, up and down, and an incident is a run of
segments whose volume is significantly above the baseline.

Any numeric series, not only counts (``model=``): ``"poisson"`` is the count engine
above; ``"normal"`` and ``"robust"`` treat the values as a metric (latency, error
rate, revenue; negative values allowed). Online they run
:class:`~detector.changepoint.shift.ShiftMonitor` (a two-sided shift alarm that
calibrates itself to the metric's own noise); offline the library's default
segmentation, ``Segmenter()`` (``"robust"``: on the values with isolated spikes
clipped, :func:`~detector.changepoint.robust.despike`). ``"auto"`` (the default)
picks ``"poisson"`` for counts and ``"robust"`` otherwise (:func:`choose_model`).
Missing values (NaN) are never refused: offline they are interpolated linearly;
online a metric skips them and a count series carries the last value forward
(a live detector cannot interpolate towards the future). ``Detection.missing``
says how many there were and what was done.

>>> import numpy as np, pandas as pd
>>> index = pd.date_range("2026-01-05", periods=400, freq="5min", tz="UTC")
>>> rng = np.random.default_rng(3)
>>> rate = np.where((index >= "2026-01-06 02:00") & (index < "2026-01-06 04:00"), 24.0, 3.0)
>>> counts = pd.Series(rng.poisson(rate), index=index)
>>> found = detect_series(counts, service="Gmail")
>>> [(i.started_at.strftime("%H:%M"), i.detected_at.strftime("%H:%M"), i.status)
...  for i in found.incidents]
[('02:00', '02:10', 'resolved')]
>>> found.incidents[0].started_at < found.incidents[0].detected_at  # onset before alarm
True
>>> offline = detect_series(counts, mode="offline")
>>> [t.strftime("%H:%M") for t in offline.change_points]
['02:00', '04:00']

A latency metric (milliseconds, one value missing) rising for an hour:

>>> ms = pd.Series(np.r_[rng.normal(120, 8, 200), rng.normal(180, 8, 12), rng.normal(120, 8, 188)],
...                index=index)
>>> ms.iloc[50] = np.nan
>>> lat = detect_series(ms)
>>> lat.model, lat.missing["values"], lat.missing["handled"]
('robust', 1, 'skipped')
>>> [(i.started_at.strftime("%H:%M"), i.detected_at.strftime("%H:%M")) for i in lat.incidents]
[('16:40', '16:45')]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detector.changepoint.onset import MIN_EXPECTED, estimate_recovery
from detector.changepoint.segment import Segmenter
from detector.errors import DataError, UsageError
from detector.incidents.incident import Incident, iso
from detector.series.buckets import bucket_width
from detector.series.calendar import CalendarAxis, calendar_months

MODES = ("online", "offline")
#: Series models: ``auto`` picks ``poisson`` for counts, else ``robust`` (:func:`choose_model`).
MODELS = ("auto", "poisson", "normal", "robust")
#: Largest noise variance-to-mean ratio of a series read as counts by ``auto``.
MAX_DISPERSION = 5.0
#: The same for series in buckets of half an hour up to a day (:data:`COARSE_COUNTS`).
#: Summed into such buckets, tweet counts carry their daily rhythm into consecutive
#: differences (NAB realTweets in hourly buckets: 1.1 to 14.2), while the integer metrics
#: of TCPD (daily index and coarser) start at 8.1; at minute steps an integer metric
#: (latency in ms, variance 7x its mean) must stay a metric.
SUBDAILY_MAX_DISPERSION = 20.0
COARSE_COUNTS = (pd.Timedelta(minutes=30), pd.Timedelta(days=1))
#: A metric incident is ``major`` when its peak is this many noise scales from the level.
MAJOR_SIGMAS = 10.0
#: Offline, a metric: a departure from the level takes the direction its cumulative sum
#: first reaches this many noise scales in, and it has ended when that sum has fallen
#: back from its largest value by as much (:func:`metric_departure`).
RETURN_SIGMAS = 5.0
#: An incident is ``major`` when its peak reaches this multiple of the baseline at onset.
MAJOR_RISE = 4.0
#: Offline: a segment is part of an incident when its volume is at least this multiple
#: of the baseline and its excess is significant (log-likelihood ratio above the
#: segmentation penalty).
MIN_RISE = 1.5
#: Offline: the search of the segmentation. Seeded binary segmentation resolves the
#: two edges of a short outage (a few buckets apart); the window search cannot place
#: changes closer than half its width. Simulated outages (3-20x, 0.5-20 posts per
#: bucket, 216 series-days): seeded finds 82% offline, onset within 2 buckets for 93%,
#: 16 false incidents (0.5 per series-week); window: 78%, 98%, 3.
OFFLINE_METHOD = "seeded"
#: The times are regular when at least this share of the gaps between distinct times
#: equal the most common gap (its bucket); otherwise the sampling is irregular and the
#: bucket is the median gap rounded to a width of :data:`NICE_WIDTHS` (when every gap
#: is unique, the most common one is merely the smallest: 5.7 ms for 5,000 latencies
#: over 2 days, a grid of 30 million buckets).
REGULAR_SHARE = 0.5
#: Bucket widths an irregular series gets (the nearest to its median gap, on a log scale).
NICE_WIDTHS = tuple(
    pd.Timedelta(w)
    for w in (
        *("1s", "2s", "5s", "10s", "15s", "30s", "1min", "2min", "5min", "10min", "15min"),
        *("30min", "1h", "2h", "3h", "6h", "12h", "1D", "2D", "7D", "14D"),
    )
)
#: At most this many buckets per row of the series (and never fewer than
#: :data:`MIN_BUCKET_CAP`): an inferred bucket is widened to stay within it, a given one
#: is refused.
BUCKETS_PER_ROW = 100
MIN_BUCKET_CAP = 100_000
#: Between two rows at least this many buckets apart, the empty buckets are a hole in
#: the data (a value absent), not an artefact of times drifting across bucket edges (a
#: fortnightly series sampled 14 to 21 days apart).
HOLE_STEPS = 1.9
#: Irregular sampling: a stretch without rows is a hole only when it is at least this
#: many median gaps long (random sampling leaves empty buckets everywhere; times at
#: random, exponential gaps, pass 20 median gaps once in a million).
IRREGULAR_HOLE = 20.0
#: A count series whose rows never hold 0 may omit its zero buckets (a sparse series,
#: one row per bucket with posts): a stretch without rows is a hole only when the
#: series' mean rate puts at least this many counts in it (the tracker's silence_posts).
SILENT_COUNTS = 20.0


@dataclass
class Detection:
    """What :func:`detect_series` found on one series.

    ``baseline`` and ``status`` (``ok|possible|outage``) have one value per bucket.
    """

    incidents: list[Incident]
    baseline: pd.Series
    change_points: list[pd.Timestamp] = field(default_factory=list)
    status: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    #: The series model used (``auto`` resolved).
    model: str = "poisson"
    #: Missing values: ``{"values": k, "first": ISO time or None, "handled": how}``.
    missing: dict[str, Any] = field(
        default_factory=lambda: {"values": 0, "first": None, "handled": "none"}
    )
    #: Months per value when the series was judged one value per calendar period
    #: (:mod:`detector.series.calendar`), else ``None``.
    months: int | None = None
    #: What was done to the times that the caller should say (bucket widened, rows...).
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"incidents", "change_points", "model", "missing"}`` as ``detect-series`` prints."""
        return {
            "incidents": [inc.to_dict() for inc in self.incidents],
            "change_points": [iso(t) for t in self.change_points],
            "model": self.model,
            "missing": dict(self.missing),
        }


def check_values(values: Any, name: str = "counts") -> pd.Series:
    """``values`` as a float Series on a sorted, unique UTC DatetimeIndex (NaN kept), or DataError.

    >>> check_values(pd.Series([1, float("inf")], index=pd.date_range("2026-01-01", periods=2)))
    Traceback (most recent call last):
    ...
    detector.errors.DataError: counts has infinite values (the first at 2026-01-02T00:00:00Z).
    """
    if not isinstance(values, pd.Series):
        raise DataError(f"{name} must be a pandas Series. Got {type(values).__name__}.")
    if not isinstance(values.index, pd.DatetimeIndex):
        raise DataError(f"{name} must have a DatetimeIndex of bucket starts.")
    index = values.index
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    try:
        x = pd.to_numeric(values, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise DataError(f"{name} must be numbers: {err}") from err
    if np.isinf(x).any():
        at = index[np.flatnonzero(np.isinf(x))[0]]
        raise DataError(f"{name} has infinite values (the first at {iso(at)}).")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise DataError(f"{name} must be sorted by time with one value per bucket start.")
    return pd.Series(x, index=index, name=values.name)


def check_counts(counts: Any, name: str = "counts") -> pd.Series:
    """``counts`` checked as non-negative numbers (missing values allowed), or DataError.

    >>> check_counts(pd.Series([1, -2], index=pd.date_range("2026-01-01", periods=2, freq="h")))
    Traceback (most recent call last):
    ...
    detector.errors.DataError: counts must be non-negative for the 'poisson' model; got -2 at \
2026-01-01T01:00:00Z (use model 'normal' or 'robust' for a metric that can be negative).
    """
    series = check_values(counts, name)
    x = series.to_numpy()
    negative = np.flatnonzero(x < 0)
    if negative.size:
        k = int(negative[0])
        raise DataError(
            f"{name} must be non-negative for the 'poisson' model; got {x[k]:g} at "
            f"{iso(series.index[k])} (use model 'normal' or 'robust' for a metric that "
            "can be negative)."
        )
    return series


def choose_model(values: Any, step: Any = None) -> str:
    """``"poisson"`` for counts, ``"robust"`` for any other metric.

    Counts are non-negative integers whose noise is Poisson-like: its variance (from
    consecutive differences, so level shifts do not count) at most
    :data:`MAX_DISPERSION` times the mean, or :data:`SUBDAILY_MAX_DISPERSION` when the
    values are *step* apart and *step* is half an hour or more but less than a day.
    Post and tweet counts sit at 0-2 in 5-minute buckets (NAB's realTweets, simulated
    outages) and up to 14 in hourly ones; integer series that are not event counts (GDP
    in dollars, passengers per month, TCPD) at 8 to 10^13, where a count model buys
    nothing and its penalty would be wrong.

    >>> choose_model([0, 3, 1, 2, float("nan")]), choose_model([0.5, 2.0]), choose_model([-1, 2])
    ('poisson', 'robust', 'robust')
    >>> choose_model([1000, 1100, 950, 1200, 1010])  # integers, far from Poisson noise
    'robust'
    >>> choose_model([100, 130, 95, 140, 90], step="1h")  # hourly counts with a rhythm
    'poisson'
    """
    from detector.changepoint.robust import noise_scale

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if not (x.size and (x >= 0).all() and np.array_equal(x, np.round(x))):
        return "robust"
    mean = float(x.mean())
    if mean <= 0:
        return "poisson"
    width = None if step is None else bucket_width(step)
    hourly = width is not None and COARSE_COUNTS[0] <= width < COARSE_COUNTS[1]
    limit = SUBDAILY_MAX_DISPERSION if hourly else MAX_DISPERSION
    return "poisson" if noise_scale(x) ** 2 <= limit * mean else "robust"


def fill_missing(x: np.ndarray, how: str) -> np.ndarray:
    """``x`` with NaN filled: ``"interpolated"`` (linear) or ``"carried forward"``.

    Leading gaps take the first value seen (there is nothing before it).

    >>> fill_missing(np.array([np.nan, 1.0, np.nan, 3.0]), "interpolated").tolist()
    [1.0, 1.0, 2.0, 3.0]
    >>> fill_missing(np.array([1.0, np.nan, 3.0]), "carried forward").tolist()
    [1.0, 1.0, 3.0]
    """
    bad = np.isnan(x)
    if not bad.any():
        return x
    if bad.all():
        raise DataError("every value is missing: there is nothing to detect anything in.")
    idx = np.arange(len(x))
    if how == "interpolated":
        return np.interp(idx, idx[~bad], x[~bad])
    filled = pd.Series(x).ffill().bfill()
    return filled.to_numpy(dtype=float)


def _usual_rate(
    y: np.ndarray, expo: np.ndarray, bkps: list[int], alarm: np.ndarray | None = None
) -> float:
    """The series' usual level against *expo*: the median of its segments' rates (counts
    over exposure), weighted by their lengths, over the segments the online tracker
    (*alarm*: its outage buckets) did not judge an outage for most of their length (all
    segments when it judged every one so): an export cut around an outage that fills
    most of it still has the level before the outage as its usual.

    The exposure brings the rhythm (time of day, weekday); its level is the baseline's
    recent level at the end of the data (a day's half-life), no level of the whole
    series: 90 days of Poisson(5) counts ending on quiet days got 3.26, and the whole
    series, one segment, was an incident at 1.55 times it. Against the usual rate a
    series without change points has none: its one segment is the usual.

    >>> y = np.array([5.0] * 8 + [20.0] * 2)
    >>> _usual_rate(y, np.full(10, 2.5), [8, 10])
    2.0
    """
    edges = [0, *bkps]
    spans = list(zip(edges[:-1], edges[1:], strict=True))
    if alarm is not None:
        calm = [(a, b) for a, b in spans if alarm[a:b].mean() < 0.5]
        spans = calm or spans
    rates = np.array([y[a:b].sum() / expo[a:b].sum() for a, b in spans])
    sizes = np.array([b - a for a, b in spans], dtype=float)
    order = np.argsort(rates, kind="stable")
    cum = np.cumsum(sizes[order])
    rate = float(rates[order][np.searchsorted(cum, cum[-1] / 2.0)])
    if rate > 0:
        return rate
    return float(y.sum() / expo.sum()) or 1.0


def _elevated_runs(
    y: np.ndarray, expo: np.ndarray, bkps: list[int], pen: float
) -> list[tuple[int, int]]:
    """Runs ``(start, end)`` of consecutive segments whose volume is at least
    :data:`MIN_RISE` times *expo* and whose excess is worth the penalty *pen*."""
    runs: list[tuple[int, int]] = []
    for start, end in zip([0, *bkps[:-1]], bkps, strict=True):
        s, b = float(y[start:end].sum()), float(expo[start:end].sum())
        llr = s * np.log(s / b) - (s - b) if s > b else 0.0
        if s >= MIN_RISE * b and 2.0 * llr > pen:
            if runs and runs[-1][1] == start:
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((start, end))
    return runs


def _incident(
    service: str,
    index: pd.DatetimeIndex,
    y: np.ndarray,
    base: np.ndarray,
    onset: int,
    detected: int,
    last: int,
    score: float,
) -> Incident:
    """An incident over buckets ``[onset, last]`` (peak and severity from those)."""
    peak = onset + int(np.argmax(y[onset : last + 1]))
    baseline_posts = float(max(base[onset], MIN_EXPECTED))
    return Incident(
        service=service,
        started_at=index[onset],
        detected_at=index[detected],
        peak_at=index[peak],
        peak_posts=float(y[peak]),
        baseline_posts=float(base[onset]),
        severity="major" if y[peak] >= MAJOR_RISE * baseline_posts else "warning",
        score=float(score),
    )


def _offline(
    service: str,
    index: pd.DatetimeIndex,
    y: np.ndarray,
    base: np.ndarray,
    judged: tuple[np.ndarray, np.ndarray, np.ndarray],
    totals: pd.Series | None = None,
) -> tuple[list[Incident], list[pd.Timestamp], pd.Series, pd.Series]:
    n = len(y)
    status = np.full(n, "ok", dtype=object)
    if n < 2 or np.ptp(y) == 0:
        return [], [], pd.Series(status, index=index, name="status"), pd.Series(base, index=index)
    # The exposure of the segmentation is the baseline's rhythm as learned from the whole
    # series (the tracker learned nothing while an incident was open); its level is set
    # to the series' usual rate once the segments are known.
    _, score, alarm = judged
    expo = np.maximum(base.astype(float), MIN_EXPECTED)
    seg = Segmenter(model="poisson", method=OFFLINE_METHOD, params={"exposure": expo}).fit(y)
    bkps = seg.predict()
    pen = float(seg.penalty_ or 0.0)
    expo = np.maximum(expo * _usual_rate(y, expo, bkps, alarm), MIN_EXPECTED)
    cuts = set(bkps[:-1])
    incidents = []
    for start, end in _elevated_runs(y, expo, bkps, pen):
        if end == n:
            # a slowly decaying tail can leave the run's last segment only mildly
            # elevated up to the end of the data: end the incident where the volume is
            # back at the baseline (the best split into an elevated part and a part at
            # rate 1), which is a change point too
            end = min(end, estimate_recovery(y, expo, start, end - 1))
            if end < n:
                cuts.add(end)
        alarms = np.flatnonzero(alarm[start:end])
        detected = start + int(alarms[0]) if alarms.size else start
        inc = _incident(
            service, index, y, expo, start, detected, end - 1, float(score[start:end].max())
        )
        if end < n:
            inc.status, inc.resolved_at = "resolved", index[end]
        status[start:end] = "outage"
        incidents.append(inc)
    change_points = [index[b] for b in sorted(cuts)]
    used = pd.Series(expo, index=index, name="baseline")
    return incidents, change_points, pd.Series(status, index=index, name="status"), used


def detect_series(
    counts: pd.Series,
    *,
    totals: pd.Series | None = None,
    mode: str = "online",
    service: str = "series",
    bucket: str | None = None,
    model: str = "auto",
) -> Detection:
    """Incidents, baseline, change points and status of one series.

    Parameters
    ----------
    counts: the values (counts or any metric) on a UTC DatetimeIndex of regular bucket
        starts; NaN marks a missing value.
    totals: all posts per bucket (same index), so a general traffic surge is no outage
        (``poisson`` only).
    mode: ``"online"`` (each bucket judged from the past only) or ``"offline"``.
    service: name put on the incidents.
    bucket: the bucket width (pandas offset such as ``"5min"``); when given, values are
        put into it first (counts summed, empty buckets 0; a metric averaged, empty
        buckets missing).
    model: one of :data:`MODELS`.
    """
    if mode not in MODES:
        raise UsageError(f"The 'mode' parameter must be one of {MODES}. Got {mode!r} instead.")
    if model not in MODELS:
        raise UsageError(f"The 'model' parameter must be one of {MODELS}. Got {model!r} instead.")
    values = check_values(counts)
    chosen = choose_model(values.to_numpy(), _step(values, bucket)) if model == "auto" else model
    if chosen == "poisson":
        values = check_counts(values)
    if totals is not None:
        if chosen != "poisson":
            raise UsageError("'totals' (all posts per bucket) applies to the 'poisson' model only.")
        totals = check_counts(totals, "totals")
    if bucket is not None:
        values = regularize(values, bucket, how=_how(chosen))
        totals = (
            None
            if totals is None
            else regularize(totals, bucket).reindex(values.index, fill_value=0.0)
        )
    if values.empty:
        raise DataError("counts is empty: there is no bucket to detect anything in.")
    if totals is not None and not totals.index.equals(values.index):
        raise DataError("totals must have the same bucket starts as counts.")
    raw = values.to_numpy(dtype=float)
    bad = np.isnan(raw)
    if mode == "offline":
        handled = "interpolated"
    else:
        handled = "carried forward" if chosen == "poisson" else "skipped"
    missing = {
        "values": int(bad.sum()),
        "first": iso(values.index[np.flatnonzero(bad)[0]]) if bad.any() else None,
        "handled": handled if bad.any() else "none",
    }
    if bad.all():
        raise DataError("every value is missing: there is nothing to detect anything in.")
    if chosen != "poisson":
        found = detect_metric(values, mode=mode, service=service, model=chosen)
        found.missing = missing
        return found
    counts = pd.Series(fill_missing(raw, handled), index=values.index, name=values.name)
    found = _detect_counts(counts, totals, mode=mode, service=service)
    found.missing = missing
    return found


def _detect_counts(
    counts: pd.Series, totals: pd.Series | None, *, mode: str, service: str
) -> Detection:
    from detector.incidents.tracker import track_series

    step = infer_bucket(counts.index)
    tracked = track_series(
        counts.index,
        counts.to_numpy(),
        None if totals is None else totals.to_numpy(),
        service=service,
        step=step,
    )
    steps = tracked.steps.set_index("at").reindex(counts.index)
    base = steps["expected"].fillna(0.0).to_numpy(dtype=float)
    status = pd.Series(steps["status"].fillna("ok").to_numpy(), index=counts.index, name="status")
    baseline = pd.Series(base, index=counts.index, name="baseline")
    notes = []
    if mode == "online":
        incidents = tracked.incidents
        change_points = sorted(
            {inc.started_at for inc in incidents}
            | {inc.resolved_at for inc in incidents if inc.resolved_at is not None}
        )
        if len(counts) and tracked.tracker.warming_up:  # the whole series is warm-up
            span = counts.index[-1] - counts.index[0]  # what the tracker's warm-up measures
            notes.append(
                f"the series' times span {_span(span)}, less than the day of history the online "
                "baseline learns the daily rhythm from: until then only a large jump (well "
                "above 2.5 times the level so far) raises an alarm, and incidents say "
                "warmup; --mode offline judges the whole series at once"
            )
    else:
        y = counts.to_numpy()
        alarm = (status == "outage").to_numpy()
        score = steps["evidence"].fillna(0.0).to_numpy(dtype=float)
        # Offline sees the whole series: the exposure is the rhythm the baseline has
        # learned from all of its normal buckets, not what it knew at each bucket.
        hindsight = tracked.tracker.hindsight(counts.index)
        if totals is not None:
            other = totals.to_numpy() - counts.to_numpy()
            hindsight = np.maximum(hindsight, tracked.tracker.surge(other))
        incidents, change_points, status, baseline = _offline(
            service, counts.index, y, hindsight, (status.to_numpy(), score, alarm), totals
        )
    return Detection(incidents, baseline, change_points, status, model="poisson", notes=notes)


def detect_metric(
    values: pd.Series, *, mode: str = "online", service: str = "series", model: str = "normal"
) -> Detection:
    """Shifts of a metric (``model`` ``normal`` or ``robust``); NaN values are missing.

    Online: :class:`~detector.changepoint.shift.ShiftMonitor` over the present values
    (missing ones skipped). Offline: ``Segmenter()`` on the values, missing ones
    interpolated (``robust``: isolated spikes clipped first); an incident is a run of
    segments whose mean departs from the series' usual level (the median of the
    segment means, weighted by length) by more than the penalty allows.
    """
    from detector.changepoint.robust import despike, noise_scale
    from detector.changepoint.shift import ShiftMonitor

    index = values.index
    raw = values.to_numpy(dtype=float)
    n = len(raw)
    status = np.full(n, "ok", dtype=object)
    base = np.full(n, np.nan)
    incidents: list[Incident] = []
    change_points: list[pd.Timestamp] = []
    if mode == "online":
        present = np.flatnonzero(~np.isnan(raw))
        mon = ShiftMonitor(model=model)
        for i in present:
            mon.update(float(raw[i]))
            base[i] = mon.level
            status[i] = mon.status
        for ep in mon.episodes:
            onset, detected = int(present[ep.onset]), int(present[ep.detected])
            peak = int(present[ep.peak])
            inc = _metric_incident(
                service, index, onset, detected, peak, raw[peak], ep.level, ep.scale, ep.score
            )
            change_points.append(index[onset])
            if ep.end is not None:
                end = int(present[ep.end]) if ep.end < len(present) else n - 1
                inc.status, inc.resolved_at = "resolved", index[end]
                change_points.append(index[end])
            incidents.append(inc)
        base = pd.Series(base, index=index).ffill().to_numpy()
    else:
        x = fill_missing(raw, "interpolated")
        signal = despike(x) if model == "robust" else x
        seg = Segmenter()
        bkps = seg.fit(signal).predict()
        pen = float(seg.penalty_ or 0.0)
        edges = [0, *bkps]
        means = np.array([signal[a:b].mean() for a, b in zip(edges[:-1], edges[1:], strict=True)])
        sizes = np.diff(edges)
        order = np.argsort(means)
        cum = np.cumsum(sizes[order])
        ref = float(means[order][np.searchsorted(cum, cum[-1] / 2.0)])
        scale = noise_scale(signal) or float(np.std(signal)) or 1.0
        base[:] = ref
        runs: list[tuple[int, int, int]] = []
        for a, b, mean in zip(edges[:-1], edges[1:], means, strict=True):
            gain = (b - a) * (mean - ref) ** 2  # l2 cost saved by the segment's own mean
            if gain > pen and abs(mean - ref) > scale:
                sign = 1 if mean > ref else -1
                if runs and runs[-1][1] == a and runs[-1][2] == sign:
                    runs[-1] = (runs[-1][0], b, sign)
                else:
                    runs.append((a, b, sign))
        cuts = set(bkps[:-1])
        for a, run_end, run_sign in runs:
            sign, b = metric_departure(signal[a:run_end], ref, scale, run_sign)
            b += a
            if b < run_end:  # back at its level before the run's last change point
                cuts.add(b)
            peak = a + int(np.argmax(sign * (x[a:b] - ref)))
            score = (b - a) * ((x[a:b].mean() - ref) / scale) ** 2 / 2.0
            inc = _metric_incident(service, index, a, a, peak, x[peak], ref, scale, score)
            if b < n:
                inc.status, inc.resolved_at = "resolved", index[b]
            status[a:b] = "outage"
            incidents.append(inc)
        change_points = [index[c] for c in sorted(cuts)]
    return Detection(
        incidents,
        pd.Series(base, index=index, name="baseline"),
        change_points,
        pd.Series(status, index=index, name="status"),
        model=model,
    )


def metric_departure(x: np.ndarray, ref: float, scale: float, sign: int) -> tuple[int, int]:
    """The direction of the departure of *x* from the level *ref* that starts at its
    first value, and where it ends: ``(direction, end)`` with ``end <= len(x)``.

    The direction is the one the cumulative departure ``cumsum(x - ref)`` first takes
    beyond :data:`RETURN_SIGMAS` noise *scale* units (the move at the change point: a fall
    after which a trending series later climbs above its old level is a fall); *sign*
    (the run's mean departure) when it never does. The departure lasts while it keeps
    growing in that direction: it ends after its largest cumulative value, where the
    series is back at its level, unless it shrinks by less than the same margin after
    it (noise at the end of a shift that lasts).

    >>> metric_departure(np.array([5.0, 5.0, 5.0]), 0.0, 1.0, 1)
    (1, 3)
    >>> metric_departure(np.array([-9.0, -8.0, -7.0, 0.0, 6.0, 8.0, 9.0, 9.0]), 0.0, 1.0, 1)
    (-1, 3)
    """
    cum = np.cumsum(x - ref)
    margin = RETURN_SIGMAS * scale
    beyond = np.flatnonzero(np.abs(cum) > margin)
    direction = int(np.sign(cum[beyond[0]])) if beyond.size else sign
    along = direction * cum
    top = int(np.argmax(along))
    if along[-1] >= along[top] - margin:
        return direction, len(x)
    return direction, top + 1


def _metric_incident(
    service: str,
    index: pd.DatetimeIndex,
    onset: int,
    detected: int,
    peak: int,
    value: float,
    level: float,
    scale: float,
    score: float,
) -> Incident:
    """An incident of a metric series: its positions in *index*, its peak *value* against
    the *level*, ``major`` beyond ``MAJOR_SIGMAS`` noise *scale*s."""
    major = scale > 0 and abs(value - level) >= MAJOR_SIGMAS * scale
    return Incident(
        service=service,
        started_at=index[onset],
        detected_at=index[detected],
        peak_at=index[peak],
        peak_posts=float(value),
        baseline_posts=round(float(level), 6),
        severity="major" if major else "warning",
        score=round(float(score), 4),
    )


def regularize(counts: pd.Series, bucket: str | pd.Timedelta, how: str = "sum") -> pd.Series:
    """Put ``counts`` into buckets of width ``bucket``.

    ``how="sum"`` (counts): summed, empty buckets 0. ``how="mean"`` (a metric):
    averaged, empty buckets missing (NaN). Missing values are ignored in either.

    >>> idx = pd.DatetimeIndex(["2026-01-01 00:01", "2026-01-01 00:03", "2026-01-01 00:12"])
    >>> regularize(pd.Series([1.0, 2.0, 4.0], index=idx), "5min").tolist()
    [3.0, 0.0, 4.0]
    >>> regularize(pd.Series([1.0, 2.0, 4.0], index=idx), "5min", how="mean").tolist()
    [1.5, nan, 4.0]
    """
    step = bucket_width(bucket)
    index = counts.index
    if isinstance(index, pd.DatetimeIndex) and index.tz is None:
        counts = counts.tz_localize("UTC")
    if counts.empty:
        return counts.astype(float)
    resampled = counts.astype(float).resample(step, origin="epoch")
    if how == "mean":
        return resampled.mean().astype(float)
    summed = resampled.sum().astype(float)
    # a bucket whose only values are missing stays missing (an empty one counts 0)
    only_missing = (resampled.count() == 0) & (
        counts.isna().astype(int).resample(step, origin="epoch").sum() > 0
    )
    return summed.mask(only_missing)


def regular_detection(
    series: pd.Series,
    bucket: str | pd.Timedelta | None = None,
    *,
    mode: str = "online",
    service: str = "series",
    model: str = "auto",
) -> Detection:
    """:func:`detect_series` on raw points (any order, repeats allowed), as users send them.

    ``model="auto"`` is resolved on the raw values; they are then put into buckets of
    ``bucket`` (default: :func:`infer_bucket`, widened to at most :data:`BUCKETS_PER_ROW`
    buckets per row), summed for counts and averaged for a metric; empty buckets are
    missing, zeros or left out as :func:`fit_to_grid` decides, and ``notes`` say so.
    Without ``bucket``, a series given per month, quarter, year...
    is judged one value per period (:mod:`detector.series.calendar`: no fixed width fits
    months), its times read back on the series' own day of the month. ``detect-series`` and
    ``POST /v1/detect`` both run this.

    >>> idx = pd.DatetimeIndex(["2026-01-01 00:00", "2026-01-01 00:00", "2026-01-01 00:10"])
    >>> found = regular_detection(pd.Series([1.5, -2.5, 3.0], index=idx))
    >>> found.model, len(found.baseline), found.missing["values"]
    ('robust', 2, 0)
    """
    if model not in MODELS:
        raise UsageError(f"The 'model' parameter must be one of {MODELS}. Got {model!r} instead.")
    if not isinstance(series.index, pd.DatetimeIndex):
        raise DataError("the series must have a DatetimeIndex of times.")
    months = calendar_months(series.index) if bucket is None else None
    if months is not None:
        return _per_period(series, months, mode=mode, service=service, model=model)
    times = series.index.unique().sort_values()
    step, notes = _bounded_step(times, bucket)
    chosen = choose_model(series.to_numpy(dtype=float), step) if model == "auto" else model
    ordered = series.sort_index(kind="stable")
    values, absent, dropped = fit_to_grid(ordered, step, how=_how(chosen), times=times)
    if absent:
        notes.append(
            f"{absent} bucket(s) of {_width(step)} with no rows, between rows far apart, "
            "are missing values (not zeros)"
        )
    if dropped:
        notes.append(
            f"{dropped} empty bucket(s) of {_width(step)} left out: the times are irregular "
            "(no value is missing there)"
        )
    found = detect_series(values, mode=mode, service=service, model=chosen)
    found.notes = notes + found.notes
    return found


def fit_to_grid(
    points: pd.Series, step: pd.Timedelta, *, how: str, times: pd.DatetimeIndex | None = None
) -> tuple[pd.Series, int, int]:
    """``(values, absent, dropped)``: *points* in buckets of *step* (:func:`regularize`),
    and what the buckets holding no row are.

    A bucket between two rows at least :data:`HOLE_STEPS` buckets apart (for irregular
    times, also :data:`IRREGULAR_HOLE` median gaps apart) lies in a hole: its value is
    absent, missing (NaN) and counted in *absent*. For counts (``how="sum"``) whose rows
    never hold 0, a hole must also be long enough to hold :data:`SILENT_COUNTS` counts
    at the series' mean rate: such a series may write only the buckets with posts, and
    a quiet stretch of it is zeros. Other empty buckets are zeros for counts; for a metric
    (``how="mean"``) they only say that the times drift across bucket edges or are
    irregular: they are left out (*dropped*), neither values nor missing.

    >>> idx = pd.DatetimeIndex(["2026-01-01 00:00", "2026-01-01 00:05", "2026-01-01 00:10",
    ...                         "2026-01-01 00:30", "2026-01-01 00:35"], tz="UTC")
    >>> fit_to_grid(pd.Series([0.0, 2, 1, 3, 2], index=idx), pd.Timedelta("5min"), how="sum")
    ... # doctest: +NORMALIZE_WHITESPACE
    (2026-01-01 00:00:00+00:00    0.0
    2026-01-01 00:05:00+00:00    2.0
    2026-01-01 00:10:00+00:00    1.0
    2026-01-01 00:15:00+00:00    NaN
    2026-01-01 00:20:00+00:00    NaN
    2026-01-01 00:25:00+00:00    NaN
    2026-01-01 00:30:00+00:00    3.0
    2026-01-01 00:35:00+00:00    2.0
    Freq: 5min, dtype: float64, 3, 0)
    """
    if isinstance(points.index, pd.DatetimeIndex) and points.index.tz is None:
        points = points.tz_localize("UTC")
    values = regularize(points, step, how=how)
    if values.empty:
        return values, 0, 0
    if times is None or times.tz is None:
        times = points.index.unique().sort_values()
    rows = points.astype(float).resample(step, origin="epoch").size().reindex(values.index)
    empty = (rows.fillna(0) == 0).to_numpy()
    if not empty.any():
        return values, 0, 0
    at = times.as_unit("ns").asi8
    starts = values.index.as_unit("ns").asi8[empty]
    k = np.clip(np.searchsorted(at, starts), 1, len(at) - 1)
    gap = (at[k] - at[k - 1]).astype(float)
    width = float(step.value)
    regular, typical = _spacing(times)
    least = HOLE_STEPS * width if regular else max(HOLE_STEPS * width, IRREGULAR_HOLE * typical)
    hole = gap >= least
    if how == "sum" and not (points == 0).any():
        rate = float(np.nansum(values.to_numpy())) / len(values)
        hole &= (gap / width - 1.0) * rate >= SILENT_COUNTS
    out = values.to_numpy(dtype=float).copy()
    where = np.flatnonzero(empty)
    if how == "sum":
        out[where[hole]] = np.nan
        return pd.Series(out, index=values.index, name=values.name), int(hole.sum()), 0
    keep = np.ones(len(out), dtype=bool)
    keep[where[~hole]] = False
    kept = pd.Series(out[keep], index=values.index[keep], name=values.name)
    return kept, int(hole.sum()), int((~hole).sum())


def _bounded_step(times: pd.DatetimeIndex, bucket: Any) -> tuple[pd.Timedelta, list[str]]:
    """The bucket width for *times* (*bucket*, else inferred) and notes on how it was
    chosen: an inferred width that would make more than :data:`BUCKETS_PER_ROW` buckets
    per row is widened (said in a note); a given one is refused (UsageError)."""
    notes: list[str] = []
    if bucket is not None:
        step = bucket_width(bucket)
    else:
        step = infer_bucket(times)
        regular, typical = _spacing(times)
        if not regular:
            notes.append(
                f"irregular times (no common spacing; median gap {_width(typical)}): "
                f"bucket {_width(step)}"
            )
    if len(times) < 2:
        return step, notes
    span = float((times[-1] - times[0]).value)
    cap = max(MIN_BUCKET_CAP, BUCKETS_PER_ROW * len(times))
    if span / step.value < cap:
        return step, notes
    if bucket is not None:
        raise UsageError(
            f"The bucket {_width(step)} makes {int(span // step.value) + 1} buckets of "
            f"{len(times)} rows (at most {cap}); give a wider --bucket."
        )
    wider = _nice_width(span / cap, up=True)
    notes.append(
        f"bucket {_width(step)} would make {int(span // step.value) + 1} buckets of "
        f"{len(times)} rows: bucket {_width(wider)} instead"
    )
    return wider, notes


def _spacing(times: pd.DatetimeIndex) -> tuple[bool, float]:
    """``(regular, median gap in ns)`` of sorted distinct *times* (:data:`REGULAR_SHARE`)."""
    steps = np.diff(times.as_unit("ns").asi8)
    steps = steps[steps > 0]
    if steps.size == 0:
        return True, 0.0
    values, counts = np.unique(steps, return_counts=True)
    return bool(counts.max() >= REGULAR_SHARE * steps.size), float(np.median(steps))


def _nice_width(ns: float, *, up: bool = False) -> pd.Timedelta:
    """The width of :data:`NICE_WIDTHS` nearest to *ns* nanoseconds on a log scale (*up*:
    the smallest at least *ns*); beyond them, whole weeks."""
    widths = np.array([w.value for w in NICE_WIDTHS], dtype=float)
    if ns > widths[-1]:
        return pd.Timedelta(days=7 * int(np.ceil(ns / pd.Timedelta(days=7).value)))
    if up:
        return NICE_WIDTHS[int(np.searchsorted(widths, ns))]
    return NICE_WIDTHS[int(np.argmin(np.abs(np.log(widths / max(ns, 1.0)))))]


def _width(step: pd.Timedelta | float) -> str:
    """*step* (a Timedelta or nanoseconds) written briefly: ``30s``, ``5min``, ``14D``."""
    delta = pd.Timedelta(step).round("ms") if isinstance(step, float) else pd.Timedelta(step)
    if delta <= pd.Timedelta(0):
        return "0s"
    for unit, name in (("D", "D"), ("h", "h"), ("min", "min"), ("s", "s")):
        whole = delta / pd.Timedelta(1, unit=unit)
        if whole >= 1 and whole == int(whole):
            return f"{int(whole)}{name}"
    if delta < pd.Timedelta(seconds=1):
        return f"{delta / pd.Timedelta(1, unit='ms'):g}ms"
    return f"{delta.total_seconds():.3g}s"


def _per_period(
    series: pd.Series, months: int, *, mode: str, service: str, model: str
) -> Detection:
    """:func:`regular_detection` of a series given every *months* months: judged on daily
    stand-in steps, one per period, and its times read back on the series' day of the month."""
    axis = CalendarAxis.of(series.index, months)
    stand_in = pd.Series(
        series.to_numpy(dtype=float), index=axis.stand_in(series.index), name=series.name
    )
    found = regular_detection(stand_in, "1D", mode=mode, service=service, model=model)
    first = found.missing.get("first")
    return Detection(
        incidents=[inc.retimed(axis.real) for inc in found.incidents],
        baseline=found.baseline.set_axis(axis.real_index(found.baseline.index)),
        change_points=[axis.real(t) for t in found.change_points],
        status=found.status.set_axis(axis.real_index(found.status.index)),
        model=found.model,
        missing={**found.missing, "first": first and iso(axis.real(pd.Timestamp(first)))},
        months=months,
        notes=found.notes,
    )


def _how(model: str) -> str:
    return "sum" if model == "poisson" else "mean"


def _step(values: pd.Series, bucket: Any) -> Any:
    """*bucket*, or the step of *values*' times when it is None."""
    return bucket if bucket is not None else infer_bucket(values.index.unique().sort_values())


def infer_bucket(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The bucket width of ``index``: the most common spacing of its timestamps when the
    times are regular (:data:`REGULAR_SHARE`), else the median spacing rounded to a width
    of :data:`NICE_WIDTHS`.

    >>> infer_bucket(pd.DatetimeIndex(["2026-01-01 00:00", "2026-01-01 00:05",
    ...                                "2026-01-01 00:10", "2026-01-01 00:20"]))
    Timedelta('0 days 00:05:00')
    >>> infer_bucket(pd.DatetimeIndex(["2026-01-01 00:00:00", "2026-01-01 00:00:20",
    ...                                "2026-01-01 00:00:21", "2026-01-01 00:01:05"]))
    Timedelta('0 days 00:00:15')
    """
    if len(index) < 2:
        return pd.Timedelta(minutes=5)
    steps = pd.Series(np.diff(index.as_unit("ns").asi8))
    steps = steps[steps > 0]
    if steps.empty:
        raise DataError("All timestamps are equal; the bucket width cannot be inferred.")
    regular, typical = _spacing(index.unique().sort_values())
    if regular:
        return pd.Timedelta(int(steps.mode().iloc[0]), unit="ns")
    return _nice_width(typical)


__all__ = [
    "MAJOR_RISE",
    "MAJOR_SIGMAS",
    "MAX_DISPERSION",
    "MIN_RISE",
    "MODELS",
    "MODES",
    "Detection",
    "check_counts",
    "check_values",
    "choose_model",
    "detect_metric",
    "detect_series",
    "fill_missing",
    "fit_to_grid",
    "regular_detection",
    "infer_bucket",
    "regularize",
]


def _span(delta: pd.Timedelta) -> str:
    """A time span for a person: ``4.5 h``, ``50 min``.

    >>> _span(pd.Timedelta(minutes=270)), _span(pd.Timedelta(minutes=50))
    ('4.5 h', '50 min')
    """
    if delta >= pd.Timedelta(hours=1):
        return f"{delta / pd.Timedelta(hours=1):.3g} h"
    return f"{delta / pd.Timedelta(minutes=1):.3g} min"
