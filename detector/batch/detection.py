"""Detection over every service's series of a batch run, then enrichment.

Each service's posts are counted per minute (:data:`~detector.incidents.tracker.ENGINE_STEP`)
and fed, in time order, to the same :class:`~detector.incidents.tracker.IncidentTracker`
the live API runs: ``detected_at`` is when a live deployment would have raised the
alarm, and the incidents do not depend on the reporting bucket. The per-minute
judgement is then summed into the reporting bucket for ``series.csv`` and the report,
and each incident's peak and baseline are read from those rows (its peak bucket).
"""

from __future__ import annotations

import functools
import logging
import operator
import re
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from detector.batch.chunks import join_services
from detector.incidents.incident import Incident
from detector.incidents.tracker import ENGINE_STEP, track_series
from detector.series.buckets import bucket_width
from detector.series.volume import ALL_SERVICES

if TYPE_CHECKING:
    from detector.batch.progress import RowProgress

log = logging.getLogger(__name__)

#: A service needs at least this many outage posts in the run to be judged at all.
MIN_OUTAGE_POSTS = 5
#: Silences longer than this are left out of series.csv (and not judged step by step).
MAX_GAP = pd.Timedelta(days=1)
#: An export whose posts all carry one time of day (dates without times) is judged per day.
DAY = pd.Timedelta(days=1)
#: The shift of a zone's midnight at a daylight saving change (seconds).
_DST = 3600
#: Share of the per-minute rows at midnight for dates only (a few posts may carry a time).
DATES_SHARE = 0.9
#: How long a service's baseline learns before slower rises are judged (its first day).
WARMUP = pd.Timedelta(days=1)
#: Columns of the reporting series (series.csv).
SERIES_COLUMNS = ("service", "bucket_start", "outage_posts", "all_posts", "baseline", "warming_up")


def dates_only(sparse: pd.DataFrame) -> bool:
    """Do the posts of *sparse* (per-minute counts) carry dates without times of day?

    True when the posts fall at one time of day (midnight, or midnight of the export's
    own zone, which may move by an hour with daylight saving time) on at least two
    different days, but for at most a tenth of the minutes with posts (a few posts
    carrying a time of day): a day's posts then sit in one minute, and judging them
    minute by minute would read every day as a burst.

    >>> days = pd.to_datetime(["2015-06-23", "2015-06-24"], utc=True)
    >>> dates_only(pd.DataFrame({"bucket_start": days}))
    True
    >>> dates_only(pd.DataFrame({"bucket_start": days + pd.to_timedelta([0, 9], unit="h")}))
    False
    >>> dates_only(pd.DataFrame({"bucket_start": days + pd.to_timedelta([8, 7], unit="h")}))
    True
    """
    return day_phase(sparse) is not None


def day_bucket(bucket: str) -> str:
    """The reporting bucket of a run judged per day: *bucket*, or ``"1D"`` if shorter.

    >>> day_bucket("5min"), day_bucket("1D")
    ('1D', '1D')
    """
    return bucket if bucket_width(bucket) >= DAY else "1D"


