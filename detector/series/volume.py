"""Volume per service and time bucket: the counts every detector works on.

Two ways to count the same thing. :func:`volume_series` turns a frame of scored
posts into zero-filled counts per service and bucket in one vectorised pass
(batch); :class:`VolumeCounter` counts one post at a time and hands out buckets
once they are complete (live API). Both add the pseudo-service
:data:`ALL_SERVICES`, which also counts posts that name no service.

>>> import pandas as pd
>>> posts = pd.DataFrame({
...     "service": ["Gmail", "Gmail", None],
...     "created_at": pd.to_datetime(["2026-01-05 10:01", "2026-01-05 10:12",
...                                   "2026-01-05 10:13"], utc=True),
...     "is_outage": [True, False, True],
... })
>>> print(volume_series(posts, bucket="5min").to_string(index=False))
     service              bucket_start  outage_posts  all_posts
all services 2026-01-05 10:00:00+00:00             1          1
all services 2026-01-05 10:05:00+00:00             0          0
all services 2026-01-05 10:10:00+00:00             1          2
       Gmail 2026-01-05 10:00:00+00:00             1          1
       Gmail 2026-01-05 10:05:00+00:00             0          0
       Gmail 2026-01-05 10:10:00+00:00             0          1
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from detector.errors import DataError, SchemaError, UsageError
from detector.series.buckets import bucket_width

#: Name of the pseudo-service that counts every post, with or without a service.
ALL_SERVICES = "all services"
#: Columns of the frame returned by :func:`volume_series`, in order.
COLUMNS = ("service", "bucket_start", "outage_posts", "all_posts")

_MIN_BUCKET = pd.Timedelta(minutes=1)
_MAX_BUCKET = pd.Timedelta(days=1)


def parse_bucket(bucket: object) -> pd.Timedelta:
    """The bucket width as a Timedelta, or :class:`UsageError` if it is not allowed.

    Allowed: a fixed pandas offset from 1 minute to 1 day that divides a day evenly
    enough to be floored on (``'1min'``, ``'5min'``, ``'15min'``, ``'1h'``, ...).

    >>> parse_bucket("15min")
    Timedelta('0 days 00:15:00')
    >>> parse_bucket("fast")
    Traceback (most recent call last):
    ...
    detector.errors.UsageError: The 'bucket' parameter must be a pandas offset between 1min and 1D like '5min'. Got 'fast' instead.
    """  # noqa: E501
    message = (
        "The 'bucket' parameter must be a pandas offset between 1min and 1D like '5min'. "
        f"Got {bucket!r} instead."
    )
    if not isinstance(bucket, str | pd.Timedelta) and not hasattr(bucket, "nanos"):
        raise UsageError(message)
    try:
        step = bucket_width(bucket)
    except UsageError as err:
        raise UsageError(message) from err
    if not _MIN_BUCKET <= step <= _MAX_BUCKET:
        raise UsageError(message)
    return step


def _utc_ns(created_at: pd.Series) -> np.ndarray:
    """Post times as int64 nanoseconds since the epoch (naive times are read as UTC)."""
    if not isinstance(
        created_at.dtype, pd.DatetimeTZDtype
    ) and not pd.api.types.is_datetime64_dtype(created_at.dtype):
        try:
            created_at = pd.to_datetime(created_at, utc=True)
        except (ValueError, TypeError) as err:
            raise DataError(
                f"The 'created_at' column must hold timestamps; got dtype {created_at.dtype}."
            ) from err
    if created_at.isna().any():
        row = int(np.flatnonzero(created_at.isna().to_numpy())[0])
        raise DataError(f"The 'created_at' column has a missing time at row {row}.")
    if isinstance(created_at.dtype, pd.DatetimeTZDtype):
        created_at = created_at.dt.tz_convert("UTC").dt.tz_localize(None)
    return created_at.to_numpy(dtype="datetime64[ns]").view("int64")


def volume_series(posts: pd.DataFrame, bucket: str = "5min") -> pd.DataFrame:
    """Outage posts and all posts per service and bucket, zero-filled.

    *posts* needs the columns ``service`` (str, or NA for posts naming no service),
    ``created_at`` (UTC) and ``is_outage`` (bool); one row per (post, service), as the
    batch engine explodes posts naming several services. A post whose ``service`` is
    NA, or :data:`ALL_SERVICES` itself, counts only there (once). When an ``id`` column is present,
    :data:`ALL_SERVICES` counts each id once per bucket (an exploded post is one post).

    Returns the columns :data:`COLUMNS`: ``bucket_start`` as ``datetime64[ns, UTC]``,
    counts as int64, one row per service and bucket from the first to the last bucket
    of the whole data, :data:`ALL_SERVICES` first, then services in sorted order.

    >>> import pandas as pd
    >>> posts = pd.DataFrame({"service": ["A", "B"], "is_outage": [True, True],
    ...     "created_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 10:20"], utc=True)})
    >>> frame = volume_series(posts, bucket="10min")
    >>> frame.groupby("service").outage_posts.agg(list).to_dict()
    {'A': [1, 0, 0], 'B': [0, 0, 1], 'all services': [1, 0, 1]}
    """
    step = parse_bucket(bucket)
    missing = [c for c in ("service", "created_at", "is_outage") if c not in posts.columns]
    if missing:
        raise SchemaError(
            f"volume_series needs the columns service, created_at, is_outage; "
            f"missing: {', '.join(missing)}."
        )
    if len(posts) == 0:
        return _frame([], np.empty(0, dtype="int64"), np.empty(0, "int64"), np.empty(0, "int64"))

    step_ns = step.value
    times = _utc_ns(posts["created_at"])
    slot = times // step_ns
    first = int(slot.min())
    n_buckets = int(slot.max()) - first + 1
    offset = slot - first
    try:
        outage = posts["is_outage"].astype("bool").to_numpy()
    except (ValueError, TypeError) as err:
        raise DataError("The 'is_outage' column must be boolean (no missing values).") from err

    # "all services": every post once (exploded posts share an id).
    keep = np.ones(len(posts), dtype=bool)
    if "id" in posts.columns:
        # rows of one exploded post share its time: only those need the (slower) id check
        same_time = pd.Series(times).duplicated(keep=False).to_numpy()
        if same_time.any():
            candidates = pd.DataFrame(
                {"id": posts["id"].to_numpy()[same_time], "time": times[same_time]}
            )
            repeat = candidates.duplicated().to_numpy() & candidates["id"].notna().to_numpy()
            keep[np.flatnonzero(same_time)[repeat]] = False
    all_out = np.bincount(offset[keep], weights=outage[keep], minlength=n_buckets)
    all_all = np.bincount(offset[keep], minlength=n_buckets)

    service = posts["service"]
    # a post whose service says "all services" already counts there, once, like every post
    named = service.notna().to_numpy() & (service != ALL_SERVICES).to_numpy()
    codes, names = pd.factorize(service[named].astype(str), sort=True)
    n_services = len(names)
    flat = codes.astype("int64") * n_buckets + offset[named]
    size = n_services * n_buckets
    svc_out = np.bincount(flat, weights=outage[named], minlength=size)
    svc_all = np.bincount(flat, minlength=size)

    starts = (first + np.arange(n_buckets, dtype="int64")) * step_ns
    services = [ALL_SERVICES, *[str(n) for n in names]]
    return _frame(
        np.repeat(np.array(services, dtype=object), n_buckets),
        np.tile(starts, n_services + 1),
        np.concatenate([all_out, svc_out]).astype("int64"),
        np.concatenate([all_all, svc_all]).astype("int64"),
    )


def _frame(
    service: np.ndarray | list, starts_ns: np.ndarray, outage: np.ndarray, total: np.ndarray
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "service": pd.array(service, dtype=object),
            "bucket_start": pd.to_datetime(
                np.asarray(starts_ns, dtype="int64"), unit="ns", utc=True
            ).astype("datetime64[ns, UTC]"),
            "outage_posts": np.asarray(outage, dtype="int64"),
            "all_posts": np.asarray(total, dtype="int64"),
        }
    )


class VolumeCounter:
    """Incremental per-service counts for live detection, one post at a time.

    ``add`` counts a post into its bucket (and into :data:`ALL_SERVICES`);
    ``close_until(ts)`` returns every bucket that ended at or before ``ts - lateness``
    as ``(service, bucket_start, outage_posts, all_posts)``, zero buckets included, in
    time order. A post for a bucket already closed is too late: it is not counted
    and ``n_late`` goes up. A service's first bucket is the bucket of its first post.

    >>> import pandas as pd
    >>> counter = VolumeCounter("5min")
    >>> counter.add("Gmail", pd.Timestamp("2026-01-05 10:01", tz="UTC"), True)
    >>> counter.add("Gmail", pd.Timestamp("2026-01-05 10:11", tz="UTC"), False)
    >>> for row in counter.close_until(pd.Timestamp("2026-01-05 10:15", tz="UTC")):
    ...     print(row[0], row[1].strftime("%H:%M"), row[2], row[3])
    all services 10:00 1 1
    Gmail 10:00 1 1
    all services 10:05 0 0
    Gmail 10:05 0 0
    all services 10:10 0 1
    Gmail 10:10 0 1
    >>> counter.add("Gmail", pd.Timestamp("2026-01-05 10:02", tz="UTC"), True)
    >>> counter.n_late
    1
    """

    def __init__(self, bucket: str = "5min", *, lateness: str = "0min") -> None:
        self.bucket = bucket
        self.lateness = lateness
        self._step = parse_bucket(bucket).value
        try:
            self._lateness = pd.Timedelta(lateness).value
        except (ValueError, TypeError) as err:
            raise UsageError(
                f"The 'lateness' parameter must be a duration like '10min'. Got {lateness!r}."
            ) from err
        if self._lateness < 0:
            raise UsageError(f"The 'lateness' parameter must not be negative. Got {lateness!r}.")
        self._reset()

    def _reset(self) -> None:
        self._closed = -(2**62)  # buckets with start < _closed are final
        self._next: dict[str, int] = {}  # service -> first bucket start not yet emitted
        self._counts: dict[tuple[str, int], list[int]] = {}
        self.n_late = 0

    def add(self, service: str | None, created_at: pd.Timestamp, is_outage: bool) -> None:
        """Count one post (``service`` None or NA: counted only in ``all services``)."""
        ts = pd.Timestamp(created_at)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        start = ts.value // self._step * self._step
        if start < self._closed:
            self.n_late += 1
            return
        names = (
            [ALL_SERVICES] if service is None or pd.isna(service) else [ALL_SERVICES, str(service)]
        )
        for name in names:
            if name not in self._next or start < self._next[name]:
                self._next[name] = start
            cell = self._counts.setdefault((name, start), [0, 0])
            cell[0] += int(bool(is_outage))
            cell[1] += 1

    def close_until(self, ts: pd.Timestamp) -> list[tuple[str, pd.Timestamp, int, int]]:
        """Emit the buckets that ended at or before ``ts - lateness``, oldest first."""
        ts = pd.Timestamp(ts)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        limit = (ts.value - self._lateness) // self._step * self._step  # end of last full bucket
        if limit <= self._closed:
            return []
        rows: list[tuple[int, bool, str, int, int]] = []
        for name, start in self._next.items():
            for b in range(start, limit, self._step):
                out, total = self._counts.pop((name, b), (0, 0))
                rows.append((b, name != ALL_SERVICES, name, out, total))
            self._next[name] = max(start, limit)
        self._closed = limit
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        return [(name, pd.Timestamp(b, tz="UTC"), out, total) for b, _, name, out, total in rows]


__all__ = ["ALL_SERVICES", "COLUMNS", "VolumeCounter", "parse_bucket", "volume_series"]
