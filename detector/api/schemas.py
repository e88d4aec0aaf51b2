"""Request and response bodies of the HTTP API, with their limits.

These are wire types, separate from the domain types (``Incident``, frames): they
validate what a client sends and document it in the OpenAPI schema at ``/docs``.

>>> batch = PostsIn.model_validate({"posts": [
...     {"id": 17, "text": "outlook down", "created_at": "2026-11-18T14:05:00"}]})
>>> batch.posts[0].id, batch.posts[0].created_at.isoformat()
('17', '2026-11-18T14:05:00+00:00')
>>> PostsIn.model_validate({"posts": [{"id": "a", "text": "x" * 5001,
...                                    "created_at": "2026-11-18T14:05:00Z"}]})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for PostsIn
...
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

#: Most posts in one request.
MAX_POSTS = 1000
#: Most characters in one post's text.
MAX_TEXT = 5000
#: Most points in a series posted to ``/v1/detect``.
MAX_SERIES = 100_000
#: Longest id, author or service name.
MAX_NAME = 256

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_OUT_OF_RANGE = "must be between 1970-01-01 and 2100-01-01 (UTC)"


#: What a post id may be, as validation errors say it.
ID_RULE = f"an id must be a string of 1 to {MAX_NAME} characters or an integer"


def _post_id(value: Any) -> str:
    """A post id as stored: a string of 1 to :data:`MAX_NAME` characters, or an integer
    (exports often carry numeric ids, such as tweet ids; the same post as its string).

    >>> _post_id(17), _post_id("a-1")
    ('17', 'a-1')
    >>> _post_id(1.5)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.PydanticCustomError: an id must be a string of 1 to 256 characters or an integer (got a decimal number)
    """  # noqa: E501
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        if not value:
            got = "an empty string"
        elif len(value) > MAX_NAME:
            got = f"{len(value)} characters"
        else:
            return value
    elif isinstance(value, float):
        got = "a decimal number"
    elif isinstance(value, bool):
        got = "a boolean"
    elif value is None:
        got = "null"
    else:
        got = {list: "a list", dict: "an object"}.get(type(value), type(value).__name__)
    raise PydanticCustomError("post_id", "{rule} (got {got})", {"rule": ID_RULE, "got": got})


def _blank_is_none(value: Any) -> Any:
    # A blank service or author name names nothing; spaces around a name are not part of it.
    if isinstance(value, str):
        return value.strip() or None
    return value


def _unicode(value: str) -> str:
    # A lone surrogate ("\udc00" in JSON) is no character: it cannot be stored or echoed.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return value


def _utc(value: datetime) -> datetime:
    """*value* in UTC (naive: read as UTC), refused outside 1970 to 2100.

    A time at the edge of what ``datetime`` holds, with an offset, has no UTC form
    (``0001-01-01T00:30:00+01:00``): refused with the same message, not an overflow.

    >>> _utc(datetime.fromisoformat("9999-12-31T23:59:59-01:00"))
    Traceback (most recent call last):
    ...
    ValueError: must be between 1970-01-01 and 2100-01-01 (UTC)
    """
    try:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # before year 1 or after year 9999 once in UTC
        raise ValueError(_OUT_OF_RANGE) from None
    if not _EARLIEST <= value < _LATEST:
        raise ValueError(_OUT_OF_RANGE)
    return value


PostId = Annotated[
    str,
    BeforeValidator(_post_id),
    AfterValidator(_unicode),
    # what a client may send: a string, or an integer (a tweet id), stored as its string
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
                {"type": "integer"},
            ],
            "description": "A string, or an integer (the same post as its decimal string).",
        },
        mode="validation",
    ),
]
UtcTime = Annotated[
    datetime,
    AfterValidator(_utc),
    Field(description="ISO 8601; a time without an offset is read as UTC."),
]
Text = Annotated[
    str,
    Field(max_length=MAX_TEXT, description=f"At most {MAX_TEXT} characters."),
    AfterValidator(_unicode),
]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
#: A name a client sends with a post (service, author): stored, so valid Unicode.
PostName = Annotated[str, Field(min_length=1, max_length=MAX_NAME), AfterValidator(_unicode)]
#: A name a client may leave blank: trimmed; empty or only whitespace counts as not given.
OptionalName = Annotated[PostName | None, BeforeValidator(_blank_is_none)]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False)


class ClassifyPost(_In):
    """One post to classify: only ``text`` is read; ``id`` is echoed back in the verdict;
    ``created_at`` is accepted (and checked like a post's) but not used or echoed."""

    text: Text
    id: PostId | None = None
    created_at: UtcTime | None = None


class ClassifyIn(_In):
    """Body of ``POST /v1/classify``."""

    posts: list[ClassifyPost] = Field(min_length=1, max_length=MAX_POSTS)


class ClassifiedPost(BaseModel):
    """The verdict on one post."""

    id: str | None
    label: str = Field(description="outage | complaint | other")
    is_outage: bool
    outage_prob: float
    symptom: str | None
    services: list[str]


class ClassifyOut(BaseModel):
    """Verdicts in the order of the request's posts."""

    posts: list[ClassifiedPost]


class PostIn(_In):
    """One post for live detection."""

    id: PostId
    text: Text
    created_at: UtcTime
    author: OptionalName = None
    service: OptionalName = Field(
        None,
        description="Service named by the sender; wins over the catalog's match (trimmed; "
        "blank: the catalog decides).",
    )


class PostsIn(_In):
    """Body of ``POST /v1/posts``."""

    posts: list[PostIn] = Field(min_length=1, max_length=MAX_POSTS)


class IngestOut(BaseModel):
    """What happened to a batch of posts."""

    received: int = Field(description="Posts in the request.")
    accepted: int = Field(description="Posts counted now (new ids).")
    duplicates: int = Field(description="Posts whose id was already counted (not counted again).")
    late: int = Field(
        description="Accepted posts in buckets already judged: counted in the series, "
        "but detection is not re-run for them."
    )
    outage_posts: int = Field(description="Accepted posts classified as outage complaints.")
    blank: int = Field(
        description="Posts whose text is empty or only whitespace: not counted (batch score "
        "quarantines them as 'missing text'). received = accepted + duplicates + blank."
    )
    watermark: str | None = Field(description="Latest post time seen (event time, UTC).")
    judged_until: str | None = Field(description="Buckets before this time are closed.")


class IncidentEventOut(BaseModel):
    """One step of an incident's history."""

    kind: Literal["open", "escalate", "resolve"]
    at: str = Field(description="Event time (bucket start) of the step.")
    recorded_at: str = Field(description="Server time when the step was recorded.")
    severity: str
    score: float


class IncidentOut(BaseModel):
    """An incident (the DESIGN.md fields) with its id and history."""

    id: int
    service: str
    status: Literal["open", "resolved"]
    started_at: str
    detected_at: str
    resolved_at: str | None
    peak_at: str | None
    peak_posts: float
    baseline_posts: float
    severity: Literal["warning", "major"]
    score: float
    symptoms: dict[str, float]
    top_terms: list[str]
    sample_posts: list[str]
    related: list[str]
    history: list[IncidentEventOut]
    warmup: bool = Field(
        description="Raised while the baseline was still learning (less than a day of history)."
    )


class IncidentsOut(BaseModel):
    """Incidents, newest detection first."""

    incidents: list[IncidentOut]


class ServiceStatusOut(BaseModel):
    """The live verdict on one service."""

    service: str
    status: Literal["ok", "possible", "outage"]
    bucket_start: str | None = Field(description="Latest judged bucket.")
    outage_posts: int = Field(description="Outage posts in the latest judged bucket.")
    all_posts: int = Field(description="All posts in the latest judged bucket.")
    baseline: float | None = Field(description="Expected outage posts in that bucket.")
    score: float
    current_bucket_start: str | None = Field(
        description="The bucket event time is in now (the newest post's, any service): still "
        "open; the service's posts in it below."
    )
    current_outage_posts: int
    current_all_posts: int
    open_incident: IncidentOut | None


class ServiceOut(BaseModel):
    """A service the API knows (catalog or posts)."""

    name: str
    in_catalog: bool
    has_posts: bool
    status: Literal["ok", "possible", "outage"]


class ServicesOut(BaseModel):
    """Every service name ``/v1/services/{name}/status`` accepts."""

    services: list[ServiceOut]


class SeriesRow(BaseModel):
    """Posts of one service in one bucket."""

    bucket_start: str
    outage_posts: int
    all_posts: int
    baseline: float | None
    status: Literal["ok", "possible", "outage"] | None


class SeriesOut(BaseModel):
    """A service's volume series, oldest bucket first, zero-filled."""

    service: str
    bucket: str
    rows: list[SeriesRow]


class SeriesPoint(_In):
    """One point of a user's own series (``value`` null: a missing value)."""

    time: UtcTime
    value: float | None = Field(allow_inf_nan=False)


class DetectIn(_In):
    """Body of ``POST /v1/detect``: a series of counts or of any numeric metric."""

    series: list[SeriesPoint] = Field(min_length=2, max_length=MAX_SERIES)
    bucket: str | None = Field(
        None,
        max_length=32,
        description="Bucket width like '5min'; default: the most common spacing of the points.",
    )
    mode: Literal["online", "offline"] = "online"
    model: Literal["auto", "poisson", "normal", "robust"] = Field(
        "auto",
        description="auto: counts (non-negative integers, Poisson-like noise) use poisson, "
        "other values robust; normal and robust allow negative values.",
    )
    service: Name = "series"


class MissingOut(BaseModel):
    """How many values were missing (null, or empty buckets of a metric) and what was done."""

    values: int
    first: str | None
    handled: Literal["none", "interpolated", "carried forward", "skipped"]


class DetectOut(BaseModel):
    """Incidents and change points found in the posted series."""

    incidents: list[dict[str, Any]]
    change_points: list[str]
    model: Literal["poisson", "normal", "robust"]
    missing: MissingOut


class ErrorItem(BaseModel):
    """One validation error: where it is and what is wrong (never the input)."""

    loc: list[str | int] = Field(
        description="Where: 'body', 'query', 'path' or 'header', then the field path."
    )
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every error answer: ``detail`` says what is wrong; a 422 also lists ``errors``."""

    detail: str = Field(description="What is wrong, for people (no stack trace).")
    errors: list[ErrorItem] | None = Field(
        None, description="Validation errors (422 only; at most 50)."
    )


class HealthOut(BaseModel):
    """Liveness and what this worker serves."""

    status: Literal["ok"]
    version: str
    model: str
    services_in_catalog: int
    detection_leader: bool