def day_phase(sparse: pd.DataFrame) -> int | None:
    """The time of day (seconds after UTC midnight) where the days of a dates-only export
    start (the earlier one of its two times of day across a daylight saving change), or
    None when *sparse* is not :func:`dates_only`."""
    if sparse.empty:
        return None
    seconds = pd.DatetimeIndex(sparse["bucket_start"]).as_unit("s").asi8
    day = int(DAY.total_seconds())
    phases, rows = np.unique(seconds % day, return_counts=True)
    top = int(phases[np.argmax(rows)])
    # midnight in summer and winter time, an hour apart: the busier of the two neighbours
    found = dict(zip(phases.tolist(), rows.tolist(), strict=True))
    other = max(((top + _DST) % day, (top - _DST) % day), key=lambda p: found.get(p, 0))
    midnights = (top, other) if other in found else (top,)
    at_midnight = np.isin(seconds % day, midnights)
    if at_midnight.sum() < DATES_SHARE * len(seconds):
        return None
    if len(np.unique(seconds[at_midnight] // day)) < 2:
        return None
    return other if other in found and (top - other) % day == _DST else top  # the earlier


class DayClock(NamedTuple):
    """Where the days of a dates-only export start: the calendar days of *zone* (their
    midnights move with daylight saving time, and a day may last 23 or 25 hours), else
    *phase* seconds after each UTC midnight (UTC, or a zone the times carried themselves).

    The engine judges one value a day on its own grid of whole UTC days: :meth:`engine`
    puts each day there (a zone's day on its own date), :meth:`utc` brings the engine's
    times back to the UTC instants the days start at (picklable, for worker processes).

    >>> clock = DayClock(zone="America/New_York")
    >>> days = pd.to_datetime(["2015-01-04 05:00", "2015-07-06 04:00"], utc=True)
    >>> at = pd.Series(pd.to_datetime(clock.engine(days.as_unit("s").asi8), unit="s", utc=True))
    >>> at.dt.strftime("%m-%d %H:%M").tolist(), clock.utc(at).dt.strftime("%H:%MZ").tolist()
    (['01-04 00:00', '07-06 00:00'], ['05:00Z', '04:00Z'])
    """

    phase: int = 0
    zone: str | None = None

    def engine(self, seconds: np.ndarray) -> np.ndarray:
        """UTC epoch seconds as the engine's: the wall-clock time of the day they fall in."""
        if self.zone is None:
            return seconds - self.phase
        utc = pd.DatetimeIndex(pd.to_datetime(seconds, unit="s", utc=True))
        return utc.tz_convert(self.zone).tz_localize(None).as_unit("s").asi8

    def utc(self, times: pd.Series) -> pd.Series:
        """The engine's times (UTC-labelled) as the UTC instants they stand for."""
        if self.zone is None:
            return times + pd.Timedelta(seconds=self.phase)
        wall = times.dt.tz_localize(None)  # the zone's first midnight when it repeats
        return wall.dt.tz_localize(
            self.zone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward"
        ).dt.tz_convert("UTC")

    def utc_one(self, at: pd.Timestamp) -> pd.Timestamp:
        """:meth:`utc` of one time."""
        return self.utc(pd.Series([at])).iat[0]


def day_clock(sparse: pd.DataFrame, tz: str | None = None) -> DayClock | None:
    """Where the days of *sparse* start when its posts carry dates only (:func:`day_phase`),
    else None: the calendar days of the run's zone *tz* (``--tz``) when the posts sit at
    its midnights, else the fixed time of day they sit at.

    >>> days = pd.to_datetime(["2015-01-04 05:00", "2015-07-06 04:00"], utc=True)
    >>> day_clock(pd.DataFrame({"bucket_start": days}), "America/New_York")
    DayClock(phase=0, zone='America/New_York')
    >>> day_clock(pd.DataFrame({"bucket_start": days}))
    DayClock(phase=14400, zone=None)
    """
    from detector.ingest.timestamps import zone

    phase = day_phase(sparse)
    if phase is None:
        return None
    local = zone(tz)
    if local is not None:
        clock = DayClock(zone=local.key)
        seconds = pd.DatetimeIndex(sparse["bucket_start"]).as_unit("s").asi8
        at_midnight = clock.engine(seconds) % int(DAY.total_seconds()) == 0
        if at_midnight.mean() >= DATES_SHARE:
            return clock
    return DayClock(phase=phase)


def detect_services(
    sparse: pd.DataFrame,
    *,
    bucket: str = "5min",
    progress: RowProgress | None = None,
    map_tasks: Callable[..., Iterable[Any]] = map,
    days: DayClock | None = None,
    posts_path: Path | None = None,
    enrich_tasks: int = 1,
) -> tuple[list[Incident], pd.DataFrame]:
    """Incidents per service from per-minute counts, and the reporting series.

    *sparse* has ``service, bucket_start, outage_posts, all_posts`` per minute with
    posts (:meth:`~detector.batch.accumulate.SeriesAccumulator.sparse`). Returns the
    incidents (sorted by ``detected_at``) and ``series.csv``'s rows in buckets of
    *bucket*: zero-filled except across silences taken for missing data (longer than
    :data:`MAX_GAP`; for a judged service past its first day, also one in which its
    baseline expected ``silence_posts`` outage posts, see
    :meth:`~detector.incidents.tracker.IncidentTracker.is_data_gap`), which are left out.
    The incidents' times do not depend on *bucket* (judged per minute); their peak and
    baseline are those of their peak bucket in these rows (:func:`peaks_from_series`).

    Incidents of the pseudo-service ``all services`` are kept only when no named
    service has an overlapping incident (a surge nobody attributed to a service).
    Services are judged independently: *map_tasks* (``map``'s signature, e.g. a
    process pool's) may judge them in parallel; *progress* advances by one as each is
    judged (in the order they were handed out). Posts with dates but no times are
    judged per day, in buckets of at least a day: *days* is then where their days start
    (:func:`day_clock`).

    With *posts_path* (the run's ``posts.parquet``) the incidents are enriched too
    (:func:`enrich_incidents`), their services split into *enrich_tasks* groups that
    *map_tasks* may run in parallel, each group reading the posts once.
    """
    step = ENGINE_STEP
    if days is not None:  # the engine's days are the export's
        step, bucket = DAY, day_bucket(bucket)
    width = bucket_width(bucket)
    incidents: list[Incident] = []
    overall: list[Incident] = []
    frames: list[pd.DataFrame] = []
    if sparse.empty:
        empty = pd.DataFrame({c: pd.Series(dtype="int64") for c in SERIES_COLUMNS})
        return [], empty.astype(
            {
                "service": "string",
                "bucket_start": "datetime64[ns, UTC]",
                "baseline": "float64",
                "warming_up": "bool",
            }
        )
    step_s = int(step.total_seconds())
    clock = days or DayClock()
    end = int(clock.engine(np.array([sparse["bucket_start"].max().value // 1_000_000_000]))[0])
    end -= end % step_s  # the run's last step
    tasks = []
    for service, rows in sparse.groupby("service", sort=True):
        times = clock.engine(pd.DatetimeIndex(rows["bucket_start"]).as_unit("s").asi8)
        times = times - times % step_s
        outage = rows["outage_posts"].to_numpy(dtype=float)
        total = rows["all_posts"].to_numpy(dtype=float)
        if days is not None:  # the few posts with a time of day join their day's
            times, day = np.unique(times, return_inverse=True)
            outage, total = np.bincount(day, outage), np.bincount(day, total)
        tasks.append(_Task(str(service), times, outage, total, width, end, step, days))
    # the longest series first, so parallel workers finish together; results in name order
    order = sorted(range(len(tasks)), key=lambda i: int(tasks[i].times[0]))
    judged: list[Any] = [None] * len(tasks)
    for i, result in zip(order, map_tasks(judge_service, [tasks[i] for i in order]), strict=True):
        judged[i] = result
        if progress is not None:
            progress.advance(1, completed=progress.rows + 1)
    for task, (frame, found) in zip(tasks, judged, strict=True):
        frames.append(frame)
        (overall if task.service == ALL_SERVICES else incidents).extend(found)
    for candidate in overall:
        if not any(_overlap(candidate, named) for named in incidents):
            incidents.append(candidate)
    if posts_path is not None and incidents:
        groups = service_groups(incidents, enrich_tasks)
        enriched = map_tasks(partial(enrich_incidents, posts_path=posts_path), groups)
        incidents = [inc for group in enriched for inc in group]  # sorted below
    series = pd.concat(frames, ignore_index=True)[list(SERIES_COLUMNS)]
    order = series["service"] != ALL_SERVICES
    series = (
        series.assign(_named=order)
        .sort_values(["_named", "service", "bucket_start"], kind="stable")
        .drop(columns="_named")
        .reset_index(drop=True)
    )
    series["service"] = series["service"].astype("string")
    incidents.sort(key=lambda inc: (inc.detected_at, inc.service))
    return incidents, series


class _Task(NamedTuple):
    """One service's per-step counts, to judge (picklable, for worker processes)."""

    service: str
    times: np.ndarray  #: step starts, epoch seconds on the engine's grid, sorted
    outage: np.ndarray
    total: np.ndarray
    width: pd.Timedelta  #: the reporting bucket
    end: int  #: the run's last step
    step: pd.Timedelta = ENGINE_STEP  #: the engine's step
    #: where a dates-only export's days start (the engine's times are its days)
    days: DayClock | None = None


def judge_service(task: _Task) -> tuple[pd.DataFrame, list[Incident]]:
    """One service's reporting rows and incidents (see :func:`detect_services`)."""
    service, times, outage, total, width, end, step, days = task
    # The engine's days and buckets start at UTC midnight. Those of a dates-only export
    # start at its own midnight: judged on the engine's grid (a day one step, whatever its
    # length), then each bucket and incident time put back on the UTC instant its day
    # starts (Tokyo's 20 June starts 19 June 15:00Z; New York's days at 05:00Z in winter,
    # 04:00Z in summer).
    if outage.sum() < MIN_OUTAGE_POSTS:
        quiet = _unjudged(service, times, outage, total, width, end)
        if days is not None:
            quiet["bucket_start"] = days.utc(quiet["bucket_start"])
        return quiet, []
    # judged at the engine's step only: the reporting bucket changes no incident time
    # (peak_posts, peak_at and baseline_posts are then read from the reporting rows)
    tracked = track_series(
        times,
        outage,
        total,
        service=service,
        end=end,
        step=step,
        warmup=WARMUP,
        max_gap=MAX_GAP,
    )
    steps = tracked.steps
    grouped = steps.groupby(steps["at"].dt.floor(width), sort=True)
    frame = pd.DataFrame(
        {
            "outage_posts": grouped["count"].sum().astype("int64"),
            "all_posts": grouped["total"].sum().astype("int64"),
            "baseline": grouped["expected"].sum().round(4),
            "warming_up": grouped["warming_up"].any(),
        }
    )
    frame.index.name = "bucket_start"
    frame = frame.reset_index().assign(service=service)
    peaks_from_series(tracked.incidents, frame, width)
    if days is None:
        return frame, tracked.incidents
    frame["bucket_start"] = days.utc(frame["bucket_start"])
    return frame, [inc.retimed(days.utc_one) for inc in tracked.incidents]


def peaks_from_series(incidents: list[Incident], frame: pd.DataFrame, width: pd.Timedelta) -> None:
    """Set each incident's ``peak_at``, ``peak_posts`` and ``baseline_posts`` from its
    service's reporting rows *frame* (``bucket_start, outage_posts, baseline``; buckets
    of *width*), as series.csv shows them.

    The peak bucket is the one with the most outage posts (the first of equals) among
    the buckets that overlap the incident, from its onset to its resolution (to the end
    of the data while it is open): ``peak_posts`` is that bucket's whole count, ``peak_at``
    its start (before the onset when the bucket holds it: a day's bucket starts at
    midnight), ``baseline_posts`` its ``baseline``, the posts expected in it. So the
    numbers read the same in incidents.json, series.csv and the report, whatever the
    bucket; the incident's times are the engine's (judged per minute), not the bucket's.

    >>> t = pd.Timestamp("2015-02-23", tz="UTC")
    >>> inc = Incident("AA", t + pd.Timedelta("14h33min"), t + pd.Timedelta("16h02min"),
    ...                resolved_at=t + pd.Timedelta("16h02min"))
    >>> days = pd.DataFrame({"bucket_start": [t - pd.Timedelta("1D"), t],
    ...                      "outage_posts": [80, 73], "baseline": [30.0, 27.6506]})
    >>> peaks_from_series([inc], days, pd.Timedelta("1D"))
    >>> str(inc.peak_at), inc.peak_posts, inc.baseline_posts
    ('2015-02-23 00:00:00+00:00', 73.0, 27.6506)
    """
    if not incidents or frame.empty:
        return
    starts = pd.DatetimeIndex(frame["bucket_start"])
    ends = starts + width
    counts = frame["outage_posts"].to_numpy()
    baselines = frame["baseline"].to_numpy(dtype=float)
    for inc in incidents:
        inside = ends > inc.started_at
        if inc.resolved_at is not None:
            inside &= starts < inc.resolved_at
        rows = np.flatnonzero(inside)
        if not len(rows):  # pragma: no cover - an incident always holds a judged step
            continue
        top = int(rows[np.argmax(counts[rows])])
        inc.peak_at = starts[top]
        inc.peak_posts = float(counts[top])
        inc.baseline_posts = round(float(baselines[top]), 4)


def warmup_end(sparse: pd.DataFrame, days: DayClock | None = None) -> pd.Timestamp | None:
    """When the first service judged (:data:`MIN_OUTAGE_POSTS`) ended its warm-up: its
    first step plus :data:`WARMUP` (its first day: a dates-only export's first day of its
    own clock *days*), the UTC instant from which series.csv's ``warming_up`` is False.
    None when no service was judged.

    >>> t = pd.to_datetime(["2015-02-17 07:37:20", "2015-02-17 09:00:00"], utc=True)
    >>> sparse = pd.DataFrame({"service": ["a", "a"], "bucket_start": t,
    ...                        "outage_posts": [3, 2]})
    >>> warmup_end(sparse)
    Timestamp('2015-02-18 07:37:00+0000', tz='UTC')
    >>> days = pd.DataFrame({"service": ["a"] * 2, "outage_posts": [3, 2],
    ...                      "bucket_start": pd.to_datetime(["2015-01-03 15:00",
    ...                                                      "2015-01-05 15:00"], utc=True)})
    >>> warmup_end(days, DayClock(zone="Asia/Tokyo"))
    Timestamp('2015-01-04 15:00:00+0000', tz='UTC')
    """
    if sparse.empty:
        return None
    outage = sparse.groupby("service", sort=False)["outage_posts"].sum()
    judged = outage.index[outage >= MIN_OUTAGE_POSTS]
    if not len(judged):
        return None
    first = pd.Timestamp(sparse.loc[sparse["service"].isin(judged), "bucket_start"].min())
    step_s = int((DAY if days is not None else ENGINE_STEP).total_seconds())
    clock = days or DayClock()
    start = int(clock.engine(np.array([first.value // 1_000_000_000]))[0])
    end = start - start % step_s + int(WARMUP.total_seconds())
    return clock.utc_one(pd.Timestamp(end, unit="s", tz="UTC"))


def _unjudged(
    service: str,
    times: np.ndarray,
    outage: np.ndarray,
    total: np.ndarray,
    width: pd.Timedelta,
    end: int,
) -> pd.DataFrame:
    """Reporting rows of a service too quiet to judge: counts, and its mean as baseline."""
    w = int(width.total_seconds())
    keys = times - times % w
    frame = (
        pd.DataFrame({"key": keys, "outage_posts": outage, "all_posts": total})
        .groupby("key", sort=True)
        .sum()
    )
    full = _filled_keys(frame.index.to_numpy(), w, end - end % w)
    frame = frame.reindex(full, fill_value=0)
    out = pd.DataFrame(
        {
            "bucket_start": pd.to_datetime(full * 1_000_000_000, utc=True),
            "outage_posts": frame["outage_posts"].to_numpy().astype("int64"),
            "all_posts": frame["all_posts"].to_numpy().astype("int64"),
        }
    )
    out["baseline"] = round(float(out["outage_posts"].mean()), 4) if len(out) else 0.0
    out["warming_up"] = False
    out["service"] = service
    return out


def _filled_keys(keys: np.ndarray, width: int, end: int) -> np.ndarray:
    """Every bucket from each key on, up to the next key or *end*, except long silences."""
    gap = int(MAX_GAP.total_seconds())
    parts = []
    stops = np.append(keys[1:], end + width)
    for key, stop in zip(keys.tolist(), stops.tolist(), strict=True):
        last = stop - width if stop - key - width <= gap else key
        parts.append(np.arange(key, last + width, width, dtype="int64"))
    return np.unique(np.concatenate(parts)) if parts else keys


def _overlap(a: Incident, b: Incident) -> bool:
    end_a = a.resolved_at if a.resolved_at is not None else pd.Timestamp.max.tz_localize("UTC")
    end_b = b.resolved_at if b.resolved_at is not None else pd.Timestamp.max.tz_localize("UTC")
    return a.started_at <= end_b and b.started_at <= end_a


#: Posts per service kept for enrichment: symptom shares and terms are estimates, and a
#: sample of this size (see :func:`load_incident_posts`) keeps memory bounded on runs of
#: hundreds of millions.
MAX_POSTS_PER_SERVICE = 10_000


def load_incident_posts(
    posts_path: Path, incidents: list[Incident], *, cap: int = MAX_POSTS_PER_SERVICE
) -> pd.DataFrame:
    """Scored posts (one row per named service) of the incidents' services around them.

    Streams ``posts.parquet`` batch by batch (Arrow, one batch at a time), reading only
    the needed columns and the half day around each incident (to the run's end for an
    open one), and keeps at most *cap* posts per service, so memory stays bounded by
    *cap*, not by the run. A service's rows depend only on its own incidents: its posts
    in those windows, sampled down to the *cap* with the smallest keyed hash of their
    place in the input (file, line), in input order. Loading services together or one
    at a time (as parallel workers do) gives the same rows, whatever the batches.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    if not incidents or not posts_path.exists():
        return _no_posts()
    margin = pd.Timedelta(hours=12)
    windows: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
    for inc in incidents:
        # an open incident goes on to the run's end, and enrichment reads it all (capped)
        end = _OPEN_END if inc.resolved_at is None else inc.resolved_at + margin
        windows.setdefault(inc.service, []).append((inc.started_at - margin, end))
    condition = functools.reduce(operator.or_, map(_in_windows, windows.values()))
    kept: dict[str, list[pa.Table]] = {service: [] for service in windows}
    # ``services`` read as its dictionary (a run names a few dozen distinct values): each
    # service's pattern is matched against those, not against every row (:func:`_rows_of`)
    parquet = ds.ParquetFileFormat(
        read_options=ds.ParquetReadOptions(dictionary_columns={"services"})
    )
    for batch in ds.dataset(posts_path, format=parquet).to_batches(
        columns=[*_ENRICH_COLUMNS, "source_file", "line"],
        filter=condition,
        batch_readahead=1,  # the defaults buffer 16 batches: a worker's memory, not speed
        fragment_readahead=1,
        use_threads=False,
        fragment_scan_options=ds.ParquetFragmentScanOptions(pre_buffer=False),
    ):
        table = pa.Table.from_batches([batch])
        for service, spans in windows.items():
            rows = _plain_services(table.filter(_rows_of(table, service, spans)))
            if len(rows):
                parts = kept[service]
                parts.append(rows)
                if sum(map(len, parts)) > 4 * cap:  # bounded: only the smallest keys can stay
                    kept[service] = [_sample(pa.concat_tables(parts), cap)]
    frames = []
    for service, parts in kept.items():
        if parts:
            rows = _sample(pa.concat_tables(parts), cap).to_pandas()
            frames.append(rows.drop(columns=["source_file", "line"]).assign(service=service))
    if not frames:
        return _no_posts()
    return pd.concat(frames, ignore_index=True)


#: The end of an open incident's window: later than any post.
_OPEN_END = pd.Timestamp("2262-01-01", tz="UTC")

_ENRICH_COLUMNS = ["created_at", "text", "services", "is_outage", "outage_prob", "symptom"]


def _no_posts() -> pd.DataFrame:
    """:func:`load_incident_posts`'s frame without rows (enrichment finds nothing in it)."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in [*_ENRICH_COLUMNS, "service"]})


def _in_windows(spans: list[tuple[pd.Timestamp, pd.Timestamp]]) -> Any:
    """Dataset filter: ``created_at`` in one of *spans* (ends included); it lets the
    scan skip the row groups outside them (:func:`_rows_of` is the same test on a batch
    in memory: an expression filter there goes through Acero, twice the load's time)."""
    import pyarrow.dataset as ds

    column = ds.field("created_at")
    return functools.reduce(
        operator.or_,
        [
            (column >= start.to_pydatetime()) & (column <= end.to_pydatetime())
            for start, end in spans
        ],
    )


def _rows_of(table: Any, service: str, spans: list[tuple[pd.Timestamp, pd.Timestamp]]) -> Any:
    """Arrow mask of the rows of *table* that name *service* (every row for ``all
    services``) and fall in one of *spans* (ends included)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    times = table.column("created_at")
    inside = None
    for start, end in spans:
        low = pa.scalar(start.to_pydatetime(), type=times.type)
        high = pa.scalar(end.to_pydatetime(), type=times.type)
        span = pc.and_(pc.greater_equal(times, low), pc.less_equal(times, high))
        inside = span if inside is None else pc.or_(inside, span)
    if service == ALL_SERVICES:
        return inside
    services = table.column("services")
    pattern = _names_any({service})
    if pa.types.is_dictionary(services.type):  # matched once per distinct value
        named = pa.chunked_array(
            [
                pc.take(pc.match_substring_regex(chunk.dictionary, pattern), chunk.indices)
                for chunk in services.chunks
            ],
            type=pa.bool_(),
        )
    else:
        named = pc.match_substring_regex(services, pattern)
    return pc.and_kleene(inside, pc.fill_null(named, False))


def _plain_services(table: Any) -> Any:
    """*table* with its ``services`` column as plain strings (it may be read as a
    dictionary: :func:`load_incident_posts`), as the rest of enrichment expects."""
    import pyarrow as pa

    index = table.schema.get_field_index("services")
    if index < 0 or not pa.types.is_dictionary(table.schema.field(index).type):
        return table
    return table.set_column(index, "services", table.column(index).cast(pa.string()))


def _sample(table: Any, cap: int) -> Any:
    """The *cap* rows of *table* with the smallest :func:`_place_keys`, in table order."""
    if len(table) <= cap:
        return table
    keys = _place_keys(table)
    return table.take(np.sort(np.argpartition(keys, cap - 1)[:cap]))


def _place_keys(table: Any) -> np.ndarray:
    """A hash of each row's place in the input, its file and line, the same in every
    process (workers sample the services they enrich apart).

    >>> import pyarrow as pa
    >>> t = pa.table({"source_file": ["a.csv", "a.csv", "b.csv"], "line": [2, 3, 2]})
    >>> keys = _place_keys(t)
    >>> len(set(keys.tolist())), bool((keys == _place_keys(t)).all())
    (3, True)
    """
    from detector.ingest.dedupe import hash_columns, stable_hash_strings

    files = table.column("source_file").to_pandas()
    lines = table.column("line").to_pandas()
    return hash_columns(files, lines, strings=stable_hash_strings)


def _names_any(services: set[str]) -> str:
    """An RE2 pattern matching a ``services`` value (:func:`~detector.batch.chunks.join_services`)
    that names one of *services*: whole names, from the value's start name by name, so a
    ``|`` escaped inside a given name is not taken for a separator.

    >>> import re
    >>> pattern = _names_any({"A+", "B", "M | O"})
    >>> [bool(re.search(pattern, v)) for v in ["A+", "C|B", "A", "BB|C", "X\\\\|B", "M \\\\| O|C"]]
    [True, True, False, False, False, True]
    """
    names = "|".join(sorted(re.escape(join_services([name])) for name in services))
    return rf"^(?:(?:[^|\\]|\\.)*\|)*(?:{names})(?:\||$)"


def enrich_incidents(incidents: list[Incident], posts_path: Path) -> list[Incident]:
    """*incidents* with their symptoms, top terms and sample posts filled from the run's
    posts (read once for all of them); returned, since a worker process fills copies."""
    from detector.incidents.enrich import enrich

    enrich(incidents, load_incident_posts(posts_path, incidents))
    return incidents


def service_groups(incidents: list[Incident], groups: int) -> list[list[Incident]]:
    """*incidents* split into at most *groups* lists, a service's incidents together:
    services with the most incidents first, each to the list with the fewest so far.

    >>> t = pd.Timestamp("2025-01-01", tz="UTC")
    >>> incs = [Incident(s, t, t) for s in ["A", "B", "A", "C"]]
    >>> [[i.service for i in g] for g in service_groups(incs, 2)]
    [['A', 'A'], ['B', 'C']]
    """
    by_service: dict[str, list[Incident]] = {}
    for inc in incidents:
        by_service.setdefault(inc.service, []).append(inc)
    out: list[list[Incident]] = [[] for _ in range(max(1, min(groups, len(by_service))))]
    for _, mine in sorted(by_service.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        min(out, key=len).extend(mine)
    return out
