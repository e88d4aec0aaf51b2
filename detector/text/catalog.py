"""The service catalog: which services a post names, and who they depend on.

A catalog is a list of services, each with a canonical ``name``, a ``category``,
the surface forms people write (``aliases``, ``handles``, ``hashtags``), optional
``case_sensitive_aliases`` for forms that are ordinary words in lower case ("Teams",
"Chase"), optional ``negative_context`` phrases that mean an ambiguous form is *not*
the service ("stock exchange") and an upstream ``provider`` that is itself a service
(Outlook -> Microsoft 365 -> Azure).

Matching is word-boundary aware, the longest surface form wins and case-insensitive
forms ignore case:

>>> catalog = Catalog.load()
>>> catalog.match("Office 365 email down, Teams too. Downdetector shows gmail down")
['Exchange Online', 'Microsoft Teams', 'Gmail']
>>> catalog.match("our teams are great; the stock exchange crashed")
[]
>>> catalog.providers("Outlook")
['Microsoft 365', 'Azure']
>>> catalog.common_provider("Outlook", "Microsoft Teams")
'Microsoft 365'

Rules a catalog author should know:

- surface forms are the name, ``aliases``, ``handles`` and ``hashtags`` (any case) and
  ``case_sensitive_aliases`` (exact case; list the name there to make it exact too);
  runs of whitespace inside a form match any whitespace;
- a form matches only between word boundaries (ASCII letters, digits and ``_``), so
  "down" is not found in "Downdetector", while "status.slack.com", "@gmail" and
  "Slack's" name their service;
- at each place the longest form wins, scanning left to right, so a
  ``negative_context`` phrase swallows every form inside it *and* any form that starts
  inside it ("in exchange" would hide "in Exchange Online": keep negative phrases
  specific, e.g. "in exchange for");
- a form must start with a letter, a digit, ``_``, ``@`` or ``#``; an alias names one
  service; providers must be services of the catalog and must not form a cycle.

A user's catalog is a JSON file of the same shape as ``data/services.json`` (an object
with a ``services`` list, or just the list) or a CSV file with a ``name`` column and
any of the other fields as columns, lists separated by ``|``.

All surface forms are compiled into one trie-shaped regular expression that runs on
the lower-cased text; a dict maps each matched form to its service (or to a
case-sensitive check, or to "negative context: drop it"). Measured on this project's
shared 2-core machine under load (load average 9) on 20,000 real posts of about 100
characters: ``match_many`` tags about 130,000 posts per CPU-second, as fast as a bare
``re.findall(r"\\w+")`` pass over the same posts, about 95x a single
longest-first alternation with ``re.IGNORECASE`` and over 200x one regex per service.
"""

from __future__ import annotations

import csv
import functools
import json
import os
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import repeat
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from detector.errors import DataError, InputMissingError
from detector.paths import project_path
from detector.text import compiled as compiled_paths

#: Fields a service record may have; ``name`` is the only required one.
FIELDS = (
    "name",
    "category",
    "aliases",
    "handles",
    "hashtags",
    "provider",
    "case_sensitive_aliases",
    "negative_context",
)
_LIST_FIELDS = ("aliases", "handles", "hashtags", "case_sensitive_aliases", "negative_context")
_CSV_SEPARATOR = "|"
_NEGATIVE = None  # table value of a negative-context phrase: matched, then dropped


