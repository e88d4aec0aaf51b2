"""The compiled HMAC-SHA256 (:mod:`detector.batch.fasthmac`) gives exactly the pseudonyms of
:func:`hmac.new`, and :class:`~detector.batch.outputs.Pseudonymiser` the same results
with it as without it (``OUTAGE_COMPILED=0``, numba unable to cache, a failure)."""

from __future__ import annotations

import hmac
import os
import random
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from detector.batch import fasthmac, outputs
from detector.batch.outputs import Pseudonymiser

KEYS = [b"", b"k", bytes(range(32)), bytes(range(64)), bytes(range(65)), bytes(range(200))]

#: Alphabets of 1, 2, 3 and 4 UTF-8 bytes a character, and all of them.
ALPHABETS = {
    "ascii": "abcXYZ019 _-.@\t\x00\x7f",
    "latin": "éßñüÆ\x80\xff",
    "cjk": "漢字かなカナ한글\u20ac\ufffd",
    "emoji": "🙂😀🚀\U0001f9d1\U0010ffff",
}
ALPHABETS["mixed"] = "".join(ALPHABETS.values())


def reference(key: bytes, text: str) -> str:
    return "u_" + hmac.new(key, text.encode("utf-8"), "sha256").hexdigest()[:16]


def seeded_strings(seed: int) -> list[str]:
    """Random strings of 0..300 characters from each alphabet, and every ASCII length
    0..300 (each way a message's bytes and SHA-256's padding fall over its blocks)."""
    rng = random.Random(seed)
    texts = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 300)))
        for alphabet in ALPHABETS.values()
        for _ in range(60)
    ]
    texts += ["a" * n for n in range(301)]
    rng.shuffle(texts)
    return texts


@pytest.mark.parametrize("key", KEYS, ids=[f"key{len(k)}" for k in KEYS])
def test_names_equal_hmac_on_seeded_strings(key: bytes) -> None:
    texts = seeded_strings(len(key))
    want = [reference(key, t) for t in texts]
    states = fasthmac.hmac_states(key)
    assert fasthmac.names(texts, states) == want
    array = pa.array(texts, pa.large_string())
    for start, stop in [(0, len(texts)), (7, 8), (5, 400), (len(texts), len(texts))]:
        sliced = array.slice(start, stop - start)  # an array that starts at an offset too
        assert fasthmac.name_array(sliced, states).to_pylist() == want[start:stop]


def test_long_messages_and_every_block_count_in_one_batch() -> None:
    """Messages of up to 40 blocks, in one batch with short ones: the lanes run by groups
    of equal block counts, and each name lands at its message's place."""
    rng = random.Random(5)
    texts = ["x" * rng.choice([0, 55, 56, 119, 120, rng.randint(0, 2600)]) for _ in range(500)]
    texts += ["ü" * 1000, "🙂" * 700]
    key = b"long messages"
    got = fasthmac.name_array(pa.array(texts, pa.large_string()), fasthmac.hmac_states(key))
    assert got.type == pa.large_string()
    assert got.to_pylist() == [reference(key, t) for t in texts]


def test_pseudonyms_buffer_holds_18_ascii_bytes_a_name() -> None:
    data = np.frombuffer(b"alicebob", dtype=np.uint8)
    out = fasthmac.pseudonyms(data, np.array([0, 5, 5, 8]), fasthmac.hmac_states(b"k"))
    assert out.dtype == np.uint8 and len(out) == 3 * fasthmac.NAME_BYTES
    assert bytes(out).decode("ascii") == "".join(reference(b"k", t) for t in ["alice", "", "bob"])


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,  # the same examples in every run (CI), none saved between runs
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.text(), max_size=80), st.binary(max_size=200))
@example(["", "a" * 55, "a" * 56, "é" * 28], b"\x00" * 64)
def test_names_equal_hmac_on_any_text_and_key(texts: list[str], key: bytes) -> None:
    assert fasthmac.names(texts, fasthmac.hmac_states(key)) == [reference(key, t) for t in texts]


# -- Pseudonymiser ---------------------------------------------------------------------
def authors_column(dtype: object, seed: int = 3) -> pd.Series:
    """Author ids of a chunk: many distinct, repeats, missing ones, any characters."""
    rng = random.Random(seed)
    pool = [f"{rng.getrandbits(60)}" for _ in range(300)] + seeded_strings(seed)[:200]
    values = [rng.choice(pool) if rng.random() > 0.1 else None for _ in range(2000)]
    return pd.Series(values, dtype=dtype, index=rng.sample(range(100_000), len(values)))


def fallback(pseudonyms: Pseudonymiser, authors: pd.Series) -> pd.Series:
    """``series`` with the compiled path off: the loop over :mod:`hashlib`."""
    before = os.environ.get("OUTAGE_COMPILED")
    os.environ["OUTAGE_COMPILED"] = "0"
    try:
        return pseudonyms.series(authors)
    finally:
        if before is None:
            del os.environ["OUTAGE_COMPILED"]
        else:
            os.environ["OUTAGE_COMPILED"] = before


