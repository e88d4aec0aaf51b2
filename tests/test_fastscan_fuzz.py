"""Property-based: ``match_many`` with the compiled scan equals it with the regex.

Random small catalogs (names, aliases, handles, hashtags, case-sensitive aliases,
negative-context phrases and common-word aliases drawn from alphabets with the edges of
matching: non-ASCII and non-BMP letters, digits, ``.``, ``@``, ``#``, ``-``, apostrophes,
NBSP and ideographic spaces, characters whose lower case differs in length) and random
batches of posts built from their forms (random case, every kind of ASCII whitespace and
runs of it, punctuation, non-ASCII, ``NUL``, lone surrogates, non-strings). For each,
:meth:`Catalog.match_many` with the compiled scan (:mod:`detector.text.fastscan`, forced
on for every batch size, with every layout of its trie) must equal it with the regular
expression (``OUTAGE_COMPILED=0``) and ``[match(t) for t in texts]``; the scan itself
must find what the regex's ``finditer`` finds on the batch's joined string: where each
match starts and ends, its form, and whether the text is the form itself.
``FASTSCAN_FUZZ_EXAMPLES=5000`` tries more catalogs and posts than CI's 300.

Also: forms the scan must decline, the size of its trie, and numba unable to cache.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import detector.text.catalog as catalog_module
from detector.errors import DataError
from detector.text import fastscan
from detector.text.catalog import Catalog, _batchable
from detector.text.fastscan import Trie, scan, supports

#: Characters a form is made of: ASCII letters and digits, the punctuation forms carry,
#: letters whose lower case differs ("İ" grows, the Kelvin sign becomes ASCII "k", final
#: sigma), non-BMP letters (one of which has a non-BMP lower case), a combining accent,
#: and the spaces a form may hold (NBSP and the ideographic space become plain spaces).
FORM_CHARS = (
    "abcxyzABCXYZ0129_"
    ".@#-'’/:+&!"
    "éÉßİıΣσςΩω\u212aЖжが"
    "\U0001d400\U00010400\U0001f600\u0301"
    " \u00a0\u3000"
)
#: What a form starts with: what the catalog accepts, and now and then what it rejects.
VALID_STARTS = "abcxyzABCXYZ019_@#éİΣ\u212a\U00010400が\u00a0"
FORM_STARTS = VALID_STARTS + ".-'/ "

#: Separators and noise between forms in a post: every ASCII whitespace and runs of it,
#: Unicode spaces ``\s`` does not match in ASCII mode, punctuation, word characters that
#: break a word boundary, non-ASCII, NUL and lone surrogates.
NOISE = [
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\x0b",
    "\x0c",
    " \t\n\r\x0b\x0c ",
    "\x1c",
    "\x1f",
    "\x85",
    "\u00a0",
    "\u2028",
    "\u3000",
    "",
    ".",
    ",",
    "/",
    "@",
    "#",
    "-",
    "'",
    "'s",
    "_",
    "x",
    "9",
    "é",
    "İ",
    "ς",
    "Σ",
    "\u212a",
    "😡",
    "\U00010400",
    "\u0301",
    "\x00",
    "\ud800",
    "\udfff",
    "down",
    "email",
    "app",
    "in",
    "crypto",
    "status",
    "/p/1",
]
#: Categories, with the ones that have rules of their own (shared links, context words,
#: families of categories).
CATEGORIES = ["other", "social", "streaming", "email", "chat", "work", "telco", "bank"]
#: Case-sensitive aliases: capitalised ordinary words ("Sky": a common word unless a
#: service word is near) and forms of several words.
CAPITALISED = ["Sky", "Chase", "Mail", "Teams", "Exchange", "City Power", "EE Mobile", "A b.c"]
#: Suffixes of aliases made from a service's name: forms sharing a prefix branch in the
#: trie after it.
DERIVED = ["1", "2", " tv", " 2", ".com", "_x", "-x", "é", "\U0001f600", "'s", "@x", "x"]
#: Whitespace a space inside a form may be written with in a post.
SPACES = [" ", "  ", "\t", "\n", " \r\n ", "\x0b", "\x0c", "\u00a0", "\u3000", "\x1c"]
SPACES += [" \x1c", "\t\x1f ", " \x85", "\n\u00a0", "\u00a0 ", " \u3000", " \x00", "  ", " \t"]


def _norm(text: str) -> str:
    return " ".join(text.split())  # as the catalog reads a form


@st.composite
def _form(draw: st.DrawFn) -> str:
    """A form, mostly one the catalog accepts (now and then one it rejects)."""
    starts = FORM_STARTS if draw(st.integers(0, 19)) == 0 else VALID_STARTS
    text = draw(st.sampled_from(starts)) + draw(st.text(alphabet=FORM_CHARS, max_size=6))
    if draw(st.integers(0, 3)) == 0:  # two words
        text += " " + draw(st.sampled_from(VALID_STARTS)) + draw(st.text(FORM_CHARS, max_size=3))
    return _norm(text) or "x"


@st.composite
def records(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Records of 1-4 services, forms of one service mostly not claimed by another
    (some records are still invalid: the test skips those)."""
    count = draw(st.integers(1, 4))
    out: list[dict[str, Any]] = []
    claimed: set[str] = set()  # lower-cased case-insensitive forms of earlier services

    def free(forms: list[str], taken: set[str]) -> list[str]:
        return [f for f in dict.fromkeys(forms) if f.lower() not in taken]

    for i in range(count):
        name = draw(_form())
        record: dict[str, Any] = {"name": name, "category": draw(st.sampled_from(CATEGORIES))}
        for field in ("aliases", "handles", "hashtags"):
            record[field] = free(draw(st.lists(_form(), max_size=2)), claimed)
        if draw(st.booleans()):
            record["aliases"].append("exchange")  # the common-word alias
        if draw(st.integers(0, 3)) == 0:
            record["aliases"].append(draw(_form()) + "." + draw(st.sampled_from(["com", "tv"])))
        for suffix in draw(st.lists(st.sampled_from(DERIVED), max_size=3)):
            record["aliases"].append(name + suffix)  # forms that share a prefix
        record["aliases"] = free(record["aliases"], claimed)
        sensitive = draw(st.lists(_form(), max_size=2))
        if draw(st.booleans()):  # a capitalised ordinary word ("Sky")
            sensitive.append(draw(st.sampled_from(CAPITALISED)))
        if draw(st.integers(0, 3)) == 0:
            sensitive.append(name)  # the name itself exact
        insensitive = [
            f for f in (name, *record["aliases"], *record["handles"]) if f not in sensitive
        ]
        insensitive += record["hashtags"]
        own = {f.lower() for f in insensitive}
        record["case_sensitive_aliases"] = free(sensitive, claimed | own)
        claimed |= own
        forms = [*insensitive, *record["case_sensitive_aliases"]]
        negative = []
        for _ in range(draw(st.integers(0, 2)) if forms else 0):
            word = draw(st.sampled_from(["in", "stock", "the", "x", "on"]))
            form = draw(st.sampled_from(forms))
            negative.append(f"{word} {form}" if draw(st.booleans()) else f"{form} {word}")
        record["negative_context"] = negative
        if i and draw(st.booleans()):
            record["provider"] = out[draw(st.integers(0, i - 1))]["name"]
        out.append(record)
    return out