@dataclass(frozen=True, slots=True)
class Service:
    """One catalog entry.

    >>> Catalog.load().get("Outlook").provider
    'Microsoft 365'
    """

    name: str
    category: str = "other"
    aliases: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    provider: str | None = None
    case_sensitive_aliases: tuple[str, ...] = ()
    negative_context: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON record of this service (the schema of ``data/services.json``)."""
        record: dict[str, Any] = {"name": self.name, "category": self.category}
        for field in ("aliases", "handles", "hashtags"):
            record[field] = list(getattr(self, field))
        record["provider"] = self.provider
        for field in ("case_sensitive_aliases", "negative_context"):
            if getattr(self, field):
                record[field] = list(getattr(self, field))
        return record


#: Given service names whose canonical form a catalog remembers.
_CANONICAL_CACHE = 4096


class Catalog:
    """A validated, immutable set of services with a fast matcher.

    Build one with :meth:`load` (a JSON or CSV file, or the shipped default) or
    :meth:`from_records`; both raise :class:`~detector.errors.DataError` naming the
    source and the problem.

    >>> catalog = Catalog.from_records(
    ...     [{"name": "Cloud"}, {"name": "Mail", "aliases": ["m@il"], "provider": "Cloud"}]
    ... )
    >>> catalog.names, catalog.match("m@il is down, cloud too"), catalog.providers("Mail")
    (['Cloud', 'Mail'], ['Mail', 'Cloud'], ['Cloud'])
    """

    __slots__ = (
        "_services",
        "_chains",
        "_table",
        "_simple",
        "_pattern",
        "_trie",
        "_canonical",
        "_categories",
        "source",
    )

    def __init__(self, services: Sequence[Service], *, source: str = "<records>") -> None:
        by_name = {s.name: s for s in services}
        if len(by_name) != len(services):
            names = [s.name for s in services]
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise DataError(f"{source}: service names must be unique; repeated: {repeated}")
        _check_providers(by_name, source)
        table = _build_table(by_name, source)
        categories = {name: service.category for name, service in by_name.items()}
        state = {
            "source": source,
            "_services": by_name,
            "_chains": {name: _chain(by_name, name) for name in by_name},
            "_table": table,
            "_simple": _simple_forms(table, categories),
            "_categories": categories,  # service name -> category, this catalog's own
            "_pattern": None,  # compiled on first use (:meth:`_scanner`)
            "_trie": None,  # the compiled scan's trie, built on first use (:meth:`_compiled`)
            "_canonical": {},  # given name -> canonical name (bounded: _CANONICAL_CACHE)
        }
        for name, value in state.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a Catalog is immutable; cannot set {name!r}")

    def compile(self, *, batches: bool = False) -> Catalog:
        """Compile the matcher now rather than on the first match (a server before its
        first request, a fork server before its workers); returns the catalog. With
        *batches*, also the compiled scan :meth:`match_many` uses for large batches, its
        machine code loaded (a fork server whose workers score millions of posts).

        >>> Catalog.load().compile().match("gmail down")
        ['Gmail']
        """
        self._scanner()
        if batches:
            compiled = self._compiled()
            if compiled is not None:
                _compiled_scan(compiled, self._simple, "\x00gmail down")
        return self

    def _scanner(self) -> re.Pattern[str]:
        """The matcher's one regular expression, compiled the first time a text is matched
        (a process that only reads names and providers, like ``score``'s main process whose
        workers match, never pays for it)."""
        pattern = self._pattern
        if pattern is None:
            pattern = re.compile(_trie_pattern(self._table), re.ASCII)
            object.__setattr__(self, "_pattern", pattern)
        return pattern

    def _compiled(self) -> CompiledScan | None:
        """The compiled scan (:mod:`.fastscan`) for this catalog's forms, built the first
        time; ``None`` where it is off (:func:`compiled_scan_enabled`) or cannot equal the
        regular expression (:func:`detector.text.fastscan.supports`)."""
        if not compiled_scan_enabled():
            return None
        trie = self._trie
        if trie is None:
            trie = CompiledScan.build(self._table, self._simple) or False
            object.__setattr__(self, "_trie", trie)
        return trie or None

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt (and re-validated) from its services, e.g. in a Dask worker
        return (_rebuild, (tuple(self._services.values()), self.source))

    # -- construction -------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Catalog:
        """Read a catalog file (``.json`` or ``.csv``); ``None`` is the shipped default.

        Catalogs are immutable, so loading an unchanged file again returns the same object.

        >>> len(Catalog.load()) >= 150
        True
        """
        file = default_path() if path is None else Path(path)
        if not file.is_file():
            hint = " (the shipped default; pass a catalog file instead)" if path is None else ""
            raise InputMissingError(
                f"service catalog {str(file)!r} does not exist or is not a file{hint}"
            )
        stat = file.stat()
        key = (str(file.resolve()), stat.st_mtime_ns, stat.st_size)
        if key not in _LOADED:  # compiling the matcher takes a few hundred ms: once per file
            records = _read_csv(file) if file.suffix.lower() == ".csv" else _read_json(file)
            _LOADED[key] = cls.from_records(records, source=str(file))
        return _LOADED[key]

    @classmethod
    def from_records(
        cls, records: Iterable[Mapping[str, Any]], *, source: str = "<records>"
    ) -> Catalog:
        """Build a catalog from service records (dicts with the fields of :data:`FIELDS`)."""
        services = []
        seen: dict[str, int] = {}
        for number, record in enumerate(records, start=1):
            service = _service(record, number, source)
            key = service.name.casefold()
            if key in seen:
                raise DataError(
                    f"{source}: service record {number} repeats the name {service.name!r} "
                    f"of record {seen[key]}; names must be unique (ignoring case)"
                )
            seen[key] = number
            services.append(service)
        return cls(services, source=source)

    # -- lookup ---------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Canonical names, in catalog order."""
        return list(self._services)

    def __len__(self) -> int:
        return len(self._services)

    def __iter__(self) -> Iterator[Service]:
        return iter(self._services.values())

    def __contains__(self, name: object) -> bool:
        return name in self._services

    def __repr__(self) -> str:
        return f"Catalog({len(self)} services from {self.source})"

    def get(self, name: str) -> Service | None:
        """The service called *name* (canonical, exact), or ``None``."""
        return self._services.get(name)

    def resolve(self, text: str) -> str | None:
        """The canonical name for a name, alias, handle or hashtag written alone.

        Use it for a service named by a column or an API field ("outlook", "@SlackHQ").

        >>> catalog = Catalog.load()
        >>> catalog.resolve("ms teams"), catalog.resolve("@SlackHQ"), catalog.resolve("nope")
        ('Microsoft Teams', 'Slack', None)
        """
        if text in self._services:
            return text
        found = _match(self._scanner().finditer, self._table, self._categories, text, context=False)
        return found[0] if len(found) == 1 and self._spans_all(text) else None

    def canonical(self, name: str) -> str:
        """The service a column or API field names: its catalog name, else the name itself.

        The one rule batch ``score`` and the live API both apply to a given service.

        >>> catalog = Catalog.load()
        >>> catalog.canonical(" ms teams "), catalog.canonical("Acme Portal")
        ('Microsoft Teams', 'Acme Portal')
        """
        found = self._canonical.get(name)
        if found is None:
            stripped = name.strip()
            found = self.resolve(stripped) or stripped or name
            if len(self._canonical) >= _CANONICAL_CACHE:
                self._canonical.clear()  # names given by clients are unbounded: stay small
            self._canonical[name] = found
        return found

    def _spans_all(self, text: str) -> bool:
        return bool(self._scanner().fullmatch(" " + " ".join(text.lower().split())))

    def providers(self, name: str) -> list[str]:
        """The upstream providers of *name*, nearest first; ``KeyError`` if unknown."""
        try:
            return list(self._chains[name])
        except KeyError:
            raise KeyError(f"{name!r} is not a service in the catalog {self.source}") from None

    def common_provider(self, a: str, b: str) -> str | None:
        """The nearest service both *a* and *b* are or depend on, or ``None``.

        A service counts as its own provider here: Outlook and Microsoft 365 share
        Microsoft 365.

        >>> catalog = Catalog.load()
        >>> catalog.common_provider("Gmail", "Snapchat")
        'Google Cloud'
        >>> catalog.common_provider("Outlook", "Gmail") is None
        True
        """
        upstream_b = {b, *self.providers(b)}
        return next((p for p in (a, *self.providers(a)) if p in upstream_b), None)

    # -- matching -------------------------------------------------------------------
    def match(self, text: str) -> list[str]:
        """Canonical names of the services *text* names, in order of first appearance.

        Non-strings (``None``, NaN) name no service.

        >>> Catalog.load().match("Is @SlackHQ down? status.slack.com says ok. Zoom fine")
        ['Slack', 'Zoom']
        """
        if not isinstance(text, str):
            return []
        return _match(self._scanner().finditer, self._table, self._categories, text)

    def match_many(self, texts: Iterable[str]) -> list[list[str]]:
        """:meth:`match` for each text, in order; for batches of millions of posts.

        The batch's posts are lower-cased and scanned as one string, joined by ``NUL``
        (which no form contains and ``\\s`` does not match, so no match spans two
        posts). A post whose forms all map to one service with no
        condition attached reads them straight from the table; a post with a
        conditional form (case-sensitive, common-word, link, or with odd whitespace)
        goes through :meth:`match`'s rules with the matches the scan found. Only posts
        whose lower case is longer ("İ") are matched one by one.
        The result equals ``[match(t) for t in texts]``.

        >>> Catalog.load().match_many(["Gmail down", "all good", "Verizon Fios out"])
        [['Gmail'], [], ['Verizon']]
        """
        texts = texts if isinstance(texts, list) else list(texts)
        finditer, table, simple = self._scanner().finditer, self._table, self._simple
        categories = self._categories
        found: list[list[str]] = [[] for _ in texts]
        posts, rows, lowered, starts, codes = _batchable(texts)
        if len(posts) < len(texts):  # the others are not strings (no service) or have an "İ"
            batched = set(rows or ())
            for i, text in enumerate(texts):
                if i not in batched and isinstance(text, str):
                    found[i] = _match(finditer, table, categories, text)
        if not posts:
            return found
        trie = self._compiled() if len(posts) >= COMPILED_BATCH else None
        scanned = _compiled_scan(trie, simple, lowered, codes) if trie is not None else None
        if scanned is not None:
            at, forms, names = scanned
        else:
            at_list: list[int] = []
            forms = []
            add_at, add_form = at_list.append, forms.append
            for m in finditer(lowered):  # a match at a time: a list of them would wake the GC
                add_at(m.start(1))
                add_form(m.group(1))
            at = np.asarray(at_list, dtype=np.int64)
            names = list(map(simple.get, forms, repeat(_MISSING, len(forms))))
        # the post of each match; the few matches the rules decide read their offsets
        # from the arrays (a list of every match's offset would go mostly unread)
        owned = (np.searchsorted(starts, at, side="right") - 1).tolist()
        for j in [j for j, name in enumerate(names) if name is _MISSING]:
            entry = table.get(forms[j])
            if entry.__class__ is dict:  # case-sensitive: the original text decides here
                k = owned[j]
                start = int(at[j] - starts[k])
                original = posts[k][start : start + len(forms[j])]
                names[j] = _exact(entry, original, forms[j], categories)
        targets = found if rows is None else [found[i] for i in rows]
        conditional: list[int] = []  # posts with a form only match()'s rules can decide
        for k, name in zip(owned, names, strict=True):
            if name is None:
                continue
            if name is _MISSING:
                if not conditional or conditional[-1] != k:
                    conditional.append(k)
                continue
            target = targets[k]
            if name not in target:
                target.append(name)
        for k in conditional:  # match()'s rules, on the matches the batch's scan found
            first, last = bisect_left(owned, k), bisect_right(owned, k)
            begin = int(starts[k]) - 1  # the NUL before the post stands for match()'s space
            post = posts[k]
            targets[k][:] = _resolve(
                table,
                categories,
                post,
                " " + lowered[begin + 1 : begin + 1 + len(post)],
                [(a - begin, forms[j]) for j, a in enumerate(at[first:last].tolist(), first)],
            )
        return found

    # -- export ---------------------------------------------------------------------
    def to_records(self) -> list[dict[str, Any]]:
        """The services as JSON records (``Catalog.from_records`` round-trips them)."""
        return [s.to_dict() for s in self]


