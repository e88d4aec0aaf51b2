"""``detect-series`` reading the formats users hand it: thousands separators in
``;``-separated files (``1.019``, ``1.234,75``), JSON ``[time, value]`` pairs and
Prometheus answers, quarter and month labels (``1977Q1``, ``Jan 1977``, ``01/1977``), and
times before 1678 refused with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from detector.cli.detect_series import read_table
from detector.cli.main import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict | None, str]:
    """Exit code, the JSON printed (if any) and stderr of ``outage-detector *args*``."""
    with pytest.raises(SystemExit) as stop:
        main(args)
    out, err = capsys.readouterr()
    return int(stop.value.code or 0), json.loads(out) if out.strip() else None, err


# --- A: thousands separators ----------------------------------------------------------


def _german_counts(path: Path) -> list[int]:
    """Excel's German CSV of 60 daily counts near 1000 (``1.019``: dots group thousands),
    tripled on 2025-02-10..12; the counts written."""
    counts = [950 + (k * 37) % 140 for k in range(60)]
    counts[40:43] = [3163, 3194, 3216]
    days = pd.date_range("2025-01-01", periods=60, freq="D").strftime("%d.%m.%Y")
    rows = [f"{day};{n:,}".replace(",", ".") for day, n in zip(days, counts, strict=True)]
    path.write_text("sep=;\nDatum;Anzahl\n" + "\n".join(rows) + "\n")
    return counts


def test_dots_group_thousands_of_whole_numbers_in_a_semicolon_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1.019 in a ;-separated column of whole numbers is 1019: it was read as 1.019, the
    tripled days as 3.163 (no incident, no warning)."""
    path = tmp_path / "anzahl.csv"
    counts = _german_counts(path)
    assert path.read_text().splitlines()[3:5] == ["02.01.2025;987", "03.01.2025;1.024"]
    assert read_table(path)["Anzahl"].tolist() == counts
    code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
    assert code == 0, err
    assert err.startswith(f"{path}: 'Anzahl': dots read as thousands separators (1.024 is 1024)\n")
    assert [(i["started_at"], i["peak_posts"]) for i in found["incidents"]] == [
        ("2025-02-10T00:00:00Z", 3216.0)
    ]


def test_decimal_commas_with_thousands_dots_are_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1.234,75 is 1234.75 (it stopped the column's decimal commas from being read, and the
    error named 987,50, a good cell); a bad cell is the one named, with its file line."""
    path = tmp_path / "umsatz.csv"
    path.write_text(
        "sep=;\nDatum;Umsatz\n01.01.2025;987,50\n02.01.2025;1.234,75\n03.01.2025;1.010,00\n"
    )
    assert read_table(path)["Umsatz"].tolist() == [987.5, 1234.75, 1010.0]
    code, found, err = run(["detect-series", str(path), "--value-col", "Umsatz"], capsys)
    assert (code, found["model"]) == (0, "robust")
    assert "dots read" not in err  # a decimal comma: nothing to say
    path.write_text(
        "sep=;\nDatum;Umsatz\n01.01.2025;987,50\n02.01.2025;1.234,75\n03.01.2025;viel\n"
        "04.01.2025;1.010,00\n"
    )
    code, _, err = run(["detect-series", str(path), "--value-col", "Umsatz"], capsys)
    assert code == 65
    assert err.endswith(f"{path}: line 5: 'Umsatz' is not a number: 'viel' (1 bad row(s))\n")


def test_a_comma_decimal_in_a_comma_separated_file_groups_thousands_by_dots(
    tmp_path: Path,
) -> None:
    """A quoted "1.234,5" in a ,-separated file: the comma can only be the decimal mark."""
    path = tmp_path / "quoted.csv"
    path.write_text('ts,v\n2025-01-01,"1.234,5"\n2025-01-02,"2,5"\n2025-01-03,7\n')
    assert read_table(path)["v"].tolist() == [1234.5, 2.5, 7.0]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("ts,v\n2025-01-01,1.019\n2025-01-02,914\n", [1.019, 914.0]),  # English: decimals
        ("ts;v\n2025-01-01;1.019\n2025-01-02;914\n2025-01-03;1.5\n", [1.019, 914.0, 1.5]),
        ("ts;v\n2025-01-01;1.019\n2025-01-02;0.500\n", [1.019, 0.5]),  # 0.500: a decimal
        ("ts\tv\n2025-01-01\t1.019\n2025-01-02\t914\n", [1.019, 914.0]),  # tabs: not ;
        ("ts;v\n2025-01-01;1.438\n2025-01-02;2.501\n", [1.438, 2.501]),  # a %.3f export
    ],
    ids=["comma-file", "a-decimal-in-the-column", "leading-zero", "tab-file", "all-3-decimals"],
)
def test_dots_stay_decimals_where_they_can_be(tmp_path: Path, text: str, values: list) -> None:
    path = tmp_path / "english.csv"
    path.write_text(text)
    assert read_table(path)["v"].tolist() == values


# --- B: JSON pairs and Prometheus ------------------------------------------------------

#: 300 five-minute counts (epoch seconds from 2015-02-26 21:42:53Z) near 10 that rise to
#: about 40 from point 200 on.
_START = 1424986973
_COUNTS = np.random.default_rng(3).poisson(np.where(np.arange(300) >= 200, 40.0, 10.0))
_PAIRS = [[float(_START + 300 * k), str(int(n))] for k, n in enumerate(_COUNTS)]


def _reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    """The offline result on the same counts written as a CSV."""
    path = tmp_path / "same.csv"
    rows = "".join(f"{int(t)},{v}\n" for t, v in _PAIRS)
    path.write_text(f"time,value\n{rows}")
    code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
    assert code == 0, err
    assert found["change_points"] == ["2015-02-27T14:15:00Z"]
    return found


def test_a_json_array_of_pairs_is_times_and_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``[[time, "value"], ...]`` (Prometheus' values) was an internal error (KeyError '0')."""
    path = tmp_path / "values.json"
    path.write_text(json.dumps(_PAIRS))
    code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
    assert code == 0, err
    assert err == "reading times from 'time' and values from 'value'\n"
    assert found == _reference(tmp_path, capsys)


