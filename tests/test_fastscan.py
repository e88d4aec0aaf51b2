"""The compiled service scan (:mod:`detector.text.fastscan`) and how ``match_many`` uses it.

``tests/test_catalog_batch_equivalence.py`` runs every batch comparison with both scans;
these tests cover the scan's own edges: resuming when its output is full, the forms it
declines, the switch that turns it off, and a scan that fails.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import detector.text.catalog as catalog_module
from detector.text import fastscan
from detector.text.catalog import Catalog, CompiledScan
from detector.text.fastscan import Trie, scan, supports


def codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def regex_matches(catalog: Catalog, text: str) -> list[tuple[int, int, str]]:
    return [(m.start(1), m.end(1), m.group(1)) for m in catalog._scanner().finditer(text)]


def compiled_matches(catalog: Catalog, text: str) -> list[tuple[int, int, str]]:
    compiled = catalog._compiled()
    assert compiled is not None
    starts, ends, _, _ = scan(codes(text), compiled.trie)
    return [(s, e, text[s:e]) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


@pytest.fixture
def catalog(monkeypatch: pytest.MonkeyPatch) -> Catalog:
    monkeypatch.setenv("OUTAGE_COMPILED", "1")
    return Catalog.load()


def test_the_scan_finds_what_the_regular_expression_finds(catalog: Catalog) -> None:
    text = (
        "\x00gmail down\x00apple\ttv and apple  music, @gmail; office 365\x00"
        "microsoft\n\n teams\x00xgmail gmailx gmail_ gmail. \ud800gmail\x00😡gmail"
    )
    assert compiled_matches(catalog, text) == regex_matches(catalog, text)
    found = [m[2] for m in compiled_matches(catalog, text)]
    assert found[:4] == ["gmail", "apple\ttv", "apple  music", "@gmail"]


def test_where_the_text_differs_from_the_form_the_scan_says_so() -> None:
    trie = Trie.build(["gmail", "apple", "apple tv"])
    starts, ends, forms, exact = scan(codes(" apple tv, apple\ttv, apple  tv, apple music"), trie)
    assert [trie.forms[f] for f in forms] == ["apple tv", "apple tv", "apple tv", "apple"]
    assert exact.tolist() == [True, False, False, True]
    assert (ends - starts).tolist() == [8, 8, 9, 5]


def test_a_full_output_resumes_where_it_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = Catalog.load()
    rng = random.Random(5)
    forms = ["gmail", "outlook", "microsoft teams", "@slackhq", "zoom", "status.slack.com"]
    texts = [
        " ".join(rng.choice([*forms, "down", "again", "😡"]) for _ in range(rng.randint(0, 6)))
        for _ in range(3000)
    ]
    monkeypatch.setenv("OUTAGE_COMPILED", "0")
    expected = catalog.match_many(texts)
    monkeypatch.setenv("OUTAGE_COMPILED", "1")
    monkeypatch.setattr(fastscan, "BATCH_MATCHES", 7)  # hundreds of resumed calls
    assert catalog.match_many(texts) == expected
    assert sum(map(len, expected)) > 3000


def test_forms_it_cannot_scan_keep_the_regular_expression() -> None:
    assert supports(["gmail", "apple tv", "@gmail", "status.slack.com"])
    assert not supports(["apple  tv"])
    assert not supports(["gmail "])
    assert not supports([" gmail"])
    assert CompiledScan.build({"apple  tv": "Apple TV"}, {"apple  tv": "Apple TV"}) is None


def test_outage_compiled_0_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = Catalog.load()
    monkeypatch.setenv("OUTAGE_COMPILED", "0")
    assert catalog._compiled() is None
    monkeypatch.setenv("OUTAGE_COMPILED", "1")
    assert catalog._compiled() is not None


def test_small_batches_keep_the_regular_expression(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = catalog_module._compiled_scan

    def counted(*args: object) -> object:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog_module, "_compiled_scan", counted)
    texts = ["Gmail down"] * (catalog_module.COMPILED_BATCH - 1)
    assert catalog.match_many(texts)[0] == ["Gmail"]
    assert calls == []
    assert catalog.match_many([*texts, "Outlook too"])[-1] == ["Outlook"]
    assert calls == [1]


def test_a_failing_scan_warns_once_and_the_regex_takes_over(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog_module, "_SCAN_BROKEN", [])

    def broken(*args: object) -> object:
        raise ValueError("bad machine code")

    monkeypatch.setattr(fastscan, "scan", broken)
    texts = ["Gmail down", "Outlook and Microsoft Teams down"] * 1500
    with pytest.warns(RuntimeWarning, match="compiled service scan failed.*bad machine code"):
        got = catalog.match_many(texts)
    assert got[:2] == [["Gmail"], ["Outlook", "Microsoft Teams"]]
    assert catalog._compiled() is None  # not tried again in this process
    assert catalog.match_many(texts) == got


def test_compile_for_batches_builds_the_scan_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OUTAGE_COMPILED", "1")
    catalog = Catalog.from_records([{"name": "Gmail"}])
    assert catalog.compile()._trie is None
    assert catalog.compile(batches=True)._trie is not None