_LOADED: dict[tuple[str, int, int], Catalog] = {}


def _rebuild(services: tuple[Service, ...], source: str) -> Catalog:
    return Catalog(services, source=source)


def default_path() -> Path:
    """Where the shipped catalog is: ``data/services.json`` as :mod:`detector.paths` finds it.

    That is the checkout's ``data/`` (also for an editable install) or the copy a wheel
    installs under ``<prefix>/share/outage-detector/``; a copy shipped as package data
    (``detector/data/services.json``) is used when neither exists.

    >>> default_path().name
    'services.json'
    """
    shipped = project_path("data", "services.json")
    if not shipped.is_file():
        packaged = resources.files("detector").joinpath("data", "services.json")
        if packaged.is_file():
            return Path(str(packaged))
    return shipped


# -- reading and validating records ---------------------------------------------------
def _read_json(file: Path) -> list[Mapping[str, Any]]:
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        raise DataError(f"{file}: service catalog is not UTF-8 text ({err.reason})") from None
    except json.JSONDecodeError as err:
        raise DataError(
            f"{file}: service catalog is not valid JSON: {err.msg} at line {err.lineno} "
            f"column {err.colno}"
        ) from None
    services = document.get("services") if isinstance(document, dict) else document
    if not isinstance(services, list):
        raise DataError(
            f"{file}: a JSON service catalog must be an object with a 'services' list "
            f"(or a list of services); got {type(document).__name__}"
        )
    return services


