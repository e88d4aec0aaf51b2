"""Which columns hold the text, time, id, author and service: mapped or auto-detected.

Auto-detection recognises the common export shapes by their signature columns
(names compared case-insensitively; nested JSON appears flattened as dotted names):

=========== ============================================================================
shape       columns
=========== ============================================================================
bluesky     ``record.text``, ``record.createdAt``, ``uri|cid``, ``author.handle|author.did``
mastodon    ``content`` (HTML), ``created_at``, ``id``, ``account.acct``
reddit      ``body`` or ``title`` + ``selftext``, ``created_utc``, ``id``, ``author``
x-legacy    ``full_text|text``, ``created_at``, ``id_str|id``, ``user.screen_name``
x-v2        ``text``, ``created_at``, ``id``, ``author_id``
generic     the first of a list of usual names per role (see ``CANDIDATES``)
=========== ============================================================================

A role given in :class:`ColumnMapping` always wins over detection.

>>> r = resolve_columns(["id", "text", "created_at", "author_id"], None, "x.csv")
>>> r.shape, r.text, r.time, r.id, r.author
('x-v2', ('text',), 'created_at', 'id', 'author_id')
>>> resolve_columns(["a", "b"], None, "data.csv")
Traceback (most recent call last):
...
detector.errors.SchemaError: data.csv: no text column found (columns: a, b); pass --text-col
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from detector.errors import SchemaError
from detector.ingest.timestamps import OrderShown

ROLES = ("text", "time", "id", "author", "service")

#: Usual column names per role, in order of preference (generic shape).
CANDIDATES: dict[str, tuple[str, ...]] = {
    "text": (
        "text",
        "full_text",
        "body",
        "content",
        "message",
        "post",
        "tweet",
        "record.text",
        "selftext",
        "title",
        "caption",
        "comment",
        "description",
    ),
    "time": (
        "created_at",
        "created_utc",
        "createdAt",
        "record.createdAt",
        "timestamp",
        "time",
        "date",
        "datetime",
        "date_time",
        "posted_at",
        "published_at",
        "published",
        "created",
        "tweet_created",
        "indexedAt",
        "utc_time",
        "time_utc",
    ),
    "id": (
        "id",
        "id_str",
        "tweet_id",
        "post_id",
        "status_id",
        "message_id",
        "uri",
        "cid",
        "uid",
    ),
    "author": (
        "author",
        "author_id",
        "user.screen_name",
        "user_screen_name",
        "screen_name",
        "username",
        "user_name",
        "user",
        "author.handle",
        "account.acct",
        "handle",
        "user_id",
        "author.did",
        "did",
    ),
    "service": ("service",),
}


@dataclass(frozen=True)
class ColumnMapping:
    """Column names given by the user; ``None`` means auto-detect that role.

    >>> ColumnMapping(text="message").text
    'message'
    """

    text: str | None = None
    time: str | None = None
    id: str | None = None
    author: str | None = None
    service: str | None = None


@dataclass(frozen=True)
class ResolvedColumns:
    """The columns to read from one file and how to interpret them."""

    text: tuple[str, ...]  #: joined with a newline when more than one (Reddit title + body)
    time: str
    id: str | None = None
    author: str | None = None
    service: str | None = None
    shape: str = "generic"
    html: bool = False  #: text is HTML (Mastodon ``content``)
    repost_flag: str | None = None  #: a column that is set on reposts (``retweeted_status.id``)
    #: A date column joined in front of ``time`` when ``time`` holds clock times only.
    time_date: str | None = None
    #: The day and month order of the time column's numeric dates, when a scan of the
    #: whole file before reading found a value showing it (``detector.ingest.dateorder``)
    date_order: OrderShown | None = None

    @property
    def needed(self) -> list[str]:
        """Every column to read, once each."""
        cols = [
            *self.text,
            self.time_date,
            self.time,
            self.id,
            self.author,
            self.service,
            self.repost_flag,
        ]
        return list(dict.fromkeys(c for c in cols if c))

    @property
    def time_label(self) -> str:
        """The time column(s) as shown to people: ``Date + Time`` when joined."""
        return f"{self.time_date} + {self.time}" if self.time_date else self.time


class _Finder:
    def __init__(self, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.lower = {}
        for c in self.columns:
            self.lower.setdefault(c.lower(), c)

    def __call__(self, *names: str) -> str | None:
        for name in names:
            if name in self.columns:
                return name
            if name.lower() in self.lower:
                return self.lower[name.lower()]
        return None

    def has(self, *names: str) -> bool:
        return self(*names) is not None


def _shape(find: _Finder) -> tuple[str, dict[str, object]]:
    if find.has("record.text"):
        return "bluesky", {
            "text": (find("record.text"),),
            "time": find("record.createdAt", "createdAt", "indexedAt"),
            "id": find("uri", "cid"),
            "author": find("author.handle", "author.did", "handle", "did"),
        }
    if find.has("content") and find.has("account.acct", "account.username", "account.id"):
        return "mastodon", {
            "text": (find("content"),),
            "time": find("created_at"),
            "id": find("id", "uri"),
            "author": find("account.acct", "account.username", "account.id"),
            "html": True,
            "repost_flag": find("reblog.id"),
        }
    if find.has("created_utc") or (find.has("subreddit") and find.has("body", "selftext", "title")):
        if find.has("body"):
            text: tuple[str | None, ...] = (find("body"),)
        else:
            text = tuple(c for c in (find("title"), find("selftext")) if c)
        return "reddit", {
            "text": text,
            "time": find("created_utc", "created"),
            "id": find("id", "name"),
            "author": find("author"),
        }
    if find.has("full_text", "id_str", "user.screen_name", "user_screen_name"):
        return "x-legacy", {
            "text": (find("full_text", "text"),),
            "time": find("created_at"),
            "id": find("id_str", "id"),
            "author": find("user.screen_name", "user_screen_name", "user.id_str", "user.id"),
            "repost_flag": find("retweeted_status.id_str", "retweeted_status.id"),
        }
    if find.has("author_id") and find.has("text") and find.has("created_at"):
        return "x-v2", {
            "text": (find("text"),),
            "time": find("created_at"),
            "id": find("id"),
            "author": find("author_id"),
        }
    review = find("review", "review text", "review_text", "reviewText", "review body")
    if review and not find.has(*(n for n in CANDIDATES["text"] if n != "title")):
        # app-store review exports (App Store: Title + Review; Google Play: Review Title +
        # Review Text), with no usual text column: the title often says it all
        # ("Crashes on login"), so both count
        title = find("title", "review title", "review_title", "reviewTitle")
        return "app-review", {"text": tuple(c for c in (title, review) if c)}
    return "generic", {}


_TIME_WORDS = {"created", "timestamp", "date", "time", "datetime", "ts", "posted", "published"}
#: Words that name a text column (``Customer Complaint``).
_TEXT_WORDS = (
    "text",
    "body",
    "content",
    "message",
    "review",
    "comment",
    "complaint",
    "feedback",
    "post",
    "tweet",
    "description",
)
#: Words that make a column name something else than the post's text (``text_length``,
#: ``Review Link``, ``Review Submit Date``, ``user.description``: a profile, not a post).
_NOT_TEXT_WORDS = {
    "id",
    "length",
    "len",
    "count",
    "lang",
    "language",
    "link",
    "url",
    "type",
    "user",
    "author",
    "account",
    "profile",
    "name",
    "score",
    "rating",
    "stars",
    "status",
    "category",
    "label",
    "class",
    "flag",
    "sentiment",
    "reason",
    "code",
    "level",
    "priority",
}


def _words(col: str) -> list[str]:
    """The lower-case words of a column name (``postDate`` -> post, date)."""
    return re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", col).lower())


def _fuzzy_text(find: _Finder) -> str | None:
    """The one column whose name holds a text-like word (``Customer Complaint``, ``Tweet
    Body``) and no word naming a number, category, link, language, user or time; ``None``
    when there is none or several (the user says which with ``--text-col``).

    >>> _fuzzy_text(_Finder(["Ticket #", "Customer Complaint", "Date"]))
    'Customer Complaint'
    >>> _fuzzy_text(_Finder(["Complaint Status", "Complaint Details", "Date"]))
    'Complaint Details'
    >>> _fuzzy_text(_Finder(["text_length", "Review Link", "user.description"])) is None
    True
    >>> _fuzzy_text(_Finder(["Complaint Details", "Review Comments"])) is None  # which?
    True
    """
    texty = set(_TEXT_WORDS)
    named = [
        col
        for col in find.columns
        if (words := set(_words(col))) & texty and not words & (_NOT_TEXT_WORDS | _TIME_WORDS)
    ]
    return named[0] if len(named) == 1 else None


def _fuzzy_time(find: _Finder) -> str | None:
    """A column whose name has a time-like word (``created_at_local_pst``, ``Post Date``)."""
    for col in find.columns:
        if _TIME_WORDS.intersection(_words(col)):
            return col
    return None


def find_time_column(columns: Sequence[str]) -> str | None:
    """The time column ``score`` would pick by name among *columns* (usual names, then a
    name holding a time-like word), or ``None``.

    >>> find_time_column(["timestamp", "value"]), find_time_column(["Post Date", "n"])
    ('timestamp', 'Post Date')
    """
    find = _Finder(columns)
    return find(*CANDIDATES["time"]) or _fuzzy_time(find)


def _is_html(text_cols: Sequence[str], detected: dict[str, object]) -> bool:
    return bool(detected.get("html")) or text_cols[-1].split(".")[-1].lower() == "content"


def find_text_columns(columns: Sequence[str]) -> tuple[tuple[str, ...], bool] | None:
    """The text column(s) ``score`` would pick among *columns* with no ``--text-col``, and
    whether they hold HTML; ``None`` when there is none (``train`` and ``evaluate`` read
    labelled posts this way too).

    >>> find_text_columns(["Date", "Rating", "Title", "Review", "label"])
    (('Title', 'Review'), False)
    >>> find_text_columns(["uid", "label"]) is None
    True
    """
    find = _Finder(columns)
    _, detected = _shape(find)
    cols = _auto_text(find, detected)
    return None if cols is None else (cols, _is_html(cols, detected))


def _auto_text(find: _Finder, detected: dict[str, object]) -> tuple[str, ...] | None:
    """The text column(s) with no ``--text-col``: the shape's, else a usual name, else the
    one named with a text word (:func:`_fuzzy_text`)."""
    text = detected.get("text") or (find(*CANDIDATES["text"]) or _fuzzy_text(find),)
    return tuple(str(c) for c in text) if all(text) else None  # type: ignore[union-attr]


def _listing(columns: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(columns[:limit])
    more = len(columns) - limit
    return f"{shown}, and {more} more" if more > 0 else shown


def resolve_columns(
    columns: Sequence[str], mapping: ColumnMapping | None, source: str
) -> ResolvedColumns:
    """Decide the column of each role for a file with *columns*.

    Raises :class:`SchemaError` naming *source*, the columns found and the flag to
    pass when a mapped column does not exist or no text/time column can be found.

    >>> resolve_columns(["msg", "ts"], ColumnMapping(text="body"), "x.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    detector.errors.SchemaError: x.csv: column 'body' given by --text-col not found (columns: ...
    """
    mapping = mapping or ColumnMapping()
    find = _Finder(columns)
    shape, detected = _shape(find)
    chosen: dict[str, object] = {}
    for role in ROLES:
        given = getattr(mapping, role)
        if given is not None:
            col = find(given)
            if col is None:
                flag = f"--{role}-col"
                raise SchemaError(
                    f"{source}: column {given!r} given by {flag} not found "
                    f"(columns: {_listing(columns)})"
                )
            chosen[role] = (col,) if role == "text" else col
        elif role == "text":
            chosen[role] = _auto_text(find, detected)
        elif detected.get(role):
            chosen[role] = detected[role]
        else:
            col = find(*CANDIDATES[role])
            if role == "time" and col is None:
                col = _fuzzy_time(find)
            chosen[role] = col
    if not chosen.get("text") or not all(chosen["text"]):  # type: ignore[arg-type]
        raise SchemaError(
            f"{source}: no text column found (columns: {_listing(columns)}); pass --text-col"
        )
    if not chosen.get("time"):
        raise SchemaError(
            f"{source}: no time column found (columns: {_listing(columns)}); pass --time-col"
        )
    text_cols: tuple[str, ...] = chosen["text"]  # type: ignore[assignment]
    html = _is_html(text_cols, detected)
    return ResolvedColumns(
        text=text_cols,
        time=str(chosen["time"]),
        id=chosen.get("id"),  # type: ignore[arg-type]
        author=chosen.get("author"),  # type: ignore[arg-type]
        service=chosen.get("service"),  # type: ignore[arg-type]
        shape=shape,
        html=html,
        repost_flag=detected.get("repost_flag"),  # type: ignore[arg-type]
    )
