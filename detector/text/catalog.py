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

All surface forms are compiled into one trie-shaped regular expression that runs on
the lower-cased text; a dict maps each matched form to its service. On this project's
2-core machine ``match_many`` tags about 400,000 short posts (about 80 characters) per
second on one core; ``benchmarks/catalog.py`` measures it against a naive
one-pattern-per-service matcher.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from detector.errors import DataError, InputMissingError

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

    __slots__ = ("_services", "_chains", "_table", "_pattern", "_fallback", "source")

    def __init__(self, services: Sequence[Service], *, source: str = "<records>") -> None:
        self.source = source
        self._services = {s.name: s for s in services}
        _check_providers(self._services, source)
        self._chains = {name: _chain(self._services, name) for name in self._services}
        self._table = _build_table(self._services, source)
        self._pattern = re.compile(_trie_pattern(self._table))
        self._fallback: re.Pattern[str] | None = None

    # -- construction -------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Catalog:
        """Read a catalog file (``.json`` or ``.csv``); ``None`` is the shipped default.

        >>> len(Catalog.load()) >= 150
        True
        """
        file = default_path() if path is None else Path(path)
        if not file.is_file():
            raise InputMissingError(f"service catalog {str(file)!r} does not exist or is not a file")
        if file.suffix.lower() == ".csv":
            records = _read_csv(file)
        else:
            records = _read_json(file)
        return cls.from_records(records, source=str(file))

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
        found = self.match(text)
        return found[0] if len(found) == 1 and self._spans_all(text) else None

    def _spans_all(self, text: str) -> bool:
        lowered = text.strip().lower()
        return bool(self._pattern.fullmatch(" ".join(lowered.split())))

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
        >>> catalog.common_provider("Gmail", "Snapchat"), catalog.common_provider("Outlook", "Gmail")
        ('Google Cloud', None)
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
        lowered = text.lower()
        if len(lowered) == len(text):
            matches = self._pattern.finditer(lowered)
        else:  # lower() changed the length ("İ"): spans would not line up with *text*
            matches = self._fallback_pattern().finditer(text)
        table = self._table
        found: list[str] = []
        for m in matches:
            form = m.group().lower()
            entry = table.get(form, 0)
            if entry == 0:  # whitespace inside a multi-word form differs from the catalog's
                entry = table[" ".join(form.split())]
            if entry.__class__ is dict:  # case-sensitive forms: compare the original text
                original = text[m.start() : m.end()]
                entry = entry.get(original) or entry.get(" ".join(original.split()))
            if entry and entry not in found:
                found.append(entry)
        return found

    def match_many(self, texts: Iterable[str]) -> list[list[str]]:
        """:meth:`match` for each text, in order; for batches of millions of posts.

        >>> Catalog.load().match_many(["Gmail down", "all good", "Verizon Fios out"])
        [['Gmail'], [], ['Verizon']]
        """
        match = self.match
        return [match(text) for text in texts]

    def _fallback_pattern(self) -> re.Pattern[str]:
        if self._fallback is None:
            self._fallback = re.compile(self._pattern.pattern, re.IGNORECASE)
        return self._fallback

    # -- export ---------------------------------------------------------------------
    def to_records(self) -> list[dict[str, Any]]:
        """The services as JSON records (``Catalog.from_records`` round-trips them)."""
        return [s.to_dict() for s in self]


def default_path() -> Path:
    """Where the shipped catalog is: package data first, else ``<repo>/data/services.json``.

    >>> default_path().name
    'services.json'
    """
    packaged = resources.files("detector").joinpath("data", "services.json")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "data" / "services.json"


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


def _build_table(services: Mapping[str, Service], source: str) -> dict[str, Any]:
    """Lower-cased form -> canonical name | {exact form: name} | ``None`` (negative)."""
    table: dict[str, Any] = {}
    owner: dict[str, str] = {}  # lower-cased form -> service that claimed it, for messages

    def claim(form: str, name: str, kind: str) -> None:
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
        if both - {service.name.lower()}:
            raise DataError(
                f"{source}: service {service.name!r} lists {sorted(both)} both as "
                "case-insensitive and as case-sensitive aliases"
            )
        for form in insensitive:
            claim(form, service.name, "alias")
            table[form.lower()] = service.name
        for form in sensitive:
            key = form.lower()
            if isinstance(table.get(key), str):
                claim(form, service.name, "case-sensitive alias")
            exact = table.setdefault(key, {})
            if exact.get(form, service.name) != service.name:
                raise DataError(
                    f"{source}: the case-sensitive alias {form!r} of {service.name!r} is also "
                    f"one of {exact[form]!r}; an alias must name one service"
                )
            exact[form] = service.name
            owner.setdefault(key, service.name)
    for service in services.values():
        own = [f.lower() for f in (*_surface_forms(service)[0], *_surface_forms(service)[1])]
        own_pattern = re.compile("|".join(_form_regex(f) for f in own)) if own else None
        for phrase in service.negative_context:
            key = phrase.lower()
            if key in owner:
                raise DataError(
                    f"{source}: the negative context {phrase!r} of {service.name!r} is a "
                    f"surface form of {owner[key]!r}"
                )
            if own_pattern is None or not own_pattern.search(key):
                raise DataError(
                    f"{source}: the negative context {phrase!r} of {service.name!r} contains "
                    "none of its names or aliases, so it could never apply"
                )
            table[key] = _NEGATIVE
    return table


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
    return char.isalnum() or char == "_"


def _trie_pattern(table: Mapping[str, Any]) -> str:
    """One regex for all forms; at each position it finds the longest form that fits.

    A plain alternation of a thousand forms makes the regex engine try each one at
    every position; the trie shares prefixes, so it fails after a character or two.
    """
    trie: dict[str, Any] = {}
    for form in table:
        node = trie
        for char in form:
            node = node.setdefault(char, {})
        node[""] = True
    word_start = {c: n for c, n in trie.items() if _is_word(c)}
    other_start = {c: n for c, n in trie.items() if not _is_word(c)}
    parts = []
    if word_start:
        parts.append(r"(?<!\w)" + _node_regex(word_start, ""))
    if other_start:
        parts.append(_node_regex(other_start, ""))
    return "|".join(parts) or r"(?!x)x"


def _node_regex(node: Mapping[str, Any], last: str) -> str:
    branches = [
        _char_regex(char) + _node_regex(child, char)
        for char, child in sorted(node.items())
        if char
    ]
    if "" in node:  # a form ends here; longer forms (the branches above) are tried first
        branches.append(r"(?!\w)" if _is_word(last) else "")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"