def _read_csv(file: Path) -> list[Mapping[str, Any]]:
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            if "name" not in header:
                raise DataError(
                    f"{file}: a CSV service catalog needs a 'name' column "
                    f"(columns: {', '.join(FIELDS)}; lists separated by '|'); got {header}"
                )
            unknown = sorted(set(header) - set(FIELDS))
            if unknown:
                raise DataError(
                    f"{file}: unknown CSV column(s) {unknown}; allowed: {', '.join(FIELDS)}"
                )
            records = []
            for row in reader:
                record: dict[str, Any] = {}
                for key, value in row.items():
                    if key is None:
                        raise DataError(
                            f"{file}: line {reader.line_num} has more fields than the header"
                        )
                    key, value = key.strip(), (value or "").strip()
                    if key in _LIST_FIELDS:
                        record[key] = [v.strip() for v in value.split(_CSV_SEPARATOR) if v.strip()]
                    elif value:
                        record[key] = value
                records.append(record)
    except UnicodeDecodeError as err:
        raise DataError(f"{file}: service catalog is not UTF-8 text ({err.reason})") from None
    return records


def _service(record: Mapping[str, Any], number: int, source: str) -> Service:
    where = f"{source}: service record {number}"
    if not isinstance(record, Mapping):
        raise DataError(f"{where} must be an object with a 'name'; got {record!r:.60}")
    name = record.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"{where} has no 'name' (a non-empty string); got {name!r}")
    name = " ".join(name.split())
    where = f"{source}: service {name!r} (record {number})"
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise DataError(f"{where} has unknown field(s) {unknown}; allowed: {', '.join(FIELDS)}")
    lists = {}
    for field in _LIST_FIELDS:
        values = record.get(field) or []
        if isinstance(values, str) or not isinstance(values, list | tuple):
            raise DataError(f"{where}: {field!r} must be a list of strings; got {values!r:.60}")
        for value in values:
            if not isinstance(value, str) or not value.strip():
                raise DataError(f"{where}: {field!r} holds {value!r}; expected non-empty strings")
        lists[field] = tuple(dict.fromkeys(" ".join(v.split()) for v in values))
    provider = record.get("provider") or None
    if provider is not None and not isinstance(provider, str):
        raise DataError(f"{where}: 'provider' must be a service name; got {provider!r}")
    category = record.get("category") or "other"
    if not isinstance(category, str):
        raise DataError(f"{where}: 'category' must be a string; got {category!r}")
    return Service(name=name, category=category, provider=provider, **lists)


def _check_providers(services: Mapping[str, Service], source: str) -> None:
    for service in services.values():
        if service.provider is not None and service.provider not in services:
            raise DataError(
                f"{source}: service {service.name!r} names the provider {service.provider!r}, "
                "which is not a service in the catalog (providers are canonical names)"
            )
    for name in services:
        path = [name]
        provider = services[name].provider
        while provider is not None:
            if provider in path:
                cycle = " -> ".join([*path[path.index(provider) :], provider])
                raise DataError(f"{source}: providers form a cycle: {cycle}")
            path.append(provider)
            provider = services[provider].provider


def _chain(services: Mapping[str, Service], name: str) -> tuple[str, ...]:
    chain = []
    provider = services[name].provider
    while provider is not None:
        chain.append(provider)
        provider = services[provider].provider
    return tuple(chain)


