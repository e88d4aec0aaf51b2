"""Detection over every service's series of a batch run, then enrichment and linking.

Each service's outage-post series is judged as a live deployment would have judged
it (online mode: ``detected_at`` is the first bucket at which the alarm would have
risen), so the report can say how early the tool would have warned.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from detector.batch.chunks import explode_services
from detector.incidents.incident import Incident
from detector.series.volume import ALL_SERVICES

log = logging.getLogger(__name__)

#: A service needs at least this many outage posts in the run to be judged at all.
MIN_OUTAGE_POSTS = 5


def detect_services(
    series: pd.DataFrame, *, mode: str = "online"
) -> tuple[list[Incident], pd.DataFrame]:
    """Run detection per service; returns incidents and *series* with a ``baseline`` column.

    Incidents of the pseudo-service ``all services`` are kept only when no named
    service has an overlapping incident (a surge nobody attributed to a service).
    """
    from detector.incidents.detect import detect_series

    incidents: list[Incident] = []
    overall: list[Incident] = []
    baselines: list[pd.Series] = []
    for service, rows in series.groupby("service", sort=True):
        counts = pd.Series(
            rows["outage_posts"].to_numpy(dtype=float),
            index=pd.DatetimeIndex(rows["bucket_start"]),
        )
        totals = pd.Series(rows["all_posts"].to_numpy(dtype=float), index=counts.index)
        if counts.sum() < MIN_OUTAGE_POSTS:
            baselines.append(pd.Series(counts.mean(), index=rows.index))
            continue
        result = detect_series(counts, totals=totals, mode=mode, service=str(service))
        baselines.append(pd.Series(result.baseline.to_numpy(), index=rows.index))
        (overall if service == ALL_SERVICES else incidents).extend(result.incidents)
    for candidate in overall:
        if not any(_overlap(candidate, named) for named in incidents):
            incidents.append(candidate)
    out = series.copy()
    out["baseline"] = (
        pd.concat(baselines).reindex(out.index).astype(float).round(4)
        if (baselines)
        else pd.Series(dtype=float)
    )
    incidents.sort(key=lambda inc: (inc.detected_at, inc.service))
    return incidents, out


def _overlap(a: Incident, b: Incident) -> bool:
    end_a = a.resolved_at if a.resolved_at is not None else pd.Timestamp.max.tz_localize("UTC")
    end_b = b.resolved_at if b.resolved_at is not None else pd.Timestamp.max.tz_localize("UTC")
    return a.started_at <= end_b and b.started_at <= end_a


#: Posts per service kept for enrichment: symptom shares and terms are estimates, and a
#: uniform sample of this size keeps memory bounded on runs of hundreds of millions.
MAX_POSTS_PER_SERVICE = 10_000


def load_incident_posts(
    posts_path: Path, incidents: list[Incident], *, cap: int = MAX_POSTS_PER_SERVICE
) -> pd.DataFrame:
    """Scored posts (one row per named service) of the incidents' services around them.

    Streams ``posts.parquet`` batch by batch, reading only the needed columns and the
    half day around each incident, and keeps at most *cap* posts per service (a
    seeded uniform sample), so memory stays bounded by *cap*, not by the run.
    """
    import pyarrow.dataset as ds

    if not incidents or not posts_path.exists():
        return pd.DataFrame()
    column = ds.field("created_at")
    margin = pd.Timedelta(hours=12)
    condition = None
    for inc in incidents:
        start = inc.started_at - margin
        end = (inc.resolved_at or inc.detected_at) + margin
        clause = (column >= start.to_pydatetime()) & (column <= end.to_pydatetime())
        condition = clause if condition is None else condition | clause
    wanted = {inc.service for inc in incidents}
    everything = ALL_SERVICES in wanted
    rng = np.random.default_rng(0)
    kept: dict[str, pd.DataFrame] = {}
    batches = ds.dataset(posts_path, format="parquet").to_batches(
        columns=["created_at", "text", "services", "is_outage", "outage_prob", "symptom"],
        filter=condition,
        batch_size=200_000,
    )
    for batch in batches:
        posts = explode_services(batch.to_pandas())
        posts["service"] = posts["service"].fillna(ALL_SERVICES)
        parts = [posts[posts["service"].isin(wanted)]]
        if everything:  # "all services" incidents describe every post, named or not
            overall = posts.drop_duplicates(subset=["created_at", "text"])
            parts.append(overall.assign(service=ALL_SERVICES))
        for service, rows in pd.concat(parts, ignore_index=True).groupby("service"):
            pool = pd.concat([kept[service], rows]) if service in kept else rows
            if len(pool) > cap:
                pool = pool.iloc[np.sort(rng.choice(len(pool), cap, replace=False))]
            kept[str(service)] = pool
    if not kept:
        return pd.DataFrame()
    return pd.concat(kept.values(), ignore_index=True)


def enrich_and_link(
    incidents: list[Incident], posts_path: Path, catalog: object | None
) -> list[Incident]:
    """Fill symptoms, top terms and sample posts; link incidents with a common provider."""
    from detector.incidents.enrich import enrich
    from detector.incidents.related import link

    if not incidents:
        return incidents
    enrich(incidents, load_incident_posts(posts_path, incidents))
    if catalog is not None:
        link(incidents, catalog)
    return incidents
