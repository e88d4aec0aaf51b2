"""Settings of the live API: one frozen object read from ``OUTAGE_*`` environment variables.

``outage-detector serve`` turns its flags into these variables before it starts uvicorn,
so every worker process reads the same configuration. Routes receive the settings through
the cached dependency :func:`get_settings`; tests override it (or pass ``settings=`` to
``create_app``).

>>> s = Settings.from_env({"OUTAGE_API_KEY": "k", "OUTAGE_READS_OPEN": "no",
...                        "OUTAGE_WEBHOOKS": "http://127.0.0.1:9/a, http://127.0.0.1:9/b"})
>>> s.api_key, s.reads_open, s.webhooks, s.bucket_seconds
('k', False, ('http://127.0.0.1:9/a', 'http://127.0.0.1:9/b'), 60)
>>> Settings.from_env({"OUTAGE_BUCKET": "fast"})
Traceback (most recent call last):
...
detector.errors.UsageError: The 'OUTAGE_BUCKET' setting must be a duration like '5min' ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from detector.errors import UsageError
from detector.series.buckets import bucket_seconds

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """Everything ``serve`` can be configured with (env var in brackets).

    Attributes follow docs/api.md, which lists them with their defaults.
    """

    #: SQLite file (``OUTAGE_DB``); a path or a ``sqlite:///path`` URL.
    db: str = "outage-detector.db"
    #: Key that writes need (``OUTAGE_API_KEY``); ``None`` = writes open.
    api_key: str | None = None
    #: Whether reads are open without the key (``OUTAGE_READS_OPEN``).
    reads_open: bool = True
    #: Classifier: ``None`` = default model, a name under models/ or a path (``OUTAGE_MODEL``).
    model: str | None = None
    #: Service catalog JSON (``OUTAGE_CATALOG``); ``None`` = the shipped catalog.
    catalog: str | None = None
    #: Step at which posts are counted and judged (``OUTAGE_BUCKET``), a pandas offset; the
    #: default is the incident engine's own step (one minute), so the live API gives the
    #: incidents batch ``score`` gives. ``/v1/series`` sums it into any coarser bucket.
    bucket: str = "1min"
    #: Buckets a bucket stays open for late posts after event time passed it
    #: (``OUTAGE_LATE_BUCKETS``).
    late_buckets: int = 2
    #: Webhook URLs for incident alerts (``OUTAGE_WEBHOOKS``, comma separated).
    webhooks: tuple[str, ...] = ()
    #: Attempts per webhook delivery (``OUTAGE_WEBHOOK_ATTEMPTS``).
    webhook_attempts: int = 5
    #: First retry delay in seconds, doubled per attempt (``OUTAGE_WEBHOOK_BACKOFF``).
    webhook_backoff: float = 1.0
    #: Seconds per webhook request (``OUTAGE_WEBHOOK_TIMEOUT``).
    webhook_timeout: float = 5.0
    #: Largest request body in bytes (``OUTAGE_MAX_BODY``); larger ones get 413.
    max_body: int = 5 * 1024 * 1024
    #: A gap in event time longer than this many buckets restarts detection instead of
    #: judging every empty bucket in between (``OUTAGE_MAX_GAP_BUCKETS``).
    max_gap_buckets: int = 2016
    #: Buckets of stored counts replayed into the detectors at start (``OUTAGE_REPLAY_BUCKETS``).
    replay_buckets: int = 8064
    #: Posts dated more than this many seconds after the server clock are refused
    #: (``OUTAGE_MAX_FUTURE``); they would close buckets that have not happened yet.
    max_future_seconds: int = 3600
    #: Seconds between checks for buckets closed by other workers (``OUTAGE_DETECT_INTERVAL``).
    detect_interval: float = 0.5
    #: SQLite ``synchronous`` mode (``OUTAGE_DB_SYNC``): NORMAL survives a killed process,
    #: FULL also a power cut.
    db_sync: str = "NORMAL"

    @property
    def bucket_seconds(self) -> int:
        """Bucket width in whole seconds."""
        return parse_bucket(self.bucket)

    @property
    def db_path(self) -> str:
        """File path of the database (``sqlite:///`` prefix removed)."""
        return _db_path(self.db)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every ``OUTAGE_*`` variable of *env* (default ``os.environ``), validated."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name.startswith("_"):
                continue
            name = ENV_NAMES[f.name]
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            values[f.name] = _parse(name, raw.strip(), f.type)
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> Settings:
        """Raise :class:`UsageError` naming the setting when a value is not allowed."""
        parse_bucket(self.bucket)
        _db_path(self.db)
        for url in self.webhooks:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise UsageError(
                    f"The 'OUTAGE_WEBHOOKS' setting must hold http(s) URLs. Got {url!r} instead."
                )
        positive = {
            "late_buckets": self.late_buckets >= 0,
            "webhook_attempts": self.webhook_attempts >= 1,
            "webhook_backoff": self.webhook_backoff >= 0,
            "webhook_timeout": self.webhook_timeout > 0,
            "max_body": self.max_body >= 1024,
            "max_gap_buckets": self.max_gap_buckets >= 1,
            "replay_buckets": self.replay_buckets >= 0,
            "max_future_seconds": self.max_future_seconds >= 0,
            "detect_interval": self.detect_interval > 0,
        }
        for name, ok in positive.items():
            if not ok:
                raise UsageError(
                    f"The {ENV_NAMES[name]!r} setting is out of range. Got {getattr(self, name)!r}."
                )
        if not self.reads_open and not self.api_key:
            raise UsageError(
                "Reads can be closed ('OUTAGE_READS_OPEN=false', --reads-closed) only when an "
                "API key is configured ('OUTAGE_API_KEY', --api-key)."
            )
        if self.db_sync.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise UsageError(
                "The 'OUTAGE_DB_SYNC' setting must be one of OFF, NORMAL, FULL, EXTRA. "
                f"Got {self.db_sync!r} instead."
            )
        return self

    def to_env(self) -> dict[str, str]:
        """The ``OUTAGE_*`` variables that reproduce these settings (for worker processes)."""
        out: dict[str, str] = {}
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, tuple):
                value = ",".join(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            out[ENV_NAMES[f.name]] = str(value)
        return out


#: Environment variable of each setting.
ENV_NAMES: dict[str, str] = {
    "db": "OUTAGE_DB",
    "api_key": "OUTAGE_API_KEY",
    "reads_open": "OUTAGE_READS_OPEN",
    "model": "OUTAGE_MODEL",
    "catalog": "OUTAGE_CATALOG",
    "bucket": "OUTAGE_BUCKET",
    "late_buckets": "OUTAGE_LATE_BUCKETS",
    "webhooks": "OUTAGE_WEBHOOKS",
    "webhook_attempts": "OUTAGE_WEBHOOK_ATTEMPTS",
    "webhook_backoff": "OUTAGE_WEBHOOK_BACKOFF",
    "webhook_timeout": "OUTAGE_WEBHOOK_TIMEOUT",
    "max_body": "OUTAGE_MAX_BODY",
    "max_gap_buckets": "OUTAGE_MAX_GAP_BUCKETS",
    "replay_buckets": "OUTAGE_REPLAY_BUCKETS",
    "max_future_seconds": "OUTAGE_MAX_FUTURE",
    "detect_interval": "OUTAGE_DETECT_INTERVAL",
    "db_sync": "OUTAGE_DB_SYNC",
}


def _parse(name: str, raw: str, annotation: object) -> object:
    kind = str(annotation)
    try:
        if kind == "bool":
            low = raw.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise UsageError(
            f"The {name!r} setting must be a {kind} (booleans: true/false, yes/no, 1/0). "
            f"Got {raw!r} instead."
        ) from None
    if kind.startswith("tuple"):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def parse_bucket(bucket: str) -> int:
    """The ``OUTAGE_BUCKET`` setting in whole seconds (see ``bucket_seconds``)."""
    return bucket_seconds(bucket, name="The 'OUTAGE_BUCKET' setting")


def _db_path(db: str) -> str:
    path = db.removeprefix("sqlite:///") if db.startswith("sqlite:///") else db
    if "://" in path or path in ("", ":memory:"):
        raise UsageError(
            "The 'OUTAGE_DB' setting must be a file path or a sqlite:///path URL (the state "
            f"is shared by workers and survives restarts). Got {db!r} instead."
        )
    return str(Path(path))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment (FastAPI dependency)."""
    return Settings.from_env()
