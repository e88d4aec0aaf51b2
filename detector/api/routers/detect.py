"""``POST /v1/detect``: stateless change detection on a series the client already has."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, HTTPException

from detector.api.deps import ReadAccess
from detector.api.schemas import MAX_SERIES, DetectIn, DetectOut
from detector.api.settings import parse_bucket
from detector.errors import UsageError
from detector.incidents.incident import iso

router = APIRouter(prefix="/v1", tags=["detect"], dependencies=[ReadAccess])


@router.post("/detect", response_model=DetectOut)
def detect(body: DetectIn) -> DetectOut:
    """Incidents and change points of a posted series of non-negative counts.

    Points are summed into regular buckets (``bucket``, default: the most common spacing
    of the points) and missing buckets count as zero. In ``online`` mode each bucket is
    judged from the buckets before and at it, as a live deployment would.
    """
    from detector.incidents.detect import detect_series

    counts = regular_series(body)
    result = detect_series(counts, mode=body.mode, service=body.service)
    return DetectOut(
        incidents=[inc.to_dict() for inc in result.incidents],
        change_points=[iso(pd.Timestamp(t)) or "" for t in result.change_points],
    )


def regular_series(body: DetectIn) -> pd.Series:
    """The posted points as a zero-filled series of regular buckets (422 when impossible)."""
    times = pd.DatetimeIndex([p.time for p in body.series]).tz_convert("UTC")
    values = pd.Series([p.value for p in body.series], index=times).sort_index()
    if body.bucket is not None:
        try:
            width = parse_bucket(body.bucket)
        except UsageError:
            raise HTTPException(
                422, f"'bucket' must be a duration like '5min'. Got {body.bucket!r} instead."
            ) from None
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
    from detector.incidents.detect import regularize

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
    # the same regular series detect-series builds: one implementation
    return regularize(values, freq)
