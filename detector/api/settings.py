"""Settings of the live API: one frozen pydantic-settings object read from ``OUTAGE_*`` variables.

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

import contextvars
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources import EnvSettingsSource
from pydantic_settings.sources.utils import parse_env_vars

from detector.errors import UsageError
from detector.series.buckets import bucket_seconds

#: The mapping :meth:`Settings.from_env` reads instead of ``os.environ``.
_SOURCE: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "outage_settings_source", default=None
)


def _split(value: Any) -> Any:
    # A comma-separated list in the environment; a list or tuple in code.
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


Urls = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split)]
Hosts = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split)]


class _MappingSource(EnvSettingsSource):
    """The environment source, reading a given mapping (tests, ``serve``) when one is set."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        mapping = _SOURCE.get()
        if mapping is None:
            return super()._load_env_vars()
        return parse_env_vars(mapping, self.case_sensitive, self.env_ignore_empty)


class Settings(BaseSettings):
    """Everything ``serve`` can be configured with (env var in brackets).

    Attributes follow docs/api.md, which lists them with their defaults. Read through
    pydantic-settings (each field's alias is its variable); :meth:`from_env` turns a
    validation error into one :class:`UsageError` line naming the variable.
    """

    model_config = SettingsConfigDict(
        frozen=True, populate_by_name=True, env_ignore_empty=True, extra="ignore"
    )

    #: SQLite file (``OUTAGE_DB``); a path or a ``sqlite:///path`` URL.
    db: str = Field("outage-detector.db", alias="OUTAGE_DB")
    #: Key that writes need (``OUTAGE_API_KEY``); ``None`` = writes open.
    api_key: str | None = Field(None, alias="OUTAGE_API_KEY")
    #: Whether reads are open without the key (``OUTAGE_READS_OPEN``).
    reads_open: bool = Field(True, alias="OUTAGE_READS_OPEN")
    #: Classifier: ``None`` = default model, a name under models/ or a path (``OUTAGE_MODEL``).
    model: str | None = Field(None, alias="OUTAGE_MODEL")
    #: Service catalog JSON (``OUTAGE_CATALOG``); ``None`` = the shipped catalog.
    catalog: str | None = Field(None, alias="OUTAGE_CATALOG")
    #: Step at which posts are counted and judged (``OUTAGE_BUCKET``), a pandas offset; the
    #: default is the incident engine's own step (one minute), so the live API gives the
    #: incidents batch ``score`` gives. ``/v1/series`` sums it into any coarser bucket.
    bucket: str = Field("1min", alias="OUTAGE_BUCKET")
    #: Buckets a bucket stays open for late posts after event time passed it
    #: (``OUTAGE_LATE_BUCKETS``).
    late_buckets: int = Field(2, alias="OUTAGE_LATE_BUCKETS")
    #: Webhook URLs for incident alerts (``OUTAGE_WEBHOOKS``, comma separated).
    webhooks: Urls = Field((), alias="OUTAGE_WEBHOOKS")
    #: Attempts per webhook delivery (``OUTAGE_WEBHOOK_ATTEMPTS``).
    webhook_attempts: int = Field(5, alias="OUTAGE_WEBHOOK_ATTEMPTS")
    #: First retry delay in seconds, doubled per attempt (``OUTAGE_WEBHOOK_BACKOFF``).
    webhook_backoff: float = Field(1.0, alias="OUTAGE_WEBHOOK_BACKOFF")
    #: Seconds per webhook request (``OUTAGE_WEBHOOK_TIMEOUT``).
    webhook_timeout: float = Field(5.0, alias="OUTAGE_WEBHOOK_TIMEOUT")
    #: Largest request body in bytes (``OUTAGE_MAX_BODY``); larger ones get 413.
    max_body: int = Field(5 * 1024 * 1024, alias="OUTAGE_MAX_BODY")
    #: A gap in event time longer than this many buckets restarts detection instead of
    #: judging every empty bucket in between (``OUTAGE_MAX_GAP_BUCKETS``).
    max_gap_buckets: int = Field(2016, alias="OUTAGE_MAX_GAP_BUCKETS")
    #: Buckets of stored counts replayed into a service's detector at start when it has no
    #: saved engine to resume from (``OUTAGE_REPLAY_BUCKETS``); default: 28 days of buckets.
    replay_buckets: int | None = Field(None, alias="OUTAGE_REPLAY_BUCKETS")
    #: Posts dated more than this many seconds after the server clock are refused
    #: (``OUTAGE_MAX_FUTURE``); they would close buckets that have not happened yet.
    max_future_seconds: int = Field(3600, alias="OUTAGE_MAX_FUTURE")
    #: Seconds between checks for buckets closed by other workers (``OUTAGE_DETECT_INTERVAL``).
    detect_interval: float = Field(0.5, alias="OUTAGE_DETECT_INTERVAL")
    #: SQLite ``synchronous`` mode (``OUTAGE_DB_SYNC``): NORMAL survives a killed process,
    #: FULL also a power cut.
    db_sync: str = Field("NORMAL", alias="OUTAGE_DB_SYNC")

    #: Services a ``POST /v1/posts`` request may name that the server has not seen yet
    #: (``OUTAGE_MAX_NEW_SERVICES``); more answer 422.
    max_new_services: int = Field(1000, alias="OUTAGE_MAX_NEW_SERVICES")
    #: Replace e-mail addresses, phone and account numbers in the sample posts the API
    #: returns (``OUTAGE_REDACT``).
    redact: bool = Field(True, alias="OUTAGE_REDACT")
    #: Host names the server answers to (``OUTAGE_ALLOWED_HOSTS``, comma separated; ``*``
    #: any); other ``Host`` headers get 400. Default: loopback names only.
    allowed_hosts: Hosts = Field(
        ("127.0.0.1", "localhost", "[::1]", "::1"), alias="OUTAGE_ALLOWED_HOSTS"
    )
    #: Requests doing model or engine work (``/v1/classify``, ``/v1/posts``) at once per
    #: worker (``OUTAGE_MAX_BUSY``); more answer 503 with ``Retry-After``.
    max_busy: int = Field(8, alias="OUTAGE_MAX_BUSY")
    #: Seconds a client may take to send a request body (``OUTAGE_BODY_TIMEOUT``), plus one
    #: second per ``OUTAGE_MIN_BODY_RATE`` bytes; a slower client gets 408.
    body_timeout: float = Field(10.0, alias="OUTAGE_BODY_TIMEOUT")
    min_body_rate: int = Field(100_000, alias="OUTAGE_MIN_BODY_RATE")
    #: Seconds a client may take to send a request's line and headers
    #: (``OUTAGE_HEADER_TIMEOUT``), from the connection or the request's first byte; a
    #: slower client gets 408 and the connection closes.
    header_timeout: float = Field(10.0, alias="OUTAGE_HEADER_TIMEOUT")

    @property
    def bucket_seconds(self) -> int:
        """Bucket width in whole seconds."""
        return parse_bucket(self.bucket)

    @property
    def replay(self) -> int:
        """Buckets replayed into a detector without a saved engine (28 days by default).

        >>> Settings.from_env({"OUTAGE_BUCKET": "5min"}).replay
        8064
        """
        if self.replay_buckets is not None:
            return self.replay_buckets
        return -(-28 * 86_400 // self.bucket_seconds)

    @property
    def db_path(self) -> str:
        """File path of the database (``sqlite:///`` prefix removed)."""
        return _db_path(self.db)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments, then the environment (no ``.env`` file, no secrets dir)."""
        return init_settings, _MappingSource(settings_cls)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every ``OUTAGE_*`` variable of *env* (default ``os.environ``), validated."""
        source = {k: v.strip() for k, v in (os.environ if env is None else env).items()}
        if source.get(ENV_NAMES["api_key"]) == "":
            raise UsageError(EMPTY_KEY)
        token = _SOURCE.set(source)
        try:
            settings = cls()
        except ValidationError as err:
            raise UsageError(_describe(err)) from None
        finally:
            _SOURCE.reset(token)
        settings.validate()
        return settings

    def validate(self) -> Settings:
        """Raise :class:`UsageError` naming the setting when a value is not allowed."""
        parse_bucket(self.bucket)
        _db_path(self.db)
        if self.api_key is not None and not self.api_key.strip():
            raise UsageError(EMPTY_KEY)
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
            "replay_buckets": self.replay_buckets is None or self.replay_buckets >= 0,
            "max_future_seconds": self.max_future_seconds >= 0,
            "detect_interval": self.detect_interval > 0,
            "max_new_services": self.max_new_services >= 1,
            "max_busy": self.max_busy >= 1,
            "body_timeout": self.body_timeout > 0,
            "min_body_rate": self.min_body_rate >= 1,
            "header_timeout": self.header_timeout > 0,
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
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, tuple):
                value = ",".join(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            out[ENV_NAMES[name]] = str(value)
        return out


#: The refusal of an empty key: `--api-key "$KEY"` with KEY unset must not open writes.
EMPTY_KEY = (
    "The API key ('--api-key' / 'OUTAGE_API_KEY') is empty (an unset shell variable?): "
    "give a key, or leave the option and the variable out to run with writes open."
)

#: Environment variable of each setting.
ENV_NAMES: dict[str, str] = {
    name: str(field.alias) for name, field in Settings.model_fields.items()
}


def _describe(err: ValidationError) -> str:
    """The first validation error as one line naming the variable."""
    first = err.errors()[0]
    loc = first.get("loc") or ("?",)
    name = str(loc[0])
    name = ENV_NAMES.get(name, name)
    kind = str(first.get("type", ""))
    kinds = {"bool_parsing": "bool", "int_parsing": "int", "float_parsing": "float"}
    want = kinds.get(kind)
    if want is not None:
        return (
            f"The {name!r} setting must be a {want} (booleans: true/false, yes/no, 1/0). "
            f"Got {first.get('input')!r} instead."
        )
    return f"The {name!r} setting is not valid: {first.get('msg', 'invalid')}."


def parse_bucket(bucket: str) -> int:
    """The ``OUTAGE_BUCKET`` setting in whole seconds (see ``bucket_seconds``).

    >>> parse_bucket("5min")
    300
    >>> parse_bucket("10000000000000000000000s")
    Traceback (most recent call last):
    ...
    detector.errors.UsageError: The 'OUTAGE_BUCKET' setting must be a duration like '5min' ...
    """
    try:
        return bucket_seconds(bucket, name="The 'OUTAGE_BUCKET' setting")
    except UsageError:
        raise
    except (ValueError, OverflowError, ArithmeticError):  # pandas: too large to be a duration
        raise UsageError(
            "The 'OUTAGE_BUCKET' setting must be a duration like '5min' that pandas can "
            f"hold (at most about 292 years). Got {bucket[:40]!r} instead."
        ) from None


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