def test_columns_named_by_numbers_are_found_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Columns 0, 1, 2 of an array of triples: --time-col 0 said "'0' not found; the
    columns are: 0, 1, 2"."""
    path = tmp_path / "triples.json"
    path.write_text(json.dumps([[t, v, "x"] for t, v in _PAIRS]))
    args = ["detect-series", str(path), "--time-col", "0", "--value-col", "1"]
    code, found, err = run([*args, "--mode", "offline"], capsys)
    assert (code, err) == (0, "")
    assert found == _reference(tmp_path, capsys)


def _answer(kind: str, result: list) -> dict:
    """A Prometheus HTTP API answer of *kind* holding *result*."""
    return {"status": "success", "data": {"resultType": kind, "result": result}}


def test_a_prometheus_answer_of_one_series_is_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A query_range answer (matrix), or its result array alone, was refused ("one JSON
    object (keys: status, data) holding no records")."""
    series = {"metric": {"__name__": "tweets", "job": "ko"}, "values": _PAIRS}
    reference = _reference(tmp_path, capsys)
    for name, content in (("range.json", _answer("matrix", [series])), ("result.json", [series])):
        path = tmp_path / name
        path.write_text(json.dumps(content))
        code, found, err = run(["detect-series", str(path), "--mode", "offline"], capsys)
        assert code == 0, err
        assert found == reference
    path = tmp_path / "instant.json"  # an instant vector: one point
    path.write_text(json.dumps(_answer("vector", [{"metric": {}, "value": _PAIRS[0]}])))
    code, found, err = run(["detect-series", str(path)], capsys)
    assert (code, found["incidents"], found["change_points"]) == (0, [], [])


def test_a_prometheus_answer_of_several_series_names_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "range.json"
    result = [
        {"metric": {"__name__": "tweets", "job": job}, "values": _PAIRS} for job in ("ko", "ups")
    ]
    path.write_text(json.dumps(_answer("matrix", result)))
    code, _, err = run(["detect-series", str(path)], capsys)
    assert code == 65
    assert err == (
        f'error: {path}: the Prometheus answer holds 2 series (tweets{{job="ko"}}, '
        'tweets{job="ups"}); detect-series reads one: filter the query by its labels (or '
        "aggregate it, e.g. sum(...)) so that it returns one series\n"
    )
    path.write_text(json.dumps(_answer("vector", result[:1] * 2)))
    code, _, err = run(["detect-series", str(path)], capsys)
    assert code == 65 and "the Prometheus answer holds 2 series" in err
    path.write_text(json.dumps({"status": "error", "errorType": "bad_data", "error": "parse"}))
    code, _, err = run(["detect-series", str(path)], capsys)
    assert code == 65
    assert (
        err == f"error: {path}: a Prometheus error answer (bad_data: parse): it holds no series\n"
    )


# --- C: period labels and times before 1678 ---------------------------------------------


def _quarter(k: int) -> tuple[int, int]:
    """(year, quarter) of quarter *k* from 1977Q1."""
    return 1977 + k // 4, 1 + k % 4


_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov"]
_MONTH_NAMES += ["Dec"]
_FULL_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August"]
_FULL_NAMES += ["September", "October", "November", "December"]


@pytest.mark.parametrize(
    ("column", "label", "period", "change"),
    [
        ("quarter", lambda k: "{}Q{}".format(*_quarter(k)), "quarter", "1982-01-01"),
        ("quarter", lambda k: "{}-Q{}".format(*_quarter(k)), "quarter", "1982-01-01"),
        ("period", lambda k: "Q{1} {0}".format(*_quarter(k)), "quarter", "1982-01-01"),
        ("Month", lambda k: f"{_MONTH_NAMES[k % 12]} {1977 + k // 12}", "month", "1978-09-01"),
        ("Month", lambda k: f"{_FULL_NAMES[k % 12]} {1977 + k // 12}", "month", "1978-09-01"),
        ("Month", lambda k: f"{1 + k % 12:02d}/{1977 + k // 12}", "month", "1978-09-01"),
        ("Month", lambda k: f"{1977 + k // 12}/{1 + k % 12:02d}", "month", "1978-09-01"),
    ],
    ids=["1977Q1", "1977-Q1", "Q1 1977", "Jan 1977", "January 1977", "01/1977", "1977/01"],
)
def test_quarter_and_month_labels_are_the_periods_first_days(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    column: str,
    label: object,
    period: str,
    change: str,
) -> None:
    """1977Q1 (and Jan 1977, 01/1977...) was "not a time"; now the quarter's (month's) first
    day, judged one value per period as 1977-01 is."""
    rows = "".join(f"{label(k)},{100 + k % 3 if k < 20 else 160 + k % 3}\n" for k in range(40))
    path = tmp_path / "periods.csv"
    path.write_text(f"{column},passengers\n{rows}")
    for args in ([], ["--time-col", column]):
        code, found, err = run(["detect-series", str(path), "--mode", "offline", *args], capsys)
        assert code == 0, err
        assert f"one value per {period}: judged per {period}" in err
        assert found["change_points"] == [f"{change}T00:00:00Z"]


def test_a_bad_period_label_is_the_one_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "quarters.csv"
    path.write_text("quarter,n\n1977Q1,3\n1977Q2,4\nsoon,5\n1977Q4,6\n")
    code, _, err = run(["detect-series", str(path), "--time-col", "quarter"], capsys)
    assert code == 65
    assert err.endswith(f"{path}: line 4: 'quarter' is not a time: 'soon' (1 bad row(s))\n")


def test_times_before_1678_are_refused_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A TCPD dataset from 1600 (global_co2): the refusal says the years supported and why."""
    path = tmp_path / "co2.json"
    years = [str(y) for y in range(1600, 2000, 20)]
    path.write_text(
        json.dumps(
            {
                "name": "co2",
                "n_obs": len(years),
                "time": {"format": "%Y", "raw": years},
                "series": [{"label": "Mean", "raw": list(range(len(years)))}],
            }
        )
    )
    code, _, err = run(["detect-series", str(path)], capsys)
    assert code == 65
    assert err.endswith(
        "'time' is outside the times this tool reads (1677-09-22 to 2262-04-10): "
        "'1600-01-01T00:00:00' "
        "(4 bad row(s)); only the years 1678 to 2262 are supported: times are held as "
        "pandas timestamps, nanoseconds since 1970 in 64 bits\n"
    )