def _cased(draw: st.DrawFn, text: str) -> str:
    how = draw(st.sampled_from(["same", "same", "lower", "upper", "title", "swap", "mixed"]))
    if how == "lower":
        return text.lower()
    if how == "upper":
        return text.upper()
    if how == "title":
        return text.title()
    if how == "swap":
        return text.swapcase()
    if how == "mixed":
        flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
        return "".join(c.upper() if f else c.lower() for c, f in zip(text, flips, strict=True))
    return text


@st.composite
def posts(draw: st.DrawFn, forms: list[str]) -> Any:
    """A post: forms of the catalog (in any case, their spaces written as any
    whitespace) and noise; now and then a non-string."""
    if draw(st.integers(0, 30)) == 0:
        return draw(st.sampled_from([None, float("nan"), 3]))
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        if forms and draw(st.booleans()):
            form = _cased(draw, draw(st.sampled_from(forms)))
            if " " in form and draw(st.booleans()):
                form = form.replace(" ", draw(st.sampled_from(SPACES)))
            parts.append(form)
        elif draw(st.integers(0, 4)) == 0:
            parts.append(draw(st.text(max_size=4)))  # anything, lone surrogates included
        else:
            parts.append(draw(st.sampled_from(NOISE)))
    return "".join(parts)


def _all_forms(records: list[dict[str, Any]]) -> list[str]:
    fields = ("aliases", "handles", "hashtags", "case_sensitive_aliases", "negative_context")
    return [r["name"] for r in records] + [f for r in records for k in fields for f in r[k]]


#: How the scan's trie and output are laid out: (DENSE_DEPTH, DENSE_CHILDREN,
#: BATCH_MATCHES); the first is the shipped one, the others take the other paths of the
#: scan (no node but the root with a row of ASCII children, every node with one, output
#: full after every match or two).
LAYOUTS = [
    (fastscan.DENSE_DEPTH, fastscan.DENSE_CHILDREN, fastscan.BATCH_MATCHES),
    (0, 1_000, 1 << 16),
    (1_000, 1, 1 << 16),
    (1, 2, 1),
    (3, 4, 2),
]

Case = tuple[list[dict[str, Any]], list[Any], tuple[int, int, int]]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    rows = draw(records())
    texts = draw(st.lists(posts(_all_forms(rows)), max_size=8))
    return rows, texts, draw(st.sampled_from(LAYOUTS))


