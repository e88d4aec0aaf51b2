"""NAB v1 scoring on hand-made cases with known scores, and on the real series."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from detector.errors import DataError, UsageError
from detector.evaluation.nab import (
    normalized_score,
    probation_rows,
    read_nab,
    rising_edges,
    score_series,
    sigma,
)

TIMES = pd.date_range("2015-03-01", periods=1000, freq="5min")
WINDOW = [(TIMES[600], TIMES[699])]  # rows 600..699, W = 100


def _flags(*rows: int) -> np.ndarray:
    flags = np.zeros(1000, dtype=bool)
    flags[list(rows)] = True
    return flags


def _raw(*rows: int, profile: str = "standard") -> float:
    return score_series(_flags(*rows), TIMES, WINDOW, profile).raw


def test_sigma_and_probation() -> None:
    assert sigma(0.0) == 0.0
    assert sigma(-1.0) == pytest.approx(0.986614, abs=1e-6)
    assert sigma(3.5) == -1.0
    assert probation_rows(1000) == 150 and probation_rows(15902) == 750


def test_detection_at_window_start_earns_one_and_in_the_middle_less() -> None:
    assert _raw(600) == pytest.approx(1.0)
    middle = (2 / (1 + math.exp(-2.5)) - 1) / (2 / (1 + math.exp(-5)) - 1)
    assert _raw(650) == pytest.approx(middle)
    assert _raw(650) == pytest.approx(0.859793, abs=1e-6)
    assert _raw(699) == pytest.approx(sigma(-0.01) / sigma(-1.0))


def test_only_the_first_detection_in_a_window_counts() -> None:
    assert _raw(650, 651, 690) == pytest.approx(_raw(650))


def test_missed_window_and_false_positives() -> None:
    assert _raw() == -1.0
    assert _raw(300) == pytest.approx(-1.0 - 0.11)  # before the first window: full cost
    assert _raw(100) == -1.0  # probation: ignored
    # after the window the cost grows with the distance (relative to the window width)
    assert _raw(600, 798) == pytest.approx(1.0 + 0.11 * sigma(1.0))
    assert _raw(600, 710) == pytest.approx(1.0 + 0.11 * sigma(11 / 99), abs=1e-12)
    assert _raw(600, 710) == pytest.approx(1.0 - 0.029793, abs=1e-6)
    assert _raw(600, 999) == pytest.approx(1.0 - 0.11)  # > 3 widths away: full cost


def test_profiles() -> None:
    assert _raw(profile="reward_low_FN_rate") == -2.0
    assert _raw(300, profile="reward_low_FP_rate") == pytest.approx(-1.22)
    with pytest.raises(UsageError, match="'profile' parameter must be one of standard"):
        _raw(profile="strict")


def test_normalized_score() -> None:
    perfect = score_series(_flags(600), TIMES, WINDOW)
    null = score_series(_flags(), TIMES, WINDOW)
    late = score_series(_flags(650, 300), TIMES, WINDOW)
    assert normalized_score([perfect, perfect]) == pytest.approx(100.0)
    assert normalized_score([null]) == 0.0
    assert normalized_score([perfect, null]) == pytest.approx(50.0)
    assert normalized_score([late]) == pytest.approx(100 * (0.859793 - 0.11 + 1) / 2, abs=1e-4)
    with pytest.raises(DataError, match="at least one"):
        normalized_score([])
    mixed = score_series(_flags(), TIMES, WINDOW, "reward_low_FN_rate")
    with pytest.raises(DataError, match="one profile"):
        normalized_score([perfect, mixed])


def test_rising_edges_and_length_check() -> None:
    assert rising_edges([True, True, False, True]).tolist() == [True, False, False, True]
    with pytest.raises(DataError, match="differ in length"):
        score_series([True], TIMES, WINDOW)


def test_reads_the_real_nab_series(shared_data) -> None:
    series = read_nab(shared_data / "series" / "nab_realtweets")
    assert sorted(series) == [f"Twitter_volume_{n}.csv" for n in ["AAPL", "CRM", "FB", "KO", "UPS"]]
    aapl = series["Twitter_volume_AAPL.csv"]
    assert len(aapl["values"]) == 15902 and len(aapl["windows"]) == 4 and len(aapl["labels"]) == 4
    nothing = score_series(np.zeros(15902, bool), aapl["values"].index, aapl["windows"])
    assert nothing.raw == -4.0


def test_default_detector_on_a_real_nab_series(shared_data) -> None:
    """Golden: the default baseline + online detector on NAB's CRM mention counts."""
    from detector.changepoint.online import detect_online

    item = read_nab(shared_data / "series" / "nab_realtweets")["Twitter_volume_CRM.csv"]
    values = item["values"]
    counts = pd.Series(values.to_numpy(dtype=float), index=values.index.tz_localize("UTC"))
    _, _, _, alarm = detect_online(counts)
    result = score_series(rising_edges(alarm), values.index, item["windows"])
    assert (result.windows_detected, result.n_windows) == (3, 3)
    assert result.false_positives == 39
    assert round(result.raw, 4) == -1.3982
