"""The OpenAPI document and its two readers (Swagger UI, ReDoc), served by the app itself.

``/openapi.json``, ``/docs`` and ``/redoc`` need the read key when reads are closed
(``--reads-closed``), like every other read. The pages load their scripts and styles
from ``/docs-assets/`` (the files the ``fastapi-offline`` package ships), not from a
CDN: they work on a machine without internet access and leak no visits to a third party.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from detector.api.deps import ReadAccess

#: The Swagger UI and ReDoc files shipped by fastapi-offline.
ASSETS = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/docs-assets"

router = APIRouter(include_in_schema=False, dependencies=[ReadAccess])


@router.get("/openapi.json")
async def openapi(request: Request) -> JSONResponse:
    """The OpenAPI document of this API."""
    return JSONResponse(request.app.openapi())


@router.get("/docs")
async def swagger(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``, with local assets."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{request.app.title} - Swagger UI",
        swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{PREFIX}/favicon.png",
    )


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    """ReDoc over ``/openapi.json``, with local assets and no web fonts."""
    return get_redoc_html(
        openapi_url="/openapi.json",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=f"{PREFIX}/redoc.standalone.js",
        redoc_favicon_url=f"{PREFIX}/favicon.png",
        with_google_fonts=False,
    )


def mount_assets(app: FastAPI) -> None:
    """Serve the pages' scripts and styles under :data:`PREFIX`."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")
