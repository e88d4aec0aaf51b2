"""Scoring one chunk of canonical posts: classification and service tagging.

A chunk comes from :func:`detector.ingest.read_posts`; the scored chunk adds
``label, is_outage, outage_prob, symptom`` from the model and ``service`` /
``services`` from the export's own service column (which wins) or the catalog.
Both engines (local processes and Dask) call :class:`ChunkScorer` so that their
results are identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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

SERVICE_SEPARATOR = "|"


@dataclass(frozen=True)
class ScorerSpec:
    """What a worker needs to build its own :class:`ChunkScorer` (picklable)."""

    model: str | None = None
    catalog: str | None = None

    def build(self) -> ChunkScorer:
        """Load the model and catalog named by this spec."""
        from detector.text.catalog import Catalog
        from detector.text.modelstore import load_model

        return ChunkScorer(
            load_model(self.model), Catalog.load(Path(self.catalog) if self.catalog else None)
        )


class ChunkScorer:
    """Classify and tag the services of one chunk of canonical posts."""

    def __init__(self, model: object, catalog: object) -> None:
        self.model = model
        self.catalog = catalog

    def __call__(self, chunk: pd.DataFrame) -> pd.DataFrame:
        """Return the scored chunk with :data:`POST_COLUMNS` (author not yet pseudonymised)."""
        texts = chunk["text"].astype(str).tolist()
        predicted = self.model.predict_posts(texts)  # type: ignore[attr-defined]
        matched = self.catalog.match_many(texts)  # type: ignore[attr-defined]
        given = chunk["service"] if "service" in chunk else pd.Series(pd.NA, index=chunk.index)
        services: list[str | None] = []
        first: list[str | None] = []
        for own, found in zip(given.tolist(), matched, strict=True):
            if isinstance(own, str) and own.strip():
                name = self.catalog.canonical(own)  # type: ignore[attr-defined]
                services.append(name)
                first.append(name.split(SERVICE_SEPARATOR, 1)[0])
            elif found:
                services.append(SERVICE_SEPARATOR.join(found))
                first.append(found[0].split(SERVICE_SEPARATOR, 1)[0])
            else:
                services.append(None)
                first.append(None)
        out = pd.DataFrame(
            {
                "id": chunk["id"].astype("string").to_numpy(),
                "created_at": chunk["created_at"].to_numpy(),
                "text": chunk["text"].astype("string").to_numpy(),
                "is_outage": predicted["is_outage"].astype(bool).to_numpy(),
                "outage_prob": predicted["outage_prob"].astype("float32").to_numpy(),
                "symptom": predicted["symptom"].astype("string").to_numpy(),
                "label": predicted["label"].astype("string").to_numpy(),
                "services": pd.array(services, dtype="string"),
                "author": chunk["author"].astype("string").to_numpy(),
                "is_repost": chunk["is_repost"].astype(bool).to_numpy(),
                "source_file": chunk["source_file"].astype("string").to_numpy(),
                "line": chunk["line"].astype("int64").to_numpy(),
            }
        )
        out["created_at"] = pd.to_datetime(out["created_at"], utc=True)
        out.insert(3, "service", pd.array(first, dtype="string"))
        return out[list(POST_COLUMNS)]


def explode_services(posts: pd.DataFrame) -> pd.DataFrame:
    """One row per (post, named service); posts naming no service keep ``service`` NA.

    >>> df = pd.DataFrame({"services": ["A|B", None], "is_outage": [True, False]})
    >>> explode_services(df)["service"].tolist()
    ['A', 'B', <NA>]
    """
    values = posts["services"].astype("string").to_numpy(dtype=object, na_value=None)
    lists = [
        v.split(SERVICE_SEPARATOR) if v is not None and SERVICE_SEPARATOR in v else v
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
