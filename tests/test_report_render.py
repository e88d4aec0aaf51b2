"""report.html renders in a real browser: headless Chromium screenshot and parsed DOM.

Skipped with a reason when Chromium is absent (Debian package ``chromium``).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support import chromium, needs_chromium

from detector.batch.report import write_report


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Width, height and the raw (filtered) scanlines of an 8-bit RGB/RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(idat)


pytestmark = needs_chromium

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    rng = np.random.default_rng(7)
    t = pd.date_range("2026-11-18", periods=576, freq="5min", tz="UTC")
    lam = np.where((t >= "2026-11-18 14:05Z") & (t < "2026-11-19 02:30Z"), 27.0, 2.0)
    y = rng.poisson(lam)
    series = pd.DataFrame(
        {
            "service": "Exchange Online",
            "bucket_start": t,
            "outage_posts": y,
            "all_posts": y + 20,
            "baseline": 2.0,
        }
    )
    incident = {
        "service": "Exchange Online",
        "status": "resolved",
        "severity": "major",
        "started_at": "2026-11-18T14:05:00Z",
        "detected_at": "2026-11-18T14:15:00Z",
        "resolved_at": "2026-11-19T02:30:00Z",
        "peak_at": "2026-11-18T14:40:00Z",
        "peak_posts": 41,
        "baseline_posts": 2.1,
        "score": 18.2,
        "symptoms": {"access": 0.6, "messaging": 0.4},
        "top_terms": ["email", "outbox"],
        "sample_posts": [f"stuck in the outbox {EVIL}"],
        "related": [],
    }
    summary = {
        "rows_read": 10,
        "rows_scored": 8,
        "rows_quarantined": 1,
        "rows_duplicate": 1,
        "incidents": 1,
        "seconds": 0.5,
    }
    path = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(path, series=series, incidents=[incident], summary=summary)


def test_screenshot_is_not_blank(tmp_path, report_file):
    shot = tmp_path / "shot.png"
    run = chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", report_file.as_uri()
    )
    assert shot.is_file(), f"no screenshot; chromium said: {run.stderr[-2000:]}"
    width, height, raw = png_pixels(shot)
    assert (width, height) == (1280, 2000)
    # a blank page compresses to almost nothing and holds one or two byte values
    assert shot.stat().st_size > 30_000
    assert len(set(raw[: 1280 * 4 * 900])) > 50


def test_dom_keeps_chart_table_and_escaped_text(tmp_path, report_file):
    run = chromium(tmp_path, "--dump-dom", report_file.as_uri())
    dom = run.stdout
    assert "<svg" in dom and "</svg>" in dom, run.stderr[-2000:]
    assert '<table class="incidents">' in dom
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert EVIL not in dom
    assert ">alarm 14:15</text>" in dom


def test_expected_range_equals_scipy_stats_poisson_interval():
    from scipy.stats import poisson

    from detector.incidents.svg import expected_range

    mu = np.concatenate([[0.0, 1e-9, 0.3, np.nan], np.linspace(0, 60, 1201), [1e3, 1e5]])
    low, high = expected_range(mu)
    with np.errstate(invalid="ignore"):
        want_low = np.nan_to_num(poisson.ppf(0.025, mu), nan=0.0)
        want_high = np.nan_to_num(poisson.ppf(0.975, mu), nan=0.0)
    finite = ~np.isnan(mu)
    assert np.array_equal(low[finite], want_low[finite])
    assert np.array_equal(high[finite], want_high[finite])
    assert np.isnan(low[~finite]).all() and np.isnan(high[~finite]).all()
    assert (low[mu == 4.0].tolist(), high[mu == 4.0].tolist()) == ([1.0], [8.0])


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5])
def test_expected_range_refuses_a_level_outside_0_1(level):
    from detector.incidents.svg import expected_range

    with pytest.raises(ValueError, match=f"level must be between 0 and 1 .exclusive.. Got {level}"):
        expected_range(np.array([4.0]), level=level)