def _surface_forms(service: Service) -> tuple[list[str], list[str]]:
    """(case-insensitive forms, case-sensitive forms) of *service*."""
    sensitive = list(service.case_sensitive_aliases)
    insensitive = [] if service.name in sensitive else [service.name]
    insensitive += [*service.aliases, *service.handles, *service.hashtags]
    return insensitive, sensitive


def _simple_forms(table: Mapping[str, Any], categories: Mapping[str, str]) -> dict[str, str | None]:
    """The forms :meth:`Catalog.match_many` may read straight from *table*: those naming
    one service with no condition (not case-sensitive, not a common word, not a domain
    of a service whose links are shares of content), and negative phrases (``None``)."""
    simple: dict[str, str | None] = {}
    for form, entry in table.items():
        if entry is _NEGATIVE:
            simple[form] = None
        elif entry.__class__ is str and not (
            "." in form and categories.get(entry) in _SHARED_LINK_CATEGORIES
        ):
            simple[form] = entry
    return simple


def _build_table(services: Mapping[str, Service], source: str) -> dict[str, Any]:
    """Lower-cased form -> canonical name | {exact form: name} | ``None`` (negative)."""
    table: dict[str, Any] = {}
    owner: dict[str, str] = {}  # lower-cased form -> service that claimed it, for messages

    def claim(form: str, name: str, kind: str) -> None:
        _check_start(form, name, kind, source)
        key = form.lower()
        if key in owner and owner[key] != name:
            raise DataError(
                f"{source}: the {kind} {form!r} of {name!r} is also a surface form of "
                f"{owner[key]!r}; an alias must name one service"
            )
        owner[key] = name

    for service in services.values():
        insensitive, sensitive = _surface_forms(service)
        both = {f.lower() for f in insensitive} & {f.lower() for f in sensitive}
        if both:
            raise DataError(
                f"{source}: service {service.name!r} lists {sorted(both)} both as "
                "case-insensitive and as case-sensitive aliases"
            )
        for form in insensitive:
            claim(form, service.name, "alias")
            weak = form.lower() in COMMON_WORD_ALIASES
            table[form.lower()] = (
                _Weak(service.name, True, service.category) if weak else service.name
            )
        for form in sensitive:
            _check_start(form, service.name, "case-sensitive alias", source)
            key = form.lower()
            if isinstance(table.get(key), str | _Weak):
                claim(form, service.name, "case-sensitive alias")
            exact = table.setdefault(key, {})
            if _name_of(exact.get(form, service.name)) != service.name:
                raise DataError(
                    f"{source}: the case-sensitive alias {form!r} of {service.name!r} is also "
                    f"one of {_name_of(exact[form])!r}; an alias must name one service"
                )
            exact[form] = (
                _Weak(service.name, False, service.category) if _is_weak(form) else service.name
            )
            owner.setdefault(key, service.name)
    for service in services.values():
        if not service.negative_context:
            continue
        own = [f.lower() for f in (*_surface_forms(service)[0], *_surface_forms(service)[1])]
        own_pattern = re.compile("|".join(_form_regex(f) for f in own), re.ASCII)
        for phrase in service.negative_context:
            _check_start(phrase, service.name, "negative context", source)
            key = phrase.lower()
            if key in owner:
                raise DataError(
                    f"{source}: the negative context {phrase!r} of {service.name!r} is a "
                    f"surface form of {owner[key]!r}"
                )
            if not own_pattern.search(key):
                raise DataError(
                    f"{source}: the negative context {phrase!r} of {service.name!r} contains "
                    "none of its names or aliases, so it could never apply"
                )
            table[key] = _NEGATIVE
    return table


def _check_start(form: str, name: str, kind: str, source: str) -> None:
    # The matcher consumes one non-word character before a form, so a form that starts
    # with ASCII punctuation would need two ("Seattle, WA" has only one before ",").
    first = form[0]
    if first.isascii() and not (_is_word(first) or first in "@#"):
        raise DataError(
            f"{source}: the {kind} {form!r} of {name!r} starts with {first!r}; surface "
            "forms must start with a letter, a digit, '_', '@' or '#'"
        )
    control = next((c for c in form if unicodedata.category(c) == "Cc"), None)
    if control is not None:  # a tab or line break in a form, or the NUL match_many joins on
        raise DataError(
            f"{source}: the {kind} {form!r} of {name!r} contains the control character "
            f"{control!r}; surface forms are words, spaces and punctuation"
        )


# -- matching -----------------------------------------------------------------------
def _match(
    finditer: Any,
    table: Mapping[str, Any],
    categories: Mapping[str, str],
    text: str,
    context: bool = True,
) -> list[str]:
    """The services *text* names; *finditer* is the compiled trie's ``finditer``.

    A common-word alias (:class:`_Weak`) counts only with *context*: a context word of
    its category nearby, or another service of the same category named in the post;
    never right after a word of :data:`NOT_A_SERVICE_BEFORE` ("crypto exchange").
    """
    lowered = " " + text.lower()  # the pattern consumes the character before each form
    if len(lowered) != len(text) + 1:  # lower() grew a character ("İ"): keep offsets aligned
        lowered = " " + "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return _resolve(
        table,
        categories,
        text,
        lowered,
        [(m.start(1), m.group(1)) for m in finditer(lowered)],
        context,
    )


