"""The live status page: ``GET /`` and ``GET /services/{name}`` (server-rendered HTML).

Same access rule as every read (:data:`~detector.api.deps.ReadAccess`): open unless
reads are closed, then the API key is needed. So that a person can open the page in
a browser, the key is also taken as the password of HTTP Basic auth (any user name),
and a refused page asks for it that way. Query ``tz`` names the zone times are shown
in (UTC by default), ``refresh`` the seconds between reloads (0: never).
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Path, Query
from fastapi.responses import HTMLResponse

from detector.api.deps import RuntimeDep, require_read
from detector.api.queries import list_incidents, resolve_service, service_status
from detector.api.routers.incidents import unknown_service
from detector.api.schemas import MAX_NAME
from detector.api.statusdata import clock, day_frame, overview
from detector.api.statuspage import HISTORY, REFRESH_SECONDS, overview_page, service_page
from detector.errors import UsageError
from detector.incidents.html import CSP, e, page
from detector.incidents.wording import Zone

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_read)])

TzQuery = Annotated[
    str, Query(max_length=64, description="IANA time zone of the times shown, e.g. Europe/Berlin")
]
RefreshQuery = Annotated[int, Query(ge=0, le=86400, description="Seconds between reloads")]

_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _zone(tz: str) -> Zone:
    try:
        return Zone(tz)
    except UsageError as exc:
        raise HTTPException(400, str(exc)) from None


def _html(text: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status_code, headers=_HEADERS)


@router.get("/", response_class=HTMLResponse)
def status_list(
    runtime: RuntimeDep, tz: TzQuery = "UTC", refresh: RefreshQuery = REFRESH_SECONDS
) -> HTMLResponse:
    """Every watched service, worst status and most outage posts first."""
    zone = _zone(tz)
    data = overview(runtime.db, runtime.scorer.catalog)
    return _html(overview_page(data, zone, refresh=refresh))


@router.get("/services/{name:path}", response_class=HTMLResponse)
def status_service(
    name: Annotated[str, Path(min_length=1, max_length=MAX_NAME)],
    runtime: RuntimeDep,
    tz: TzQuery = "UTC",
    refresh: RefreshQuery = REFRESH_SECONDS,
) -> HTMLResponse:
    """One service: the day's graph, its open or latest incident and its incident history."""
    zone = _zone(tz)
    db, catalog = runtime.db, runtime.scorer.catalog
    service = resolve_service(db, catalog, name)
    if service is None:
        body = (
            f'<nav class="crumbs"><a href="/">&larr; all services</a></nav>'
            f"<h1>Unknown service</h1><p>{e(unknown_service(name))}.</p>"
        )
        return _html(page("Unknown service", body), status_code=404)
    now, judged = clock(db)
    # the page shows incidents from the history below: no second open-incident query
    status = service_status(db, catalog, service, with_incident=False)
    incidents = list_incidents(db, catalog, service=service, limit=HISTORY)
    frame = day_frame(db, service, now) if now is not None else None
    text = service_page(
        service,
        status,
        frame if frame is not None else pd.DataFrame(),
        incidents,
        zone,
        now=None if now is None else pd.Timestamp(now, unit="s", tz="UTC"),
        judged=None if judged is None else pd.Timestamp(judged, unit="s", tz="UTC"),
        refresh=refresh,
    )
    return _html(text)
