"""The chunk assembly of ``score`` equals its straightforward form on seeded data.

``ChunkScorer`` builds the columns of a chunk's distinct texts once and takes them back
to one row a post, ``SeriesAccumulator.add_scored`` counts per distinct ``services``
value instead of exploding the posts, and ``Pseudonymiser.series`` hashes the authors it
has not seen in one loop; each is compared here with the row-by-row reference it
replaced.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import random

import numpy as np
import pandas as pd
import pytest

from detector.batch import chunks, outputs
from detector.batch.accumulate import SeriesAccumulator
from detector.batch.chunks import (
    POST_COLUMNS,
    ChunkScorer,
    explode_services,
    join_services,
    repeated_texts,
)
from detector.batch.outputs import Pseudonymiser
from detector.series.volume import ALL_SERVICES
from detector.text.catalog import Catalog


# -- references: the row-by-row forms -------------------------------------------------
def reference_join(names: list[str]) -> str:
    return "|".join(
        n.replace("\\", "\\\\").replace("|", "\\|") if "\\" in n or "|" in n else n for n in names
    )


def reference_score(scorer: ChunkScorer, chunk: pd.DataFrame) -> pd.DataFrame:
    texts = chunk["text"].astype(str).tolist()
    codes, distinct = repeated_texts(texts)
    predicted = scorer.model.predict_posts(distinct)
    matched = scorer.catalog.match_many(distinct)
    if codes is not None:
        predicted = predicted.take(codes).reset_index(drop=True)
        matched = [matched[c] for c in codes]
    services = [reference_join(found) if found else None for found in matched]
    first = [found[0] if found else None for found in matched]
    if "service" in chunk:
        given = chunk["service"].to_numpy(dtype=object, na_value=None)
        for i in np.flatnonzero([isinstance(v, str) and bool(v.strip()) for v in given]):
            name = scorer.catalog.canonical(given[i])
            services[i] = reference_join([name])
            first[i] = name
    columns = {
        "id": chunk["id"].astype("string").array,
        "created_at": pd.to_datetime(chunk["created_at"], utc=True).array,
        "text": chunk["text"].astype("string").array,
        "service": pd.array(first, dtype="string"),
        "is_outage": predicted["is_outage"].to_numpy(dtype=bool),
        "outage_prob": predicted["outage_prob"].to_numpy(dtype="float32"),
        "symptom": predicted["symptom"].astype("string").array,
        "label": predicted["label"].astype("string").array,
        "services": pd.array(services, dtype="string"),
        "author": chunk["author"].astype("string").array,
        "is_repost": chunk["is_repost"].to_numpy(dtype=bool),
        "source_file": chunk["source_file"].astype("string").array,
        "line": chunk["line"].to_numpy(dtype="int64"),
    }
    return pd.DataFrame(columns, columns=list(POST_COLUMNS), copy=False)


def reference_counts(step: str, frames: list[pd.DataFrame]) -> SeriesAccumulator:
    acc = SeriesAccumulator(step)
    for scored in frames:
        acc.add(scored[["created_at", "is_outage"]].assign(service=ALL_SERVICES), overall=False)
        named = explode_services(scored[["services", "created_at", "is_outage"]])
        # a post naming 'all services' counts there once, as every post does
        acc.add(named[named["service"].ne(ALL_SERVICES).fillna(True)], overall=False)
    return acc


class FakeModel:
    """Deterministic per text; labels as objects, probabilities as float64."""

    def predict_posts(self, texts: list) -> pd.DataFrame:
        digest = [hashlib.sha256(str(t).encode()).digest() for t in texts]
        prob = [d[0] / 255 + d[1] / 65025 for d in digest]
        symptom = [("login", "slow", None, "down")[d[2] % 4] for d in digest]
        return pd.DataFrame(
            {
                "label": np.array([("outage", "complaint", "other")[d[3] % 3] for d in digest]),
                "is_outage": [p > 0.5 for p in prob],
                "outage_prob": prob,
                "symptom": pd.Series(symptom, dtype=object),
            }
        )


TEXTS = [
    "is outlook down?",
    "Can't log in to Gmail since 2pm 😡",
    "Teams keeps crashing at work, anyone else?",
    "lovely weather today",
    "WA? IG? both down",
    "Pokémon GO servers down 😭",
    "İnstagram down",
    "Verizon Fios out, Outlook too",
    "",
    "Slack's down 😡 status.slack.com",
]


def _chunk(rng: random.Random, n: int, *, repeats: bool, given: bool) -> pd.DataFrame:
    if repeats:
        texts = [rng.choice(TEXTS) for _ in range(n)]
    else:
        texts = [f"{rng.choice(TEXTS)} #{i}" for i in range(n)]
    frame = pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(n)],
            "created_at": pd.to_datetime(
                [1_740_000_000 + rng.randrange(0, 3 * 3600) for _ in range(n)], unit="s", utc=True
            ),
            "text": texts,
            "author": [rng.choice(["a", "b", None, "c😀"]) for _ in range(n)],
            "is_repost": [rng.random() < 0.1 for _ in range(n)],
            "source_file": ["posts.csv"] * n,
            "line": list(range(2, n + 2)),
        }
    )
    if given:
        values = [None, " outlook ", "Acme | Portal", "  ", "ms teams", "A\\B", "Gmail"]
        frame["service"] = [rng.choice(values) if rng.random() < 0.4 else None for _ in range(n)]
    return frame


@pytest.fixture(scope="module")
def scorer() -> ChunkScorer:
    return ChunkScorer(FakeModel(), Catalog.load())


@pytest.mark.parametrize("repeats", [True, False])
@pytest.mark.parametrize("given", [True, False])
def test_scored_chunk_equals_the_row_by_row_form(
    scorer: ChunkScorer, repeats: bool, given: bool
) -> None:
    rng = random.Random(7)
    chunk = _chunk(rng, 400, repeats=repeats, given=given)
    assert (repeated_texts(chunk["text"].tolist())[0] is not None) == repeats
    pd.testing.assert_frame_equal(scorer(chunk), reference_score(scorer, chunk), check_exact=True)
    # a column of Python objects, or with a missing text, takes the list path
    as_objects = chunk.astype({"text": object})
    pd.testing.assert_frame_equal(
        scorer(as_objects), reference_score(scorer, as_objects), check_exact=True
    )
    with_missing = chunk.copy()
    with_missing.loc[3, "text"] = None
    pd.testing.assert_frame_equal(
        scorer(with_missing), reference_score(scorer, with_missing), check_exact=True
    )


def test_scored_chunk_without_service_column_and_folding_off(
    scorer: ChunkScorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunk = _chunk(random.Random(3), 200, repeats=True, given=False)
    pd.testing.assert_frame_equal(scorer(chunk), reference_score(scorer, chunk), check_exact=True)
    monkeypatch.setattr(chunks, "REPEATS_WORTH_FOLDING", -1.0)
    pd.testing.assert_frame_equal(scorer(chunk), reference_score(scorer, chunk), check_exact=True)


def test_an_empty_chunk(scorer: ChunkScorer) -> None:
    chunk = _chunk(random.Random(2), 10, repeats=True, given=True).iloc[:0]
    pd.testing.assert_frame_equal(scorer(chunk), reference_score(scorer, chunk), check_exact=True)
    fast = SeriesAccumulator("1min")
    fast.add_scored(scorer(chunk))
    pd.testing.assert_frame_equal(
        fast.frame(), reference_counts("1min", [scorer(chunk)]).frame(), check_exact=True
    )


def test_catalog_names_that_need_escaping() -> None:
    catalog = Catalog.from_records(
        [
            {"name": "A|B", "aliases": ["abmail"]},
            {"name": "C\\D", "aliases": ["cdmail"]},
            {"name": "Gmail"},
        ]
    )
    scorer = ChunkScorer(FakeModel(), catalog)
    texts = ["abmail down", "cdmail and gmail", "gmail", "abmail gmail cdmail", "nothing"]
    chunk = _chunk(random.Random(1), 60, repeats=True, given=False)
    chunk["text"] = [texts[i % len(texts)] for i in range(60)]
    got = scorer(chunk)
    pd.testing.assert_frame_equal(got, reference_score(scorer, chunk), check_exact=True)
    assert got["services"].tolist()[:4] == ["A\\|B", "C\\\\D|Gmail", "Gmail", "A\\|B|Gmail|C\\\\D"]


@pytest.mark.parametrize(
    "names",
    [[], [""], ["A"], ["A", "B"], ["A|B"], ["A\\B", "C"], ["A\\|B", "|", "\\"], ["a b", "c"]],
)
def test_join_services_equals_its_reference(names: list[str]) -> None:
    assert join_services(names) == reference_join(names)
    assert chunks.split_services(join_services(names)) == (names or [""])


# -- per-minute counts -----------------------------------------------------------------
SERVICES = [None, "", "A", "B", "A|B", "B|A", "A\\|B|C", "C\\\\", "A|A", ALL_SERVICES, "Z|A"]


def _scored(rng: random.Random, n: int, unit: str = "ns") -> pd.DataFrame:
    times = pd.to_datetime(
        [1_740_000_000_000 + rng.randrange(0, 2 * 3_600_000) for _ in range(n)],
        unit="ms",
        utc=True,
    ).as_unit(unit)
    return pd.DataFrame(
        {
            "created_at": times,
            "is_outage": [rng.random() < 0.3 for _ in range(n)],
            "services": pd.array([rng.choice(SERVICES) for _ in range(n)], dtype="string"),
        }
    )


@pytest.mark.parametrize("step", ["1min", "5min", pd.Timedelta(minutes=1)])
def test_counts_equal_exploded_posts(step: object) -> None:
    rng = random.Random(11)
    frames = [_scored(rng, rng.randrange(1, 300)) for _ in range(40)]  # compacts at 32 parts
    frames.append(_scored(rng, 50, unit="us"))
    fast = SeriesAccumulator(step)
    for frame in frames:
        fast.add_scored(frame)
    slow = reference_counts(step, frames)
    pd.testing.assert_frame_equal(fast.sparse(), slow.sparse(), check_exact=True)
    pd.testing.assert_frame_equal(fast.frame(), slow.frame(), check_exact=True)


@pytest.mark.parametrize(
    "services", [[None, None], ["", None], ["A|B", "A"], [ALL_SERVICES, "A\\|B"]]
)
def test_counts_of_small_chunks(services: list) -> None:
    frame = pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2026-01-01 00:01", "2026-01-01 00:12"], utc=True),
            "is_outage": [True, False],
            "services": pd.array(services, dtype="string"),
        }
    )
    for chunks_in in ([frame], [frame, frame.iloc[:0]], [frame.iloc[:1]]):
        fast = SeriesAccumulator("5min")
        for chunk in chunks_in:
            fast.add_scored(chunk)
        slow = reference_counts("5min", chunks_in)
        pd.testing.assert_frame_equal(fast.sparse(), slow.sparse(), check_exact=True)
        pd.testing.assert_frame_equal(fast.frame(), slow.frame(), check_exact=True)


def test_counts_with_a_missing_time() -> None:
    frame = _scored(random.Random(5), 100)
    frame.loc[[3, 50], "created_at"] = pd.NaT
    fast = SeriesAccumulator("1min")
    fast.add_scored(frame)
    slow = reference_counts("1min", [frame])
    pd.testing.assert_frame_equal(fast.sparse(), slow.sparse(), check_exact=True)


# -- pseudonyms ------------------------------------------------------------------------
def _hmac_name(key: bytes, author: object) -> str:
    return "u_" + hmac.digest(key, str(author).encode(), "sha256").hex()[:16]


def test_pseudonym_series_equals_hmac_of_each_author(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs, "_REMEMBER", 50)  # forget between chunks too
    rng = random.Random(13)
    key = b"seeded key"
    pseudonyms = Pseudonymiser(key)
    pool = [f"user{i}" for i in range(120)] + ["", "é", "😀", "a" * 300]
    for _ in range(6):
        authors = pd.Series(
            [rng.choice(pool) if rng.random() > 0.1 else None for _ in range(500)],
            dtype="string",
            index=rng.sample(range(10_000), 500),
        )
        got = pseudonyms.series(authors)
        assert got.dtype == "string"
        assert got.index.equals(authors.index)
        want = [None if a is pd.NA else _hmac_name(key, a) for a in authors]
        assert [None if v is pd.NA else v for v in got] == want
    mixed = pd.Series([1, 1.0, "1", None, math.nan, "x", 2, "2", 2.5], dtype=object)
    got = Pseudonymiser(key).series(mixed)
    pd.testing.assert_series_equal(got, reference_series(Pseudonymiser(key), mixed))
    assert got.tolist()[:3] == [_hmac_name(key, "1")] * 3  # 1 and 1.0 are one value


def reference_series(pseudonyms: Pseudonymiser, authors: pd.Series) -> pd.Series:
    """The author loop ``Pseudonymiser.series`` had: one ``_name`` per distinct author."""
    codes, uniques = pd.factorize(authors, use_na_sentinel=True)
    names = np.empty(len(uniques) + 1, dtype=object)
    for i, author in enumerate(uniques.tolist()):
        names[i] = pseudonyms.one(str(author))
    return pd.Series(names[codes], index=authors.index, dtype="string")


def test_a_chunk_assembled_from_its_computed_columns_equals_the_scored_chunk() -> None:
    """The local engine's workers hand back only :data:`COMPUTED_COLUMNS`; the parent's
    :func:`assemble` of the chunk it holds and those equals what the worker scored."""
    from detector.batch.chunks import (
        CARRIED_COLUMNS,
        COMPUTED_COLUMNS,
        ScorerSpec,
        assemble,
        carried_columns,
    )
    from detector.batch.engine_local import ChunkJob

    rng = random.Random(22)
    n = 3000
    chunk = pd.DataFrame(
        {
            "id": pd.array([str(i) if i % 7 else None for i in range(n)], dtype="str"),
            "created_at": pd.date_range("2025-03-03", periods=n, freq="7s", tz="UTC"),
            "text": pd.array(
                [
                    rng.choice(["Gmail down", "outlook won't load", "lunch 🍕", "Teams?"])
                    for _ in range(n)
                ],
                dtype="str",
            ),
            "author": pd.array(
                [f"a{rng.randrange(50)}" if i % 5 else None for i in range(n)], dtype="str"
            ),
            "service": pd.array([None] * (n - 1) + ["Zoom"], dtype="str"),
            "is_repost": [i % 11 == 0 for i in range(n)],
            "source_file": pd.array(["x.csv"] * n, dtype="str"),
            "line": np.arange(2, n + 2, dtype="int64"),
        }
    )
    scored, _ = ChunkJob(ScorerSpec().build(), b"k" * 32, "1min")(chunk)
    assert list(scored.columns) == list(POST_COLUMNS)
    assert tuple(carried_columns(chunk)) == CARRIED_COLUMNS
    again = assemble(chunk, scored[list(COMPUTED_COLUMNS)].copy())
    pd.testing.assert_frame_equal(again, scored, check_exact=True)
    assert again["author"].str.startswith("u_").sum() == scored["author"].notna().sum() > 0