def _resolve(
    table: Mapping[str, Any],
    categories: Mapping[str, str],
    text: str,
    lowered: str,
    matches: Iterable[tuple[int, str]],
    context: bool = True,
) -> list[str]:
    """The services named by *matches* (``(start, form)`` of the trie's group in
    *lowered*, which is ``" "`` and *text* lower-cased, offsets aligned): :func:`_match`'s
    rules, given the matches of the pattern (from one post's scan or a batch's);
    *categories* maps the catalog's service names to their categories."""
    pending: list[tuple[int, _Weak]] = []
    found: list[str] = []
    for begin, form in matches:
        end = begin + len(form)
        entry = table.get(form, _MISSING)
        if entry is _MISSING:  # whitespace inside a multi-word form differs from the catalog's
            entry = table[" ".join(form.split())]
        if entry.__class__ is dict:  # case-sensitive forms: compare the original text
            start = begin - 1
            original = text[start : start + len(form)]
            entry = entry.get(original) or entry.get(" ".join(original.split()))
        if (
            context
            and "." in form
            and categories.get(_name_of(entry)) in _SHARED_LINK_CATEGORIES  # type: ignore[arg-type]
            and _is_page_link(lowered, begin, end)
        ):
            continue  # a shared link to a post or video, not the service itself
        if entry.__class__ is _Weak:  # a common word: counts only in a service context
            if context:
                previous = lowered[max(0, begin - 30) : begin].split()[-1:]
                if previous and previous[0] in NOT_A_SERVICE_BEFORE:
                    continue
                words = entry.words
                if entry.capitalised and not text[begin - 1 : begin].isupper():
                    words = entry.own_words  # "exchange": only its category's words count
                if not _in_context(lowered, begin, end, words):
                    pending.append((len(found), entry))
                    continue
            entry = entry.name
        if entry is not None and entry not in found:
            found.append(entry)
    if pending:  # a weak form counts when a service of its category is named too
        families = {_FAMILY.get(c, c) for c in map(categories.get, found) if c}
        for at, weak in reversed(pending):  # insert where they appeared, keeping the order
            if _FAMILY.get(weak.category, weak.category) in families:
                if weak.name in found[:at]:
                    continue
                if weak.name in found:
                    found.remove(weak.name)
                found.insert(at, weak.name)
    return found


#: A common-word alias right after one of these words is the word, not the service.
NOT_A_SERVICE_BEFORE = frozenset(
    {"crypto", "cryptocurrency", "bitcoin", "coin", "stock", "currency", "foreign", "money"}
    | {"student", "heat", "gift", "part", "in", "trading", "blue", "night", "clear"}
)

#: Categories close enough that naming one service makes a common-word alias of the
#: other count ("Teams and O365 email").
_FAMILY = {"chat": "work", "email": "work", "productivity": "work", "cloud": "work"}

#: Categories whose page links are shares of content (facebook.com/..., youtu.be/...).
_SHARED_LINK_CATEGORIES = frozenset({"social", "streaming"})


#: Case-insensitive aliases that are also ordinary words: written capitalised they count
#: with a service word nearby (see :data:`CONTEXT_WORDS`), in lower case only with a word of
#: their own category ("exchange mailbox", "calendar not syncing from exchange") or with a
#: service of the same family named in the post. Of the 1,002 shared real posts that say
#: "exchange" (crypto and neobank app reviews, tweets), the 7 that also name Microsoft,
#: Outlook, Office 365 or mail are about crypto or banking too; "this exchange has problems"
#: has a service word nearby: 159 of them counted as Exchange Online, now 16.
COMMON_WORD_ALIASES = frozenset({"exchange"})

#: Words that, within :data:`CONTEXT_SPAN` words of a common-word alias ("Sky",
#: "Sprint", "Exchange", ...), show that the post talks about the service; plus the
#: words of its category (:data:`CATEGORY_CONTEXT`).
CONTEXT_WORDS = frozenset(
    """
    app apps account accounts login log signin password service services customer customers
    support help outage outages down offline working work works broken crash crashing
    error errors fix fixed issue issues problem problems glitch slow loading load
    online website site web server servers subscription bill billing charged refund
    rep agent agents contract
    """.split()  # noqa: SIM905
)
CATEGORY_CONTEXT: dict[str, frozenset[str]] = {
    category: frozenset(words.split())
    for category, words in {
        "airline": "flight flights flying fly flew airline airlines plane gate seat seats "
        "baggage bag bags miles crew pilot boarding booked booking ticket tickets delayed "
        "cancelled",
        "telco": "internet wifi broadband network signal coverage mobile phone phones cell "
        "cellular data tv cable box router modem channel channels plan",
        "bank": "bank banking card cards transfer payment payments deposit withdrawal atm",
        "payments": "card cards transfer payment payments checkout deposit",
        "streaming": "stream streaming watch watching show shows episode music playlist",
        "email": "email emails mail mailbox inbox outbox calendar",
        "chat": "message messages chat call calls meeting",
        "mobility": "ride rides driver drivers trip",
        "gaming": "game games play playing server servers",
    }.items()
}
CONTEXT_SPAN = 4


