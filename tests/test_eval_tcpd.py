"""TCPD metrics (van den Burg & Williams 2020) on toy cases with known values."""

from __future__ import annotations

import pytest

from detector.errors import DataError, UsageError
from detector.evaluation.tcpd import (
    cover_single,
    covering,
    f_measure,
    from_breakpoints,
    load_tcpd,
    partition,
    true_positives,
)


def test_true_positives_no_double_counting() -> None:
    # one prediction cannot match two true points
    assert true_positives([10, 12], [11]) == {10}
    assert true_positives([10, 12], [11, 13]) == {10, 12}
    # margin is inclusive
    assert true_positives([10], [15], margin=5) == {10}
    assert true_positives([10], [16], margin=5) == set()


def test_f_measure_known_values() -> None:
    annotations = {"1": [50], "2": [60], "3": []}
    f, p, r = f_measure(annotations, [51, 80], return_pr=True)
    # union {0, 50, 60} vs {0, 51, 80}: 0 and 50 matched -> P = 2/3
    # recall per annotator: 2/2, 1/2, 1/1 -> 5/6
    assert (p, r) == pytest.approx((2 / 3, 5 / 6))
    assert f == pytest.approx(2 * p * r / (p + r))
    # nothing annotated, nothing predicted: perfect (0 counts in both)
    assert f_measure({"a": []}, []) == 1.0
    # predicting when nobody annotated costs precision only
    assert f_measure({"a": []}, [30]) == pytest.approx(2 * 0.5 * 1 / 1.5)


def test_covering_known_values() -> None:
    annotations = {"1": [50], "2": [60], "3": []}
    # computed by hand in the module docstring
    assert covering(annotations, [51, 80], n_obs=100) == pytest.approx(0.66673, abs=1e-5)
    assert covering({"a": [50]}, [50], n_obs=100) == 1.0
    assert covering({"a": []}, [], n_obs=10) == 1.0
    assert cover_single(partition([], 10), partition([5], 10)) == 0.5


def test_partition_and_breakpoints() -> None:
    assert partition([0, 3, 3, 10], 10) == [range(0, 3), range(3, 10)]
    assert from_breakpoints([20, 50, 100], 100) == [20, 50]


def test_errors() -> None:
    with pytest.raises(DataError, match="at least one annotator"):
        f_measure({}, [1])
    with pytest.raises(DataError, match="n_obs >= 1"):
        covering({"a": []}, [], n_obs=0)
    with pytest.raises(UsageError, match="'margin' parameter must be >= 0"):
        true_positives([1], [1], margin=-1)


def test_load_real_tcpd(shared_data) -> None:  # type: ignore[no-untyped-def]
    series = load_tcpd(shared_data / "series" / "tcpd")
    assert len(series) == 32
    by_name = {s.name: s for s in series}
    assert by_name["run_log"].values.shape == (376, 2)
    assert int(sum(v != v for v in by_name["uk_coal_employ"].values[:, 0])) == 2  # NaN
    assert by_name["nile"].annotations["7"] == [28]
