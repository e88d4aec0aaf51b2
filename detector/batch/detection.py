"""Detection over every service's series of a batch run, then enrichment and linking.

Each service's outage-post series is judged as a live deployment would have judged
it (online mode: ``detected_at`` is the first bucket at which the alarm would have
risen), so the report can say how early the tool would have warned.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from detector.batch.accumulate import ALL_SERVICES
from detector.batch.chunks import explode_services
from detector.incidents.incident import Incident

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


def load_incident_posts(posts_path: Path, incidents: list[Incident]) -> pd.DataFrame:
    """Scored posts (one row per named service) in a day around any incident.

    Reads only the needed columns and time ranges of ``posts.parquet``, so memory
    stays bounded by the incidents, not by the run.
    """
    import pyarrow.dataset as ds

    if not incidents or not posts_path.exists():
        return pd.DataFrame()
    dataset = ds.dataset(posts_path, format="parquet")
    column = ds.field("created_at")
    day = pd.Timedelta(hours=12)
    condition = None
    for inc in incidents:
        start = inc.started_at - day
        end = (inc.resolved_at or inc.detected_at) + day
        clause = (column >= start.to_pydatetime()) & (column <= end.to_pydatetime())
        condition = clause if condition is None else condition | clause
    table = dataset.to_table(
        columns=["created_at", "text", "services", "is_outage", "outage_prob", "symptom"],
        filter=condition,
    )
    posts = explode_services(table.to_pandas())
    posts["service"] = posts["service"].fillna(ALL_SERVICES)
    unattributed = posts["service"] == ALL_SERVICES
    if unattributed.any():
        # "all services" incidents describe every post, named or not.
        everything = posts.assign(service=ALL_SERVICES)
        posts = pd.concat([posts[~unattributed], everything], ignore_index=True)
    return posts


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
