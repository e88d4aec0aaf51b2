"""The live detection API: a FastAPI service with state in SQLite.

Teams send posts as they arrive (``POST /v1/posts``); the API classifies them, counts
them per service and bucket of their own ``created_at``, judges each bucket once
event time has passed it, and keeps incidents (open, escalate, resolve) in a database
file that survives restarts. ``create_app()`` builds the app; ``outage-detector serve``
runs it under uvicorn. Settings: :class:`Settings` (``OUTAGE_*`` environment
variables); the endpoints and settings are listed in docs/api.md.
"""

from __future__ import annotations

from detector.api.app import create_app
from detector.api.settings import Settings, get_settings

__all__ = ["Settings", "create_app", "get_settings"]