def _catalog(rows: list[dict[str, Any]]) -> Catalog:
    try:
        return Catalog.from_records(rows)
    except DataError:
        assume(False)
        raise  # pragma: no cover - assume(False) raises


#: A run of ASCII whitespace: what a space of a form matches.
_SPACES = re.compile(r"\s+", re.ASCII)


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def check(
    rows: list[dict[str, Any]], texts: list[Any], layout: tuple[int, int, int] = LAYOUTS[0]
) -> None:
    """The compiled scan, the regex and ``match`` agree on *texts* with *rows*' catalog."""
    with pytest.MonkeyPatch.context() as mp:
        catalog = _catalog(rows)
        names = ("DENSE_DEPTH", "DENSE_CHILDREN", "BATCH_MATCHES")
        for name, value in zip(names, layout, strict=True):
            mp.setattr(fastscan, name, value)
        mp.setattr(catalog_module, "_SCAN_BROKEN", [])
        mp.setattr(catalog_module, "COMPILED_BATCH", 0)
        mp.setenv("OUTAGE_COMPILED", "0")
        regex = catalog.match_many(texts)
        mp.setenv("OUTAGE_COMPILED", "1")
        compiled = catalog._compiled()
        assert compiled is not None  # the catalog's forms are always ones it can scan
        got = catalog.match_many(texts)
        assert not catalog_module._SCAN_BROKEN
        assert got == regex
        assert got == [catalog.match(t) for t in texts]
        # the scans themselves, on the string match_many scans
        lowered = _batchable(texts)[2]
        starts, ends, forms, exact = scan(_codes(lowered), compiled.trie)
        found = [
            (s, e, compiled.trie.forms[f], x)
            for s, e, f, x in zip(
                starts.tolist(), ends.tolist(), forms, exact.tolist(), strict=True
            )
        ]
        want = [
            (m.start(1), m.end(1), _SPACES.sub(" ", m.group(1)), m.group(1) in catalog._table)
            for m in catalog._scanner().finditer(lowered)
        ]
        assert found == want  # where, which form, and whether the text is the form itself


@settings(
    max_examples=int(os.environ.get("FASTSCAN_FUZZ_EXAMPLES", "300")),
    deadline=None,
    derandomize=True,  # the same examples in every run (CI), none saved between runs
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(cases())
@example(([{"name": "Apple TV", "aliases": ["apple"]}], ["apple\t tv", "Apple  TV"], LAYOUTS[1]))
@example(([{"name": "g@il", "handles": ["@g"]}], ["@g@il", "x@g", "@G.", "\x00@g\x00"], LAYOUTS[2]))
@example(
    ([{"name": "Café", "aliases": ["ıx", "İx"]}], ["İX café", "CAFÉ\u0301", "i\u0307x"], LAYOUTS[0])
)
@example(
    (
        [{"name": "a b", "negative_context": ["in a b"]}],
        ["in a\tb", "in\na b", "a\x1cb"],
        LAYOUTS[3],
    )
)
def test_compiled_scan_equals_the_regex(case: Case) -> None:
    check(*case)


def test_forms_with_other_ascii_whitespace_keep_the_regex() -> None:
    """A tab in a form would be matched as itself by the regex but read as a run of
    whitespace by the scan (a catalog rejects such forms; :func:`supports` too)."""
    assert supports(["a b", "x"])
    for form in ["a\tb", "a\nb", "a \rb", "a\x0bb", "a\x0cb", "", " a", "a ", "a  b"]:
        assert not supports(["x", form]), repr(form)


def test_the_trie_keeps_rows_of_ascii_children_for_few_nodes() -> None:
    """A row of 128 children for every node took 9 MB for the shipped catalog."""
    forms = list(Catalog.load()._table)
    trie = Trie.build(forms)
    assert len(trie.form) > 10_000
    assert trie.dense < len(trie.form) // 10
    assert trie.ascii.nbytes < 2_000_000


def test_numba_unable_to_cache_keeps_the_regex() -> None:
    """Where numba cannot cache (a read-only install, no writable home) the scan would
    compile in every process: it stays off, also when :func:`detector.text.compiled.
    available` was asked before any compiled function was defined (it said yes then)."""
    from numba.core import caching

    if not hasattr(caching.CacheImpl, "_locator_classes"):  # pragma: no cover - numba's
        pytest.skip("this numba has no CacheImpl._locator_classes to take away")
    code = (
        "from numba.core import caching\n"
        "caching.CacheImpl._locator_classes = []\n"
        "from detector.text import compiled\n"
        "import detector.text.catalog as catalog\n"
        "compiled.available()\n"  # asked first, as the normaliser does
        "print(catalog.compiled_scan_enabled())\n"
        "texts = ['Gmail down'] * 2000\n"
        "print(catalog.Catalog.load().match_many(texts)[0], catalog.Catalog.load()._trie)\n"
    )
    env = {**os.environ, "OUTAGE_COMPILED": "1"}
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert run.stdout.splitlines() == ["False", "['Gmail'] None"]