def _is_page_link(lowered: str, start: int, end: int) -> bool:
    """True when the domain at ``lowered[start:end]`` is followed by a path (``/x``), in a
    link that is not a status page.

    >>> _is_page_link(" see facebook.com/page/1 now", 5, 17)
    True
    >>> _is_page_link(" status.slack.com/x", 8, 17), _is_page_link(" slack.com/ down", 1, 10)
    (False, False)
    """
    if lowered[end : end + 1] != "/" or end + 1 >= len(lowered) or lowered[end + 1].isspace():
        return False
    token_start = lowered.rfind(" ", 0, start) + 1
    token_end = lowered.find(" ", end)
    token = lowered[token_start : len(lowered) if token_end < 0 else token_end]
    return "status" not in token


def _in_context(lowered: str, start: int, end: int, words: frozenset[str]) -> bool:
    """True when one of *words* is within CONTEXT_SPAN words before or after the match."""
    before = lowered[max(0, start - 80) : start].split()[-CONTEXT_SPAN:]
    after = lowered[end : end + 80].split()[:CONTEXT_SPAN]
    return any(word.strip(".,!?:;()\"'-").removesuffix("'s") in words for word in (*before, *after))


def _is_weak(form: str) -> bool:
    """A case-sensitive alias that is a capitalised ordinary word ("Sky", "Sprint", "Chase").

    >>> _is_weak("Sky"), _is_weak("EE"), _is_weak("Apple TV")
    (True, False, False)
    """
    return bool(re.fullmatch(r"[A-Z][a-z]{2,}", form))


class _Weak:
    """Table entry of a common-word alias: its service *name*, whether it is a
    :data:`COMMON_WORD_ALIASES` form (*capitalised*: in lower case only its category's
    words, *own_words*, count as context), and the context *words* that let it count."""

    __slots__ = ("capitalised", "category", "name", "own_words", "words")

    def __init__(self, name: str, capitalised: bool, category: str = "") -> None:
        self.name = name
        self.capitalised = capitalised
        self.category = category
        self.own_words = CATEGORY_CONTEXT.get(category, frozenset())
        self.words = CONTEXT_WORDS | self.own_words

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Weak) and (self.name, self.capitalised) == (
            other.name,
            other.capitalised,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.capitalised))


def _name_of(entry: object) -> object:
    return entry.name if isinstance(entry, _Weak) else entry


_MISSING = object()


def _exact(
    entry: Mapping[str, Any], original: str, form: str, categories: Mapping[str, str]
) -> object:
    """What a case-sensitive table *entry* says of *original* (the text a match of
    *form* covers), as :func:`_resolve` reads it: a service, ``None`` (not this one), or
    ``_MISSING`` when only :func:`_resolve` can decide (a common word, a shared link)."""
    found = entry.get(original) or entry.get(" ".join(original.split()))
    if found is None:
        return None
    if found.__class__ is str and not (
        "." in form and categories.get(found) in _SHARED_LINK_CATEGORIES
    ):
        return found
    return _MISSING


#: Batches of at least this many posts take the compiled scan (:mod:`.fastscan`);
#: smaller ones are not worth loading its machine code for.
COMPILED_BATCH = 2_000


def compiled_scan_enabled() -> bool:
    """The compiled scan, unless ``OUTAGE_COMPILED=0`` (as for the compiled normaliser),
    it failed in this process, or numba cannot be imported or cache its machine code
    here (the regular expression then gives the same matches, slower)."""
    return (
        compiled_paths.switched_on(_SCAN_BROKEN) and compiled_paths.available() and _scan_cached()
    )


@functools.cache
def _scan_cached() -> bool:
    """Whether numba caches the scan's machine code here (once a process). Only importing
    :mod:`.fastscan` tells: :func:`detector.text.compiled.available` may have read
    :data:`detector.text.jit.CACHED` before any compiled function was defined, when it
    is still true; the scan would then compile in every process (seconds each)."""
    from detector.text import fastscan

    return fastscan.CACHED


#: Why the compiled scan failed in this process (it is not tried again once it has).
_SCAN_BROKEN: list[str] = []


class CompiledScan(NamedTuple):
    """A catalog's table as the compiled scan needs it: the trie of its forms, and per
    form what :meth:`Catalog.match_many` reads straight from the table (``_MISSING``
    where its rules must decide)."""

    trie: Any  # detector.text.fastscan.Trie
    names: np.ndarray  # object: per form, its simple name, None, or _MISSING
    forms: np.ndarray  # object: the forms

    @classmethod
    def build(cls, table: Mapping[str, Any], simple: Mapping[str, Any]) -> CompiledScan | None:
        """``None`` when the compiled scan cannot equal the regular expression here."""
        from detector.text.fastscan import Trie, supports

        forms = list(table)
        if not supports(forms):
            return None
        names = np.empty(len(forms), dtype=object)
        names[:] = [simple.get(f, _MISSING) for f in forms]
        return cls(Trie.build(forms), names, np.array(forms, dtype=object))


