"""``GET /v1/series``: a service's volume series with its baseline."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from detector.api.deps import ReadAccess, RuntimeDep
from detector.api.intake import ALL_SERVICES
from detector.api.openapi import errors
from detector.api.queries import (
    MAX_SERIES_ROWS,
    counter,
    epoch,
    iso_s,
    resolve_service,
    series,
    series_row_count,
)
from detector.api.routers.incidents import unknown_service
from detector.api.schemas import MAX_NAME, SeriesOut, UtcTime
from detector.api.settings import parse_bucket
from detector.errors import UsageError

#: Widest bucket ``/v1/series`` sums into (a year and a day).
MAX_BUCKET_SECONDS = 366 * 86400

router = APIRouter(prefix="/v1", tags=["series"], dependencies=[ReadAccess])


@router.get("/series", response_model=SeriesOut, responses=errors(404))
def get_series(
    runtime: RuntimeDep,
    service: Annotated[str, Query(min_length=1, max_length=MAX_NAME)] = ALL_SERVICES,
    since: Annotated[
        UtcTime | None, Query(description="Default: one day before the newest post.")
    ] = None,
    until: Annotated[UtcTime | None, Query(description="Default: the newest post.")] = None,
    bucket: Annotated[
        str | None,
        Query(max_length=32, description="A multiple of the server's bucket, like '1h'."),
    ] = None,
) -> SeriesOut:
    """Rows ``bucket_start, outage_posts, all_posts, baseline, status``, zero-filled.

    ``baseline`` and ``status`` are set for judged (closed) buckets only.
    """
    name = resolve_service(runtime.db, runtime.scorer.catalog, service)
    if name is None:
        raise HTTPException(404, unknown_service(service))
    stored = runtime.db.bucket_seconds
    width = stored
    if bucket is not None:
        try:
            width = parse_bucket(bucket)
        except UsageError:
            width = 0
        if width < stored or width % stored or width > MAX_BUCKET_SECONDS:
            raise HTTPException(
                422,
                f"query parameter 'bucket' must be a multiple of the server's bucket "
                f"({runtime.settings.bucket}) of at most 366 days, like '1h'. "
                f"Got {bucket!r} instead.",
            )
    lo = None if since is None else epoch(since)
    hi = None if until is None else epoch(until)
    newest = counter(runtime.db, "max_event")
    stop = hi if hi is not None else newest
    if stop is not None:
        start = lo if lo is not None else stop - 86400
        if start > stop:
            raise HTTPException(422, _after_until(start, stop, given=hi is not None))
        rows = series_row_count(start, stop, width)
        if rows > MAX_SERIES_ROWS:
            raise HTTPException(
                422,
                f"the window holds {rows} buckets, more than {MAX_SERIES_ROWS}: narrow it with "
                "'since' and 'until' or ask for a coarser 'bucket'",
            )
    return SeriesOut.model_validate(
        {
            "service": name,
            "bucket": bucket or runtime.settings.bucket,
            "rows": series(runtime.db, name, bucket=width, since=lo, until=hi),
        }
    )


def _after_until(since: int, until: int, *, given: bool) -> str:
    """The 422 for a window that ends before it starts; names the implied ``until``.

    >>> _after_until(86400, 3600, given=False)
    "query parameter 'since' (1970-01-02T00:00:00Z) must not be after 'until', which defaults to the newest post's time (1970-01-01T01:00:00Z)"
    """  # noqa: E501
    if given:
        return "query parameter 'since' must not be after 'until'"
    return (
        f"query parameter 'since' ({iso_s(since)}) must not be after 'until', which "
        f"defaults to the newest post's time ({iso_s(until)})"
    )
