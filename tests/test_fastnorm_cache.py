"""The compiled normaliser works where numba cannot cache its machine code.

:mod:`detector.text.fastnorm` caches its compiled functions beside its source, else in
numba's user cache (``NUMBA_CACHE_DIR``, ``~/.cache``). An installation in a read-only
place (a system site-packages, a container image) run by a user without a writable home
has neither: numba then refuses ``cache=True`` at import, and every batch of 2,000 posts
or more (scoring, training) failed with ``RuntimeError: cannot cache function ...: no
locator available``. It must still give the same text; since compiling in every process
of every run (about 10 s) costs more than the compiled path saves, it keeps to the
regular expressions there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

CODE = """
import pyarrow as pa
import detector
from detector.text import fastnorm
from detector.text.normalize import _compiled_available, normalize_array
print(detector.__file__)
print(normalize_array(pa.array(["Can't log in to @Outlook!!"] * 2500))[0])
print(fastnorm.CACHED, _compiled_available())
"""


def test_an_install_numba_cannot_write_to_still_normalises(tmp_path: Path, repo_root: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(
        repo_root / "detector", site / "detector", ignore=shutil.ignore_patterns("__pycache__")
    )
    # a file where numba's cache folders would go: no folder can be made there (not even
    # by root, for whom a read-only permission is no obstacle)
    (site / "detector" / "text" / "__pycache__").write_text("")
    blocked = tmp_path / "blocked"
    blocked.write_text("")
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "PYTHONDONTWRITEBYTECODE": "1",
        "NUMBA_CACHE_DIR": str(blocked / "numba"),
        "HOME": str(blocked),
        "XDG_CACHE_HOME": str(blocked / "cache"),
        "OUTAGE_COMPILED": "1",
    }
    run = subprocess.run(
        [sys.executable, "-c", CODE],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    where, text, state = run.stdout.strip().splitlines()
    assert where.startswith(str(site))  # the copy ran, not the repository
    assert text == "cant neg_login to _user_ _excl_"
    assert state == "False False"  # nothing cached: the regular expressions, no compiling
    assert not any(site.rglob("*.nbi"))


def test_a_failing_compiled_path_falls_back_to_the_regular_expressions(monkeypatch) -> None:
    import pyarrow as pa

    from detector.text import normalize as norm

    def broken(texts):
        raise EOFError("Ran out of input")  # what a truncated cache file gives

    if not norm._compiled_enabled():
        pytest.skip("the compiled path is off here (OUTAGE_COMPILED=0 or no cache)")
    monkeypatch.setattr(norm, "_compiled_then_regex", broken)
    monkeypatch.setattr(norm, "_BROKEN", [])
    posts = pa.array(["Can't log in to @Outlook!!"] * 2500)
    with pytest.warns(RuntimeWarning, match="compiled text normaliser failed.*EOFError"):
        out = norm.normalize_array(posts)
    assert out[0].as_py() == "cant neg_login to _user_ _excl_"
    assert not norm._compiled_enabled()  # not tried again in this process