def _compiled_scan(
    compiled: CompiledScan,
    simple: Mapping[str, Any],
    lowered: str,
    codes: np.ndarray | None = None,
) -> tuple[np.ndarray, list[str], list[Any]] | None:
    """The matches of the compiled scan in *lowered* (its code points *codes*, ``uint32``,
    when the caller has them): where each form starts (an array), the matched texts, and
    their simple names (``_MISSING`` where :func:`_resolve`'s rules decide). ``None``
    (with a warning, once a process) if the machine code fails."""
    from detector.text.fastscan import scan

    try:
        if codes is None:
            codes = _code_points(lowered)
        starts, ends, form, exact = scan(codes, compiled.trie)
    except Exception as exc:  # a damaged machine-code cache, say: the regex still runs
        compiled_paths.failed(
            _SCAN_BROKEN,
            exc,
            "the compiled service scan failed, using the regular expression instead "
            "(the same matches, slower)",
            hint=", and deleting numba's cache files (*.nbi, *.nbc beside "
            "detector/text/fastscan.py or under NUMBA_CACHE_DIR) rebuilds it",
        )
        return None
    forms = compiled.forms[form].tolist()
    names = compiled.names[form].tolist()
    for j in np.flatnonzero(~exact).tolist():  # other whitespace inside a multi-word form
        forms[j] = lowered[starts[j] : ends[j]]
        names[j] = simple.get(forms[j], _MISSING)
    return starts, forms, names


def _code_points(text: str) -> np.ndarray:
    """*text*'s code points (``uint32``; a lone surrogate as itself)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def _batchable(texts: list[Any]) -> tuple[list[str], list[int] | None, str, np.ndarray, np.ndarray]:
    """The *texts* :meth:`Catalog.match_many` scans together, their rows (``None``: all
    of them), the scanned string, where each of them begins in it and its code points
    (``uint32``): the strings whose lower case is as long as they are, joined by ``NUL``
    with one in front, then lower-cased.

    The joined string is lower-cased in one call: ``str.lower`` depends on context only
    for a capital sigma (final or not, by the cased letters around it), and a ``NUL`` is
    neither cased nor case-ignorable, so each post lowers as it would alone. A post
    begins after each ``NUL`` unless a post holds one itself (then by their lengths).

    >>> posts, rows, lowered, starts, codes = _batchable(["a", None, "İ", "B", "c😀"])
    >>> posts, rows, lowered, starts.tolist(), len(codes)
    (['a', 'B', 'c😀'], [0, 3, 4], '\\x00a\\x00b\\x00c😀', [1, 3, 5], 7)
    """
    try:
        joined = "\x00" + "\x00".join(texts)
    except TypeError:  # a non-string (None, NaN) names no service
        rows: list[int] | None = [i for i, t in enumerate(texts) if isinstance(t, str)]
        posts = [texts[i] for i in rows]
        joined = "\x00" + "\x00".join(posts)
    else:
        rows, posts = None, texts
    lowered = joined.lower()
    if len(lowered) != len(joined):  # lower() grew a post ("İ"): lower them one by one
        each = list(map(str.lower, posts))
        keep = [k for k, post in enumerate(posts) if len(each[k]) == len(post)]
        posts = [posts[k] for k in keep]
        rows = keep if rows is None else [rows[k] for k in keep]
        lowered = "\x00" + "\x00".join([each[k] for k in keep])
    codes = _code_points(lowered)
    starts = np.flatnonzero(codes == 0) + 1
    if len(starts) != len(posts):  # a post holds a NUL
        lengths = np.fromiter(map(len, posts), dtype=np.int64, count=len(posts))
        starts = np.cumsum(lengths + 1) - lengths
    return posts, rows, lowered, starts, codes


# -- the trie-shaped regular expression -----------------------------------------------
def _char_regex(char: str) -> str:
    return r"\s+" if char == " " else re.escape(char)


def _form_regex(form: str) -> str:
    """A standalone, word-bounded regex of one lower-cased form."""
    body = "".join(_char_regex(c) for c in form)
    start = r"(?<!\w)" if _is_word(form[0]) else ""
    end = r"(?!\w)" if _is_word(form[-1]) else ""
    return start + body + end


def _is_word(char: str) -> bool:
    """``\\w`` in ``re.ASCII`` mode: word boundaries are ASCII letters, digits and ``_``."""
    return char.isascii() and (char.isalnum() or char == "_")


def _trie_pattern(table: Mapping[str, Any]) -> str:
    """One regex for all forms; at each position it finds the longest form that fits.

    A plain alternation of a thousand forms makes the regex engine try each one at
    every position; the trie shares prefixes, so it fails after a character or two.
    The leading ``[^0-9A-Za-z_]`` consumes the character before the form (the text gets a
    space in front): a pattern that starts with a character class lets the engine skip
    word characters in C instead of entering the trie at every position. Word
    boundaries are ASCII (``re.ASCII``), so a brand glued to non-Latin script
    ("LINEが落ちた") still matches.
    """
    trie: dict[str, Any] = {}
    for form in table:
        node = trie
        for char in form:
            node = node.setdefault(char, {})
        node[""] = True
    if not trie:
        return r"(?!x)x"
    return r"[^0-9A-Za-z_](" + _node_regex(trie, "") + ")"


def _node_regex(node: Mapping[str, Any], last: str) -> str:
    branches = [
        _char_regex(char) + _node_regex(child, char) for char, child in sorted(node.items()) if char
    ]
    if "" in node:  # a form ends here; longer forms (the branches above) are tried first
        branches.append(r"(?!\w)" if _is_word(last) else "")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"
