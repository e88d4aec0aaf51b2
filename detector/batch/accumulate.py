"""Volume counts accumulated chunk by chunk, with bounded memory.

Each chunk is reduced to sparse ``(service, bucket_start) -> counts``; only at the
end are the series zero-filled per service (between the service's first and the run's
last bucket), as :func:`detector.series.volume.volume_series` would on the whole data.

>>> import pandas as pd
>>> acc = SeriesAccumulator("5min")
>>> acc.add(pd.DataFrame({
...     "service": ["Gmail", "Gmail", None],
...     "created_at": pd.to_datetime(["2026-01-01 00:01", "2026-01-01 00:12",
...                                   "2026-01-01 00:03"], utc=True),
...     "is_outage": [True, False, True]}))
>>> for row in acc.frame()[["service", "outage_posts", "all_posts"]].values.tolist():
...     print(row)
['Gmail', 1, 1]
['Gmail', 0, 0]
['Gmail', 0, 1]
['all services', 2, 2]
['all services', 0, 0]
['all services', 0, 1]
"""

from __future__ import annotations

import pandas as pd

from detector.series.volume import ALL_SERVICES


class SeriesAccumulator:
    """Sum outage and all-post counts per service and bucket over many chunks."""

    def __init__(self, bucket: str = "5min") -> None:
        self.bucket = bucket
        self._parts: list[pd.DataFrame] = []

    def add(self, posts: pd.DataFrame, *, overall: bool = True) -> None:
        """Add a chunk with ``service`` (one per row, NA allowed), ``created_at``, ``is_outage``.

        Every row also counts in :data:`ALL_SERVICES` when *overall* is true; rows with
        NA service count only there.
        """
        if posts.empty:
            return
        bucket_start = posts["created_at"].dt.floor(self.bucket)
        frame = pd.DataFrame(
            {
                "service": posts["service"].astype("string"),
                "bucket_start": bucket_start,
                "outage_posts": posts["is_outage"].astype("int64"),
                "all_posts": 1,
            }
        )
        named = frame.dropna(subset=["service"])
        parts = [named, frame.assign(service=ALL_SERVICES)] if overall else [named]
        grouped = (
            pd.concat(parts, ignore_index=True)
            .groupby(["service", "bucket_start"], observed=True, sort=False)[
                ["outage_posts", "all_posts"]
            ]
            .sum()
        )
        self._parts.append(grouped)
        if len(self._parts) >= 32:  # keep the sparse partials compact
            self._parts = [pd.concat(self._parts).groupby(level=[0, 1]).sum()]

    def add_scored(self, scored: pd.DataFrame) -> None:
        """Add a scored chunk whose ``services`` may name several services per post."""
        from detector.batch.chunks import explode_services

        # Each post counts once overall, however many services it names.
        self.add(scored[["created_at", "is_outage"]].assign(service=ALL_SERVICES), overall=False)
        named = explode_services(scored[["services", "created_at", "is_outage"]])
        self.add(named, overall=False)

    def merge(self, sparse: pd.DataFrame) -> None:
        """Add the :meth:`sparse` counts of another accumulator (e.g. a Dask worker's)."""
        if len(sparse):
            self._parts.append(sparse.set_index(["service", "bucket_start"]))
            if len(self._parts) >= 32:
                self._parts = [pd.concat(self._parts).groupby(level=[0, 1]).sum()]

    def sparse(self) -> pd.DataFrame:
        """``service, bucket_start, outage_posts, all_posts`` of buckets with posts only.

        What the incident engine needs: it skips long silences itself, so months of
        sparse posts never become millions of zero rows.
        """
        columns = ["service", "bucket_start", "outage_posts", "all_posts"]
        if not self._parts:
            return self.frame()
        sparse = pd.concat(self._parts).groupby(level=[0, 1]).sum().sort_index().reset_index()
        sparse["service"] = sparse["service"].astype("string")
        sparse[["outage_posts", "all_posts"]] = sparse[["outage_posts", "all_posts"]].astype(
            "int64"
        )
        return sparse[columns]

    def frame(self) -> pd.DataFrame:
        """Zero-filled ``service, bucket_start, outage_posts, all_posts`` sorted by both."""
        columns = ["service", "bucket_start", "outage_posts", "all_posts"]
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns}).assign(
                service=pd.Series(dtype="string"),
                bucket_start=pd.Series(dtype="datetime64[ns, UTC]"),
            )[columns]
        sparse = pd.concat(self._parts).groupby(level=[0, 1]).sum().sort_index()
        last = sparse.index.get_level_values("bucket_start").max()
        filled = []
        for service, rows in sparse.groupby(level=0, sort=True):
            times = rows.index.get_level_values("bucket_start")
            full = pd.date_range(times.min(), last, freq=self.bucket, name="bucket_start")
            one = rows.droplevel(0).reindex(full, fill_value=0).reset_index()
            one.insert(0, "service", service)
            filled.append(one)
        out = pd.concat(filled, ignore_index=True)
        out["service"] = out["service"].astype("string")
        out[["outage_posts", "all_posts"]] = out[["outage_posts", "all_posts"]].astype("int64")
        return out[columns]
