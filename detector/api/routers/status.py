"""The live status page: ``GET /`` and ``GET /services/{name}`` (server-rendered HTML).

Placeholder router, registered in :mod:`detector.api.app`; the pages are being built.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
