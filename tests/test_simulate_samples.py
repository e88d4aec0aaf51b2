"""The shipped sample exports: regenerate to the same bytes, the right truth, no real posts."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

from detector.cli.main import main

SAMPLES = ("exchange-outage", "quiet-day")


def _documented_commands(repo_root: Path) -> dict[str, list[str]]:
    """The regeneration commands as written in data/samples/README.md."""
    readme = (repo_root / "data" / "samples" / "README.md").read_text()
    commands = {}
    for line in readme.splitlines():
        if line.startswith("outage-detector simulate "):
            args = shlex.split(line)[1:]
            commands[Path(args[args.index("--out") + 1]).name.split(".")[0]] = args
    return commands


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_equals_a_fresh_regeneration(
    name: str, repo_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _documented_commands(repo_root)[name]
    out = args.index("--out") + 1
    args[out] = str(tmp_path / Path(args[out]).name)
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 0, capsys.readouterr().err
    samples = repo_root / "data" / "samples"
    for file in (f"{name}.csv", f"{name}.truth.json"):
        fresh = (tmp_path / file).read_bytes()
        assert (samples / file).read_bytes() == fresh, (
            f"data/samples/{file} differs from a fresh run of the command in "
            "data/samples/README.md; regenerate it"
        )


def test_sample_sizes(repo_root: Path) -> None:
    for name in SAMPLES:
        path = repo_root / "data" / "samples" / f"{name}.csv"
        assert path.stat().st_size < 4_000_000
        rows = len(pd.read_csv(path, dtype=str, keep_default_na=False))
        assert 10_000 <= rows <= 25_000


def test_sample_truth_files(repo_root: Path) -> None:
    samples = repo_root / "data" / "samples"
    quiet = json.loads((samples / "quiet-day.truth.json").read_text())
    assert quiet["outages"] == []
    exchange = json.loads((samples / "exchange-outage.truth.json").read_text())
    (outage,) = exchange["outages"]
    assert outage["service"] == "Exchange Online"
    assert outage["onset"] == "2025-03-12T14:05:00Z"
    assert outage["vendor_ack"] == "2025-03-12T15:07:00Z"
    assert outage["resolved"] == "2025-03-13T03:30:00Z"


def test_sample_outage_window_is_busier_than_the_quiet_day(repo_root: Path) -> None:
    samples = repo_root / "data" / "samples"
    mail = re.compile(r"(?i)\b(?:exchange|outlook|o365|m365|office 365)\b|\bemails?\b|mailbox")
    counts = {}
    for name in SAMPLES:
        frame = pd.read_csv(samples / f"{name}.csv", dtype=str, keep_default_na=False)
        clock = frame["created_at"].str.slice(11, 16)
        afternoon = frame[(clock >= "14:05") & (clock < "18:00")]
        counts[name] = int(afternoon["text"].str.contains(mail).sum())
    assert counts["exchange-outage"] > 3 * counts["quiet-day"]


@pytest.mark.shared_data
def test_no_sample_text_is_a_real_shared_post(shared_data: Path, repo_root: Path) -> None:
    real = pd.read_csv(shared_data / "posts" / "labeled_posts.csv", dtype=str)
    real_texts = set(real["text"].dropna())
    real_stripped = {t.strip().lower() for t in real_texts}
    assert len(real_texts) > 1000
    for name in SAMPLES:
        frame = pd.read_csv(
            repo_root / "data" / "samples" / f"{name}.csv", dtype=str, keep_default_na=False
        )
        assert not set(frame["text"]) & real_texts
        assert not {t.strip().lower() for t in frame["text"]} & real_stripped
