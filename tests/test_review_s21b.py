"""Review of session 21's fixes (reviewer s21b): each test fails on the code before its fix.

1. 3096e7c made ``score`` warn when its model detects another class than outage
   (``train --positive complaint``: is_outage and the incidents then mean complaints), but
   ``serve --model`` with the same model started without a word: the API's ``is_outage``,
   its incidents and the status page then mean complaints too. serve now gives the same
   warning (one wording, :func:`detector.text.registry.positive_class_warning`) on stderr
   after its banner.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from support import free_port

from detector.api.settings import Settings
from detector.cli.serve import _open_state
from detector.paths import project_path

REPO = Path(__file__).resolve().parents[1]


def _complaint_model(tmp_path: Path) -> Path:
    """The shipped model's folder with a card saying it detects 'complaint' (its file and
    sha256 unchanged, so it loads as a model trained with ``--positive complaint`` does)."""
    target = tmp_path / "complaints"
    shutil.copytree(project_path("models", "outage-v2"), target)
    card_path = target / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["task"]["positive"] = "complaint"
    card_path.write_text(json.dumps(card), encoding="utf-8")
    return target


def test_serve_warns_when_its_model_detects_another_class_than_outage(tmp_path: Path) -> None:
    model = _complaint_model(tmp_path)
    port = free_port()
    cmd = [sys.executable, "-m", "detector", "serve", "--port", str(port),
           "--db", str(tmp_path / "state.db"), "--model", str(model)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGE_")}
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        lines: list[str] = []

        def read() -> None:  # the banner and the line after it (no wait without end)
            assert proc.stderr is not None
            lines.extend(proc.stderr.readline() for _ in range(2))

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout=120)
        banner, warning = [*lines, "", ""][:2]
        assert banner.startswith("outage-detector API on http://127.0.0.1:"), banner
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert warning.startswith("warning: the model 'complaints' detects posts of class "), warning
    assert "'complaint', not 'outage'" in warning
    assert "serve with an outage model (--model)" in warning


def test_serve_opens_an_outage_model_without_a_warning(tmp_path: Path) -> None:
    assert _open_state(Settings(db=str(tmp_path / "state.db"))) is None
    complaint = Settings(db=str(tmp_path / "state.db"), model=str(_complaint_model(tmp_path)))
    assert "detects posts of class 'complaint'" in (_open_state(complaint) or "")
