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

import numpy as np
import pandas as pd

from detector.batch.chunks import ESCAPE, SERVICE_SEPARATOR, split_services
from detector.series.volume import ALL_SERVICES


def _names_of(value: str) -> list[str]:
    """The names in a ``services`` value, as :func:`~detector.batch.chunks.explode_services`
    reads them, without :data:`ALL_SERVICES`: a post whose export names the pseudo-service
    counts there once, as every post does (as the API counts it).

    >>> _names_of("Zoom"), _names_of("all services"), _names_of("A|all services")
    (['Zoom'], [], ['A'])
    """
    if SERVICE_SEPARATOR in value or ESCAPE in value:
        return [n for n in split_services(value) if n != ALL_SERVICES]
    return [] if value == ALL_SERVICES else [value]


class SeriesAccumulator:
    """Sum outage and all-post counts per service and bucket over many chunks."""

    def __init__(self, bucket: str = "5min") -> None:
        self.bucket = bucket
        self._parts: list[pd.DataFrame] = []

    def add(self, posts: pd.DataFrame, *, overall: bool = True) -> None:
        """Add a chunk with ``service`` (one per row, NA allowed), ``created_at``, ``is_outage``.

        Every row also counts in :data:`ALL_SERVICES` when *overall* is true; rows with
        NA service count only there, and so do rows whose service is :data:`ALL_SERVICES`
        itself (once, not twice).
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
        if overall:
            named = named[named["service"] != ALL_SERVICES]
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
        """Add a scored chunk whose ``services`` may name several services per post.

        Each post counts once overall (:data:`ALL_SERVICES`), however many services it
        names (also when it names :data:`ALL_SERVICES` itself), and once for each other
        service its ``services`` value names
        (:func:`~detector.batch.chunks.explode_services`). The counts are summed per
        distinct ``services`` value and bucket first, then spread over the names of
        each value: the same counts as exploding the posts, without a row per name.
        """
        if scored.empty:
            return
        bucket_codes, buckets = pd.factorize(scored["created_at"].dt.floor(self.bucket))
        if (bucket_codes < 0).any():  # a post without a time: as add() takes it
            self._add_exploded(scored)
            return
        value_codes, values = pd.factorize(scored["services"].astype("string"))
        outage = scored["is_outage"].astype("int64").to_numpy()
        n_buckets = len(buckets)
        # every post once overall, in each bucket (each bucket has a post)
        overall_all = np.bincount(bucket_codes, minlength=n_buckets)
        overall_outage = np.bincount(bucket_codes, weights=outage, minlength=n_buckets)
        # posts with a services value: counts per (value, bucket) ...
        named = value_codes >= 0
        key_codes, keys = pd.factorize(
            value_codes[named].astype(np.int64) * n_buckets + bucket_codes[named]
        )
        key_all = np.bincount(key_codes, minlength=len(keys))
        key_outage = np.bincount(key_codes, weights=outage[named], minlength=len(keys))
        # ... spread over the value's names (a row per name of each key): per (name, bucket)
        ids: dict[str, int] = {}
        spread = [
            [ids.setdefault(name, len(ids)) for name in _names_of(value)]
            for value in values.tolist()
        ]
        names = list(ids)
        flat = np.fromiter((i for each in spread for i in each), dtype=np.int64)
        lengths = np.fromiter(map(len, spread), dtype=np.int64, count=len(spread))
        key_values = keys // n_buckets
        per_key = lengths[key_values]
        repeat = np.repeat(np.arange(len(keys)), per_key)
        first = (np.cumsum(lengths) - lengths)[key_values]  # of the key's names in *flat*
        within = np.arange(len(repeat)) - np.repeat(np.cumsum(per_key) - per_key, per_key)
        name_ids = flat[first[repeat] + within]
        name_codes, name_keys = pd.factorize(name_ids * n_buckets + (keys % n_buckets)[repeat])
        name_all = np.bincount(name_codes, weights=key_all[repeat], minlength=len(name_keys))
        name_outage = np.bincount(name_codes, weights=key_outage[repeat], minlength=len(name_keys))
        services = [ALL_SERVICES] * n_buckets + [
            names[i] for i in (name_keys // n_buckets).tolist()
        ]
        part = pd.DataFrame(
            {
                "service": pd.array(services, dtype="string"),
                "bucket_start": buckets.take(
                    np.concatenate([np.arange(n_buckets), name_keys % n_buckets])
                ),
                "outage_posts": np.concatenate([overall_outage, name_outage]).astype("int64"),
                "all_posts": np.concatenate([overall_all, name_all]).astype("int64"),
            }
        ).set_index(["service", "bucket_start"])
        self._parts.append(part)
        if len(self._parts) >= 32:  # keep the sparse partials compact
            self._parts = [pd.concat(self._parts).groupby(level=[0, 1]).sum()]

    def _add_exploded(self, scored: pd.DataFrame) -> None:
        """:meth:`add_scored` row by row: the posts, then one row per named service."""
        from detector.batch.chunks import explode_services

        self.add(scored[["created_at", "is_outage"]].assign(service=ALL_SERVICES), overall=False)
        named = explode_services(scored[["services", "created_at", "is_outage"]])
        self.add(named[named["service"].ne(ALL_SERVICES).fillna(False)], overall=False)

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
