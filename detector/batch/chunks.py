"""Scoring one chunk of canonical posts: classification and service tagging.

A chunk comes from :func:`detector.ingest.read_posts`; the scored chunk adds
``label, is_outage, outage_prob, symptom`` from the model and ``service`` /
``services`` from the export's own service column (which wins) or the catalog.
Both engines (local processes and Dask) call :class:`ChunkScorer` so that their
results are identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: Columns of posts.parquet, in order (DESIGN.md fixes the first seven).
POST_COLUMNS: tuple[str, ...] = (
    "id",
    "created_at",
    "text",
    "service",
    "is_outage",
    "outage_prob",
    "symptom",
    "label",
    "services",
    "author",
    "is_repost",
    "source_file",
    "line",
)

#: The columns of a scored chunk that are the chunk's own (:func:`carried_columns`).
CARRIED_COLUMNS: tuple[str, ...] = ("id", "created_at", "text", "is_repost", "source_file", "line")

#: The columns of a scored chunk a worker computes: the local engine's parent still holds
#: the chunk, so its workers hand back only these (:func:`assemble`).
COMPUTED_COLUMNS: tuple[str, ...] = tuple(c for c in POST_COLUMNS if c not in CARRIED_COLUMNS)

SERVICE_SEPARATOR = "|"
#: Escapes a separator (or itself) inside a name of a ``services`` value.
ESCAPE = _ESCAPE = "\\"


def join_services(names: list[str]) -> str:
    """*names* as one ``services`` value: ``|``-joined, a ``|`` or ``\\`` inside a name
    (given in the export's service column) escaped with a backslash.

    >>> join_services(["Microsoft 365 | Outlook", "Azure"])
    'Microsoft 365 \\\\| Outlook|Azure'
    """
    joined = SERVICE_SEPARATOR.join(names)
    if _ESCAPE not in joined and joined.count(SERVICE_SEPARATOR) == len(names) - 1:
        return joined  # no name holds a separator or an escape
    return SERVICE_SEPARATOR.join(
        n.replace(_ESCAPE, _ESCAPE * 2).replace(SERVICE_SEPARATOR, _ESCAPE + SERVICE_SEPARATOR)
        if _ESCAPE in n or SERVICE_SEPARATOR in n
        else n
        for n in names
    )


def split_services(value: str) -> list[str]:
    """The names in a ``services`` value (:func:`join_services`'s inverse).

    >>> split_services("Microsoft 365 \\\\| Outlook|Azure"), split_services("A|B")
    (['Microsoft 365 | Outlook', 'Azure'], ['A', 'B'])
    """
    if _ESCAPE not in value:
        return value.split(SERVICE_SEPARATOR)
    names, current, chars = [], [], iter(value)
    for char in chars:
        if char == _ESCAPE:
            current.append(next(chars, ""))
        elif char == SERVICE_SEPARATOR:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    return names


@dataclass(frozen=True)
class ScorerSpec:
    """What a worker needs to build its own :class:`ChunkScorer` (picklable)."""

    model: str | None = None
    catalog: str | None = None
    #: The model reads without scikit-learn (:attr:`ModelRef.compact`): workers need not
    #: import it.
    compact: bool = False

    def build(self) -> ChunkScorer:
        """Load the model (without scikit-learn when it can) and catalog named by this spec."""
        from detector.text.catalog import Catalog
        from detector.text.modelstore import load_model

        return ChunkScorer(
            load_model(self.model, compact=True),
            Catalog.load(Path(self.catalog) if self.catalog else None),
        )


class ChunkScorer:
    """Classify and tag the services of one chunk of canonical posts."""

    def __init__(self, model: object, catalog: object) -> None:
        self.model = model
        self.catalog = catalog

    def __call__(self, chunk: pd.DataFrame) -> pd.DataFrame:
        """Return the scored chunk with :data:`POST_COLUMNS` (author not yet pseudonymised).

        A text that occurs several times in the chunk (reposts, copied complaints, "is X
        down?") is classified and matched once (:func:`repeated_texts`); the columns of
        the distinct texts are built once and taken back to one row a post.
        """
        codes, distinct, column = _repeated_column(chunk["text"])
        # the model reads the distinct texts as a string column (Arrow, no copy)
        predicted = self.model.predict_posts(column)  # type: ignore[attr-defined]
        matched = self.catalog.match_many(distinct)  # type: ignore[attr-defined]
        services, first = self._services(chunk, matched, codes)
        computed = {
            "service": first,
            "is_outage": _rows(predicted["is_outage"].to_numpy(dtype=bool), codes),
            "outage_prob": _rows(predicted["outage_prob"].to_numpy(dtype="float32"), codes),
            "symptom": _rows(predicted["symptom"].astype("string").array, codes),
            "label": _rows(predicted["label"].astype("string").array, codes),
            "services": services,
            "author": chunk["author"].astype("string").array,
        }
        return assemble(chunk, computed)

    def _services(
        self, chunk: pd.DataFrame, matched: list[list[str]], codes: np.ndarray | None = None
    ) -> tuple[pd.api.extensions.ExtensionArray, pd.api.extensions.ExtensionArray]:
        """``services`` (:func:`join_services`) and the first service of each post, as
        string arrays: *matched* holds the catalog's matches of each distinct text, row
        ``i`` being ``matched[codes[i]]`` (``matched[i]`` without *codes*). The export's
        own service column wins over the catalog's matches (one service, named as given,
        trimmed, even with a ``|`` in it)."""
        first = [found[0] if found else None for found in matched]
        alone = {name: join_services([name]) for name in set(first) - {None}}  # one a name
        services = [
            alone[name] if len(found) == 1 else join_services(found) if found else None
            for found, name in zip(matched, first, strict=True)
        ]
        given = _given_services(chunk)
        if not given:  # the distinct texts' values, taken back to one row a post
            return (
                _rows(pd.array(services, dtype="string"), codes),
                _rows(pd.array(first, dtype="string"), codes),
            )
        if codes is not None:
            services = [services[c] for c in codes]
            first = [first[c] for c in codes]
        canonical = self.catalog.canonical  # type: ignore[attr-defined]
        for i, value in given:
            name = canonical(value)
            services[i] = join_services([name])
            first[i] = name
        return pd.array(services, dtype="string"), pd.array(first, dtype="string")


def carried_columns(chunk: pd.DataFrame) -> dict[str, Any]:
    """The chunk's own columns of its scored form (:data:`CARRIED_COLUMNS`), typed as
    ``posts.parquet`` stores them."""
    return {
        "id": chunk["id"].astype("string").array,
        "created_at": pd.to_datetime(chunk["created_at"], utc=True).array,
        "text": chunk["text"].astype("string").array,
        "is_repost": chunk["is_repost"].to_numpy(dtype=bool),
        "source_file": chunk["source_file"].astype("string").array,
        "line": chunk["line"].to_numpy(dtype="int64"),
    }


def assemble(chunk: pd.DataFrame, computed: Mapping[str, Any] | pd.DataFrame) -> pd.DataFrame:
    """The scored chunk (:data:`POST_COLUMNS`): the chunk's own columns and the *computed*
    ones (:data:`COMPUTED_COLUMNS`, a mapping or a frame of them in the chunk's order)."""
    if isinstance(computed, pd.DataFrame):
        computed = {name: _values(computed[name]) for name in COMPUTED_COLUMNS}
    columns = {**carried_columns(chunk), **computed}
    return pd.DataFrame(columns, columns=list(POST_COLUMNS), copy=False)


def _values(column: pd.Series) -> Any:
    """A column's values as :meth:`ChunkScorer.__call__` builds them: the extension array of
    a string column, the numpy array of a bool or float one."""
    if isinstance(column.dtype, pd.api.extensions.ExtensionDtype):
        return column.array
    return column.to_numpy()


def _given_services(chunk: pd.DataFrame) -> list[tuple[int, str]]:
    """``(row, value)`` of the rows whose ``service`` column names a service (a string
    that is not blank)."""
    if "service" not in chunk:
        return []
    column = chunk["service"]
    rows = np.flatnonzero(column.notna().to_numpy(dtype=bool))
    if not len(rows):
        return []
    given = column.to_numpy(dtype=object, na_value=None)
    return [(i, given[i]) for i in rows.tolist() if isinstance(given[i], str) and given[i].strip()]


def _rows(values: Any, codes: np.ndarray | None) -> Any:
    """*values* of the distinct texts taken back to one a post (as they are without codes)."""
    return values if codes is None else values.take(codes)


#: Share of distinct texts below which a chunk is scored once per distinct text.
REPEATS_WORTH_FOLDING = 0.9


def repeated_texts(texts: list[str]) -> tuple[np.ndarray | None, list[str]]:
    """``(codes, distinct texts)`` such that ``distinct[codes[i]] == texts[i]``, when
    folding repeats saves at least a tenth of the work; ``(None, texts)`` otherwise.

    >>> codes, distinct = repeated_texts(["is X down?"] * 9 + ["fine"])
    >>> codes.tolist(), distinct
    ([0, 0, 0, 0, 0, 0, 0, 0, 0, 1], ['is X down?', 'fine'])
    >>> repeated_texts(["a", "b"])[0] is None
    True
    """
    codes, distinct = pd.factorize(np.asarray(texts, dtype=object))
    if len(distinct) > REPEATS_WORTH_FOLDING * len(texts):
        return None, texts
    return codes, distinct.tolist()


def _repeated_column(
    text: pd.Series,
) -> tuple[np.ndarray | None, list[str], list[str] | pd.Series]:
    """:func:`repeated_texts` of ``text.astype(str).tolist()``, read from the column: a
    string column without missing values is factorized as it is (Arrow hashes it) and
    only its distinct texts become Python strings when repeats are folded. Third, the
    same distinct texts for the model: for such a column, a string Series (the model
    reads its Arrow buffers instead of converting the strings back).

    >>> codes, texts, column = _repeated_column(pd.Series(["a", "b", "a"] * 4, dtype="string"))
    >>> codes.tolist()[:3], texts, column.tolist()
    ([0, 1, 0], ['a', 'b'], ['a', 'b'])
    """
    if not isinstance(text.dtype, pd.StringDtype) or text.hasnans:
        codes, distinct = repeated_texts(text.astype(str).tolist())
        return codes, distinct, distinct
    uniques = pd.factorize(text)
    if len(uniques[1]) > REPEATS_WORTH_FOLDING * len(text):
        return None, text.tolist(), text.reset_index(drop=True)
    codes, distinct = uniques
    return codes, distinct.tolist(), pd.Series(distinct, copy=False)


def explode_services(posts: pd.DataFrame) -> pd.DataFrame:
    """One row per (post, named service); posts naming no service keep ``service`` NA.

    >>> df = pd.DataFrame({"services": ["A|B", None], "is_outage": [True, False]})
    >>> explode_services(df)["service"].tolist()
    ['A', 'B', <NA>]
    """
    values = posts["services"].astype("string").to_numpy(dtype=object, na_value=None)
    lists = [
        split_services(v) if v is not None and (SERVICE_SEPARATOR in v or _ESCAPE in v) else v
        for v in values
    ]
    rest = posts.drop(columns=[c for c in ("service",) if c in posts])
    if not any(isinstance(v, list) for v in lists):  # one service (or none) per post
        out = rest.reset_index(drop=True)
        out["service"] = pd.array(lists, dtype="string")
        return out
    counts = np.fromiter(
        (len(v) if isinstance(v, list) else 1 for v in lists), dtype=np.int64, count=len(lists)
    )
    flat = [s for v in lists for s in (v if isinstance(v, list) else (v,))]
    out = rest.iloc[np.repeat(np.arange(len(rest)), counts)].reset_index(drop=True)
    out["service"] = pd.array(flat, dtype="string")
    return out