def assert_identical(got: pd.Series, want: pd.Series) -> None:
    pd.testing.assert_series_equal(got, want, check_exact=True)
    assert got.dtype == want.dtype and type(got.array) is type(want.array)
    if hasattr(want.array, "_pa_array"):  # the same pyarrow type (large_string) and chunks
        assert got.array._pa_array.type == want.array._pa_array.type
        assert got.array._pa_array.num_chunks == want.array._pa_array.num_chunks


@pytest.fixture()
def compiled_on(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The compiled path on, and a count of the names it computes."""
    monkeypatch.setenv("OUTAGE_COMPILED", "1")
    monkeypatch.setattr(outputs, "_HMAC_BROKEN", [])
    if not outputs.compiled_hmac_enabled():  # pragma: no cover - numba cannot cache here
        pytest.skip("the compiled HMAC is off here (numba cannot cache its machine code)")
    counted: list[int] = []
    name_array = fasthmac.name_array

    def counting(texts: pa.Array, states: tuple[np.ndarray, np.ndarray]) -> pa.Array:
        counted.append(len(texts))
        return name_array(texts, states)

    monkeypatch.setattr(fasthmac, "name_array", counting)
    return counted


@pytest.mark.parametrize("dtype", ["string[pyarrow]", "str", "string[python]", object])
def test_series_is_the_same_with_and_without_the_compiled_path(
    dtype: object, compiled_on: list[int]
) -> None:
    key = b"series key"
    authors = authors_column(dtype)
    want = [None if pd.isna(a) else reference(key, a) for a in authors]
    pseudonyms = Pseudonymiser(key)
    for _ in range(2):  # computed, then (object column: remembered) again
        got = pseudonyms.series(authors)
        assert [None if v is pd.NA else v for v in got] == want
        assert_identical(got, fallback(Pseudonymiser(key), authors))
    assert compiled_on  # the compiled path ran


def test_series_under_python_string_storage(compiled_on: list[int]) -> None:
    authors = authors_column("str")
    with pd.option_context("mode.string_storage", "python"):
        got = Pseudonymiser(b"k").series(authors)
        want = fallback(Pseudonymiser(b"k"), authors)
    assert type(got.array).__name__ == "StringArray"
    assert_identical(got, want)
    assert compiled_on


def test_small_batches_keep_to_the_loop(compiled_on: list[int]) -> None:
    few = [str(i) for i in range(outputs.COMPILED_NAMES - 1)]
    assert Pseudonymiser(b"k")._names(few) == [reference(b"k", a) for a in few]
    assert not compiled_on
    more = [*few, "one more"]
    assert Pseudonymiser(b"k")._names(more) == [reference(b"k", a) for a in more]
    assert compiled_on == [len(more)]


def test_names_of_a_list_are_the_same_with_and_without_the_compiled_path(
    compiled_on: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = seeded_strings(11)
    got = Pseudonymiser(b"k")._names(texts)
    monkeypatch.setenv("OUTAGE_COMPILED", "0")
    assert got == Pseudonymiser(b"k")._names(texts) == [reference(b"k", t) for t in texts]
    assert compiled_on == [len(texts)]


def test_a_lone_surrogate_raises_as_before(
    compiled_on: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone surrogate cannot be UTF-8: the loop raises, as it always did, and the
    compiled path is not taken for broken."""
    authors = pd.Series([f"user{i}" for i in range(100)] + ["bad\ud800"], dtype=object)
    for on in ("1", "0"):
        monkeypatch.setenv("OUTAGE_COMPILED", on)
        with pytest.raises(UnicodeEncodeError):
            Pseudonymiser(b"k").series(authors)
    assert not outputs._HMAC_BROKEN


def test_a_failing_compiled_hmac_warns_once_and_hashlib_takes_over(
    compiled_on: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    authors = authors_column("str")
    want = fallback(Pseudonymiser(b"k"), authors)

    def broken(texts: pa.Array, states: tuple[np.ndarray, np.ndarray]) -> pa.Array:
        raise ValueError("bad machine code")

    monkeypatch.setattr(fasthmac, "name_array", broken)
    with pytest.warns(RuntimeWarning, match="compiled HMAC failed.*bad machine code"):
        got = Pseudonymiser(b"k").series(authors)
    assert_identical(got, want)
    assert outputs._HMAC_BROKEN  # not tried again in this process
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_identical(Pseudonymiser(b"k").series(authors), want)


def test_numba_unable_to_cache_keeps_to_hashlib() -> None:
    """Where numba cannot cache, the HMAC would compile in every process: it stays off,
    with the same pseudonyms."""
    from numba.core import caching

    if not hasattr(caching.CacheImpl, "_locator_classes"):  # pragma: no cover - numba's
        pytest.skip("this numba has no CacheImpl._locator_classes to take away")
    code = (
        "from numba.core import caching\n"
        "caching.CacheImpl._locator_classes = []\n"
        "import pandas as pd\n"
        "from detector.batch import outputs\n"
        "print(outputs.compiled_hmac_enabled())\n"
        "authors = pd.Series([str(i) for i in range(100)], dtype='str')\n"
        "print(outputs.Pseudonymiser(b'k').series(authors).iloc[0])\n"
    )
    env = {**os.environ, "OUTAGE_COMPILED": "1"}
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert run.stdout.splitlines() == ["False", reference(b"k", "0")]
