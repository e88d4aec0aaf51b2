"""``POST /v1/detect``: stateless change detection on a series the client already has."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from fastapi import APIRouter, HTTPException
from starlette.concurrency import run_in_threadpool

from detector.api.deps import ReadAccess, RuntimeDep, busy_slot
from detector.api.openapi import errors
from detector.api.schemas import MAX_SERIES, DetectIn, DetectOut, MissingOut
from detector.api.settings import parse_bucket
from detector.errors import UsageError
from detector.incidents.incident import iso
from detector.incidents.limits import (
    finer_bucket_message,
    finer_spacing,
    too_large,
    too_large_message,
)

router = APIRouter(prefix="/v1", tags=["detect"], dependencies=[ReadAccess])

#: The widest bucket accepted: a year (a wider one leaves nothing to compare).
MAX_BUCKET_SECONDS = 366 * 86400


@router.post("/detect", response_model=DetectOut, responses=errors(503))
async def detect(body: DetectIn, runtime: RuntimeDep) -> DetectOut:
    """Incidents and change points of a posted series: counts or any numeric metric.

    The work runs in a thread, so a long series never blocks the event loop, and at
    most a quarter of ``OUTAGE_MAX_BUSY`` requests detect at once per worker; beyond
    that the answer is 503 with ``Retry-After`` (each holds the interpreter for up to
    seconds on a long series, which would starve ``/healthz``). ``model`` ``auto``
    reads non-negative integers as counts (summed into buckets, empty buckets 0) and
    anything else as a metric (averaged, empty buckets missing); ``null`` values are
    missing. The answer says which model ran and how missing values were handled. At
    most ``MAX_SERIES`` points and buckets.
    """
    async with busy_slot(runtime.detecting, "detect requests (OUTAGE_MAX_BUSY / 4 at once)"):
        return await run_in_threadpool(_detect, body)


def _detect(body: DetectIn) -> DetectOut:
    from detector.incidents.detect import regular_detection

    series, width = regular_points(body)
    # no bucket given: regular_detection infers the same width, or judges a series given
    # per month, quarter or year one value per period
    result = regular_detection(
        series,
        width if body.bucket is not None else None,
        mode=body.mode,
        service=body.service,
        model=body.model,
    )
    incidents = [inc.to_dict() for inc in result.incidents]
    # strict JSON (RFC 8259), as detect-series writes it: a NaN or infinity here is a bug
    # (the answer would carry it as null), not output to send
    json.dumps(incidents, allow_nan=False)
    return DetectOut(
        incidents=incidents,
        change_points=[iso(pd.Timestamp(t)) or "" for t in result.change_points],
        model=result.model,  # type: ignore[arg-type]
        missing=MissingOut(**result.missing),
    )


def regular_points(body: DetectIn) -> tuple[pd.Series, pd.Timedelta]:
    """The posted points and their bucket width (422 when the bucket is impossible).

    Refused as ``detect-series`` refuses a file (:mod:`detector.incidents.limits`, the same
    words): a value larger than ``MAX_MAGNITUDE`` in size (the models square and sum
    values in 64-bit floats: 1e300 made an infinite score, sent as null), and a
    ``bucket`` finer than the regular spacing of the points (each 5-minute count would
    be copied into the empty 1-minute buckets between points: 5x the volume). Times
    without an offset are UTC, so none falls in a daylight saving time gap.
    """
    times = pd.DatetimeIndex([p.time for p in body.series]).tz_convert("UTC")
    raw = np.array([np.nan if p.value is None else p.value for p in body.series], dtype=float)
    big = too_large(raw)
    if big.size:
        k = int(big[0])
        raise HTTPException(
            422, f"series[{k}]: " + too_large_message("value", str(raw[k]), big.size, unit="point")
        )
    values = pd.Series(raw, index=times, dtype=float).sort_index(kind="stable")
    if values.isna().all():
        raise HTTPException(422, "every value of 'series' is null: nothing to detect in")
    if body.bucket is not None:
        try:
            width = parse_bucket(body.bucket)
        except UsageError:
            raise HTTPException(
                422, f"'bucket' must be a duration like '5min'. Got {body.bucket!r} instead."
            ) from None
        except (OverflowError, ValueError):
            width = MAX_BUCKET_SECONDS + 1
        if width > MAX_BUCKET_SECONDS:
            raise HTTPException(
                422,
                f"'bucket' must be at most 366 days (a wider bucket leaves nothing to "
                f"compare). Got {body.bucket!r} instead.",
            )
        spacing = finer_spacing(values.index, pd.Timedelta(seconds=width))
        if spacing is not None:
            raise HTTPException(
                422, finer_bucket_message(body.bucket, spacing, name="'bucket'", unit="point")
            )
    else:
        steps = values.index.to_series().diff().dropna()
        steps = steps[steps > pd.Timedelta(0)]
        if steps.empty:
            raise HTTPException(
                422, "all points of 'series' have the same time: send 'bucket' or distinct times"
            )
        width = int(steps.mode().iloc[0].total_seconds())
        if width < 1:
            raise HTTPException(422, "the points of 'series' are less than a second apart")
    freq = pd.Timedelta(seconds=width)
    # the bucket count of the regular series, known before it is built (no huge allocation)
    n = int((values.index[-1].floor(freq) - values.index[0].floor(freq)) / freq) + 1
    if n > MAX_SERIES:
        raise HTTPException(
            422,
            f"the series spans {n} buckets of {width} s, more than {MAX_SERIES}: "
            "send a coarser 'bucket' or a shorter series",
        )
    if n < 2:
        raise HTTPException(422, "the series must span at least 2 buckets")
    return values, freq
