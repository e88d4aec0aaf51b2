"""`outage-detector detect-series`: change detection on any numeric series the user has.

Reads a CSV (delimiter, text encoding and compression sniffed as ``score`` does; in a
file separated by ``;`` or tabs, decimal commas such as ``10,13`` and ``1.234,75`` are
numbers, and in a ``;``-separated one so are whole numbers with dots grouping thousands,
``1.019``), JSON (array, JSON Lines, ``[time, value]`` pairs, a Prometheus answer of one
series, a TCPD dataset) or Parquet file with a time column (any format ``score`` reads,
and period labels: ``1977Q1``, ``Jan 1977``, ``01/1977``) and a value column and puts
the values into regular buckets (the bucket width is inferred from the timestamps
unless ``--bucket`` is given: the common spacing, or the median one of irregular
times): counts are summed, a metric is averaged. A bucket with no row between
rows far apart is a hole, a missing value (a count series that never writes 0 may omit
its zero buckets: there only a silence too long for its rate is a hole); other empty
buckets are zeros for counts and left out for a metric (irregular times); stderr says so.
``--model auto`` (the default) reads counts (non-negative integers with Poisson-like noise) with the
Poisson model and anything else as a metric with the robust Gaussian model
(isolated spikes clipped; ``normal`` keeps them); negative values are allowed
for ``normal`` and ``robust``. Empty cells are missing values: reported in the
output and handled (offline: interpolated; online: skipped, or the last count
carried forward). Prints or writes ``{"incidents": [...], "change_points": [ISO
times], "model": ..., "missing": {"values", "first", "handled"}}``, strict JSON (no NaN
or Infinity).

Refused, naming the cause: ``--out`` naming the input (or a link to it: an input is never
overwritten, exit 64); a ``--bucket`` finer than the spacing of regular times (a 5-minute
count cannot be split into 1-minute buckets, exit 64); a value larger than
:data:`MAX_MAGNITUDE` in size (exit 65, its line); with ``--tz``, a time that does not
exist in that zone, inside the gap where its clocks go forward (exit 65, its line and
the gap: such a file is not that zone's wall-clock time, and a zone without daylight
saving time, ``Etc/GMT+5`` say, reads it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import numpy as np
import pandas as pd

from detector.errors import (
    DataError,
    InputMissingError,
    SchemaError,
    UsageError,
    write_failure,
)
from detector.incidents.limits import MAX_MAGNITUDE, refuse_finer_bucket
from detector.ingest.columns import find_time_column
from detector.ingest.timestamps import NO_SUCH_TIME as _NO_SUCH_TIME
from detector.ingest.timestamps import parse_times, years_of, zone
from detector.series.buckets import bucket_width

#: Suffixes read as each format (anything else is read as CSV).
_JSON = {".json", ".jsonl", ".ndjson"}
_PARQUET = {".parquet", ".pq"}


def parse_bucket(bucket: str | None) -> pd.Timedelta | None:
    """The ``--bucket`` value as a positive Timedelta (``None`` stays ``None``).

    >>> parse_bucket("15min")
    Timedelta('0 days 00:15:00')
    >>> parse_bucket("fast")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    detector.errors.UsageError: The '--bucket' option must be ... Got 'fast' instead.
    """
    if bucket is None:
        return None
    return bucket_width(bucket, name="The '--bucket' option")


def read_table(path: Path) -> pd.DataFrame:
    """Read ``path`` as Parquet, JSON (array or lines) or CSV, by its suffix; the columns
    are named by strings (``"0"``, not ``0``), as ``--time-col`` and ``--value-col`` are."""
    frame = _read_table(path)
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _read_table(path: Path) -> pd.DataFrame:
    """:func:`read_table`, its columns as read."""
    if not path.exists():
        raise InputMissingError(f"input file not found: {path}")
    if not path.is_file():
        raise InputMissingError(f"input is not a regular file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in _PARQUET:
            frame = pd.read_parquet(path)
            if any(name is not None for name in frame.index.names):
                frame = frame.reset_index()  # the times kept as the pandas index
            return frame
        if suffix in _JSON:
            import io

            text = path.read_text(encoding="utf-8", errors="replace")  # read once
            head = text.lstrip()[:1]
            if head == "{":
                whole = _json_object(path, text)
                if whole is not None:
                    return whole
            if re.match(r"\s*\[\s*\[", text):  # [[time, value], ...]
                pairs = _json_pairs(text)
                if pairs is not None:
                    return pairs
            frame = pd.read_json(io.StringIO(text), lines=head != "[", dtype=False)
            if {"metric", "values"} <= set(frame.columns) or {"metric", "value"} <= set(
                frame.columns
            ):  # the result array of a Prometheus query
                return _prometheus_series(path, frame.to_dict("records"))
            return frame
        return _read_csv(path)
    except DataError:
        raise
    except (ValueError, OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read as {suffix or 'CSV'}: {err}") from err
    except pd.errors.EmptyDataError as err:
        raise DataError(f"{path}: the file is empty") from err


def _json_object(path: Path, text: str) -> pd.DataFrame | None:
    """The file *path* (its content *text*) holding one JSON object: its records (an array
    under ``data``, ``items``..., as ``score`` reads exports) or a TCPD series (``time`` and
    ``series``: a column per series, the times from ``time.raw``, else days from
    2000-01-01). ``None`` when the file is JSON Lines after all."""
    from detector.ingest.formats import ARRAY_KEYS

    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None  # one object per line
    if not isinstance(data, dict):
        return None
    if data.get("status") in ("success", "error") and (
        isinstance(data.get("data"), dict) or "error" in data
    ):
        return _prometheus(path, data)
    for key in ARRAY_KEYS:
        if isinstance(data.get(key), list):
            return pd.DataFrame(data[key])
    time, series = data.get("time"), data.get("series")
    if not any(isinstance(v, list | dict) for v in data.values()):
        return None  # one record: a JSON Lines file of one line
    if not (isinstance(time, dict) and isinstance(series, list) and series):
        keys = ", ".join(map(str, data)) or "none"
        raise DataError(
            f"{path}: one JSON object (keys: {keys}) holding no records; detect-series reads "
            f"records (a JSON array, JSON Lines, or an object with them under "
            f"{', '.join(ARRAY_KEYS)}) or a TCPD series (keys time and series)"
        )
    columns = {
        str(s.get("label") or f"V{k + 1}"): [np.nan if v is None else v for v in s["raw"]]
        for k, s in enumerate(series)
    }
    n = len(next(iter(columns.values())))
    if isinstance(time.get("raw"), list):
        times = pd.Series(time["raw"], dtype=str)
        if time.get("format"):  # "1871" in "%Y" is a year: as ISO dates, read as score does
            parsed = pd.to_datetime(times, format=str(time["format"]), errors="coerce")
            if parsed.notna().all():
                times = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S")
    else:
        click.echo(
            f"{path}: no times in the file: its points are read as days from 2000-01-01", err=True
        )
        times = pd.Series(pd.date_range("2000-01-01", periods=n, freq="D"))
    return pd.DataFrame({"time": times, **columns})


def _json_pairs(text: str) -> pd.DataFrame | None:
    """The JSON array *text* of ``[time, value]`` pairs (as Prometheus gives a series'
    values) as columns ``time`` and ``value``; ``None`` when it holds anything else.

    >>> _json_pairs('[[1424986973.0, "8"], [1424987273.0, "9"]]').to_dict("list")
    {'time': [1424986973.0, 1424987273.0], 'value': ['8', '9']}
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not (isinstance(data, list) and all(isinstance(p, list) and len(p) == 2 for p in data)):
        return None
    return pd.DataFrame(data, columns=["time", "value"])


def _prometheus(path: Path, answer: dict) -> pd.DataFrame:
    """The one series of the Prometheus HTTP API *answer* (``/api/v1/query_range``: a
    ``matrix``; ``/api/v1/query``: a ``vector``) as columns ``time`` and ``value``."""
    if answer.get("status") == "error":
        raise DataError(
            f"{path}: a Prometheus error answer ({answer.get('errorType', 'error')}: "
            f"{answer.get('error', 'no message')}): it holds no series"
        )
    data = answer.get("data") or {}
    kind = data.get("resultType")
    if kind not in ("matrix", "vector") or not isinstance(data.get("result"), list):
        raise DataError(
            f"{path}: a Prometheus answer of resultType {kind!r}; detect-series reads a "
            "'matrix' (query_range) or a 'vector' of one series"
        )
    return _prometheus_series(path, data["result"])


def _prometheus_series(path: Path, result: list) -> pd.DataFrame:
    """The points of the one series in the Prometheus *result* (``[{"metric": {...},
    "values": [[time, "value"], ...]}]``, or ``"value"`` for an instant vector) as columns
    ``time`` and ``value``. DataError when it holds no series or several (named by their
    labels: the query should select one)."""
    if not result:
        raise DataError(f"{path}: the Prometheus answer holds no series (the query matched none)")
    if len(result) > 1:
        names = [_promql_name(s.get("metric") or {}) for s in result]
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise DataError(
            f"{path}: the Prometheus answer holds {len(result)} series ({shown}); "
            "detect-series reads one: filter the query by its labels (or aggregate it, "
            "e.g. sum(...)) so that it returns one series"
        )
    one = result[0]
    points = one.get("values") if "values" in one else [one.get("value")]
    if not isinstance(points, list) or not all(isinstance(p, list) and len(p) == 2 for p in points):
        raise DataError(f"{path}: the Prometheus series holds no [time, value] points")
    return pd.DataFrame(points, columns=["time", "value"])


def _promql_name(metric: dict) -> str:
    """The series labelled *metric* as PromQL writes it: ``tweets{job="ko"}``.

    >>> _promql_name({"__name__": "up", "job": "api", "instance": "a:9090"})
    'up{instance="a:9090", job="api"}'
    """
    labels = ", ".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
    return f"{metric.get('__name__', '')}{{{labels}}}"


#: A whole number written plainly (``993``).
_PLAIN_INT = r"[-+]?\d+"
#: A whole number with dots grouping its thousands (``1.019``, ``12.345.678``): exactly
#: three digits after each dot, no leading zero (``0.500`` is a decimal).
_GROUPED = r"[-+]?[1-9]\d{0,2}(?:\.\d{3})+"
#: A number with a decimal comma (``10,13``), its whole part plain or grouped by dots
#: (``1.234,75``), as ``;``-separated files from European spreadsheets write them.
_COMMA_DECIMAL = r"[-+]?(?:\d+|[1-9]\d{0,2}(?:\.\d{3})+),\d+"


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV read as ``score`` reads one: delimiter (``,`` ``;`` tab ``|``), text encoding
    and compression sniffed; numbers written the European way are read as numbers (see
    :func:`_european_numbers`)."""
    import io

    from detector.ingest.blocks import iter_utf8
    from detector.ingest.formats import sniff

    info = sniff(path)
    delimiter = info.delimiter or ","
    raw = b"".join(iter_utf8(info))  # decompressed, decoded, BOM dropped
    frame = pd.read_csv(io.BytesIO(raw), sep=delimiter, skiprows=info.preamble)  # "sep=;"
    frame.attrs["lines"] = _file_lines(raw, int(info.preamble or 0), len(frame))
    # pandas reads 1.019 as a decimal: in a ;-separated file such columns are read again
    # as written, to tell thousands separators from decimals
    floats = [k for k, col in enumerate(frame.columns) if pd.api.types.is_float_dtype(frame[col])]
    written: dict[str, pd.Series] = {}
    if delimiter == ";" and floats:
        again = pd.read_csv(
            io.BytesIO(raw), sep=delimiter, skiprows=info.preamble, usecols=floats, dtype=str
        )
        if again.index.equals(frame.index):
            written = {frame.columns[k]: again.iloc[:, n] for n, k in enumerate(floats)}
    for col in frame.columns:
        if col in written or not pd.api.types.is_numeric_dtype(frame[col]):
            _european_numbers(frame, col, written.get(col, frame[col]), delimiter, path)
    return frame


def _european_numbers(
    frame: pd.DataFrame, col: str, cells: pd.Series, delimiter: str, path: Path
) -> None:
    """Put into ``frame[col]`` the numbers of the column written as *cells* when they are
    written the European way: a decimal comma (``10,13``, ``1.234,75``: dots group
    thousands) in a file not separated by commas (or, in one separated by commas, when
    the comma cannot be an English thousands separator); or, in a ``;``-separated file,
    whole numbers with dots grouping thousands (``993``, ``1.019``: read as 1019, said on
    stderr). A cell that is no such number (``abc``) is left as written, to be reported
    as the bad one; a column where most cells are not numbers is left alone, as is one
    holding English decimals (``12.5``)."""
    text = cells.dropna().astype(str).str.strip()
    if text.empty or not text.str.contains(r"[.,]", regex=True).any():
        return
    plain = text.str.fullmatch(_PLAIN_INT)
    grouped = text.str.fullmatch(_GROUPED)
    comma = text.str.fullmatch(_COMMA_DECIMAL)
    english = pd.to_numeric(text, errors="coerce").notna() & ~plain & ~grouped
    if english.any():
        return
    if comma.any() and (delimiter != "," or _comma_is_decimal(text[comma])):
        ok = plain | grouped | comma
        digits = text[ok].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(digits).astype(float)
    elif delimiter == ";" and _dots_group(text, plain, grouped):
        ok = plain | grouped
        numbers = pd.to_numeric(text[ok].str.replace(".", "", regex=False))
        first = text[grouped].iloc[0]
        click.echo(
            f"{path}: {col!r}: dots read as thousands separators ({first} is "
            f"{first.replace('.', '')})",
            err=True,
        )
    else:
        return
    if 2 * int(ok.sum()) < len(text):
        return  # mostly no numbers: a text column
    if ok.all():
        frame[col] = numbers.reindex(frame.index)
    else:  # the bad cells stay as written, so that the error names them
        mixed = frame[col].astype(object).copy()
        mixed.loc[numbers.index] = numbers.astype(object)
        frame[col] = mixed


def _dots_group(text: pd.Series, plain: pd.Series, grouped: pd.Series) -> bool:
    r"""Do the dots of these cells group thousands? Only where a number cannot be an
    English decimal (``12.345.678``), or where whole numbers under 1,000 are written
    without a dot beside dotted ones (``993``, ``1.019``): a column where every cell has
    three decimals (``1.438``, a ``%.3f`` export) is decimals.

    >>> t = pd.Series(["993", "1.019"])
    >>> _dots_group(t, t.str.fullmatch(r"\d+"), t.str.fullmatch(_GROUPED))
    True
    >>> t = pd.Series(["1.438", "2.501"])
    >>> _dots_group(t, t.str.fullmatch(r"\d+"), t.str.fullmatch(_GROUPED))
    False
    """
    if not grouped.any() or text.str.contains(",", regex=False).any():
        return False
    several = text[grouped].str.count(r"\.") > 1
    return bool(several.any() or plain.any())


def _comma_is_decimal(cells: pd.Series) -> bool:
    """Can the commas of *cells* (numbers such as ``1,5``) only be decimal commas: some
    cell has dots before its comma (``1.234,75``) or not three digits after it (``1,5``;
    ``1,234`` may be English for 1234)?"""
    return bool((cells.str.contains(".", regex=False) | ~cells.str.fullmatch(r".*,\d{3}")).any())


def _file_lines(raw: bytes, preamble: int, rows: int) -> list[int] | None:
    """The file line (from 1) of each of *rows* rows read from the CSV text *raw*: after
    *preamble* skipped lines and the header, blank lines not counted as rows. ``None``
    when the lines do not match the rows one to one (a quoted cell across lines)."""
    lines = raw.decode("utf-8", errors="replace").splitlines()
    filled = [k + 1 for k, line in enumerate(lines) if line.strip()]
    data = [k for k in filled if k > preamble][1:]  # the header's line is not a row
    return data if len(data) == rows else None


def to_series(
    frame: pd.DataFrame, time_col: str, value_col: str, source: Path, tz: str | None = None
) -> pd.Series:
    """The values of ``value_col`` indexed by the UTC times of ``time_col``, sorted; times
    written without a zone are wall-clock times in *tz* (default UTC)."""
    labels = {str(c): c for c in frame.columns}  # a column 0 is --time-col 0
    missing = [c for c in (time_col, value_col) if str(c) not in labels]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise SchemaError(
            f"{source}: column(s) {', '.join(map(repr, missing))} not found; "
            f"the columns are: {found}"
        )
    line = frame.attrs.get("lines") or (
        np.arange(len(frame)) + (2 if source.suffix.lower() not in _PARQUET | _JSON else 1)
    )
    time_col, value_col = str(time_col), str(value_col)
    raw_times, raw_values = frame[labels[time_col]], frame[labels[value_col]]
    # the formats score reads; 1871 in a column named year, or 1995..2024 in the time
    # column of a series, is a year, not an epoch second (see _holds_years); 1977Q1 and
    # Jan 1977 are the first day of their period
    years = _names_year(time_col) or _holds_years(raw_times)
    starts = period_starts(raw_times).reset_index(drop=True)
    times, reasons = _parse_local(starts, tz, years)
    bad = np.flatnonzero(times.isna().to_numpy())
    if bad.size:
        k = int(bad[0])
        gap = str(reasons[k]).find(_NO_SUCH_TIME)
        if gap >= 0:  # parse_times' reason, from where it names the gap
            skipped = sum(_NO_SUCH_TIME in str(r) for r in reasons)
            raise DataError(
                f"{source}: line {line[k]}: {time_col!r} {str(raw_times.iloc[k])!r} "
                f"{str(reasons[k])[gap:]} ({skipped} row(s) in such gaps)"
            )
        early = str(reasons[k]).startswith("time out of range")
        what = (
            "is outside the times this tool reads (1677-09-22 to 2262-04-10)"
            if early
            else "is not a time"
        )
        why = (
            "; only the years 1678 to 2262 are supported: times are held as pandas "
            "timestamps, nanoseconds since 1970 in 64 bits"
            if early
            else ""
        )
        raise DataError(
            f"{source}: line {line[k]}: {time_col!r} {what}: {str(raw_times.iloc[k])!r} "
            f"({bad.size} bad row(s)){why}"
        )
    values = pd.to_numeric(raw_values, errors="coerce")
    # an empty cell is a missing value (kept as NaN); text that is no number is an error
    bad = np.flatnonzero((values.isna() & raw_values.notna()).to_numpy())
    if bad.size:
        k = int(bad[0])
        raise DataError(
            f"{source}: line {line[k]}: {value_col!r} is not a number: "
            f"{raw_values.iloc[k]!r} ({bad.size} bad row(s))"
        )
    numbers = values.to_numpy(dtype=float)
    big = np.flatnonzero(np.isfinite(numbers) & (np.abs(numbers) > MAX_MAGNITUDE))
    if big.size:
        k = int(big[0])
        raise DataError(
            f"{source}: line {line[k]}: {value_col!r} is too large to compute with: "
            f"{str(raw_values.iloc[k])!r} ({big.size} such row(s)); values up to {MAX_MAGNITUDE:g} "
            "in size are read (the models square and sum them in 64-bit floats): drop or "
            "clear the row if it is a placeholder or an overflow"
        )
    series = pd.Series(numbers, index=pd.DatetimeIndex(times), name=value_col)
    return series.sort_index(kind="stable")


#: English month names (and their first three letters, and ``sept``), by month number.
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august")
_MONTHS += ("september", "october", "november", "december")
_MONTH_NAMES = {n: k for k, full in enumerate(_MONTHS, 1) for n in (full, full[:3])} | {"sept": 9}
#: Labels of a period (a quarter or a month) and the group naming it: quarter ``q`` (1-4),
#: month ``m`` (1-12) or month name ``b``; the year is ``y``.
_PERIOD_LABELS = (
    r"(?P<y>\d{4})\s*-?\s*Q(?P<q>[1-4])",  # 1977Q1, 1977-Q1, 1977 Q1
    r"Q(?P<q>[1-4])[\s/-]*(?P<y>\d{4})",  # Q1 1977, Q1-1977
    r"(?P<b>[A-Z]{3,9})\.?[\s-]+(?P<y>\d{4})",  # Jan 1977, January 1977, Jan-1977
    r"(?P<m>0?[1-9]|1[0-2])\s*/\s*(?P<y>\d{4})",  # 01/1977
    r"(?P<y>\d{4})\s*/\s*(?P<m>0?[1-9]|1[0-2])",  # 1977/01
)


def period_starts(raw: pd.Series) -> pd.Series:
    """*raw* with its period labels (a quarter: ``1977Q1``, ``1977-Q1``, ``Q1 1977``; a
    month: ``Jan 1977``, ``January 1977``, ``01/1977``, ``1977/01``) replaced by the
    period's first day (``1977-01-01``), which the time parse reads and a monthly or
    quarterly series is judged by (one value per period). Left as it is when its first
    values are mostly no such labels; a cell that is none among labels stays as written (to be
    reported as the bad one).

    >>> period_starts(pd.Series(["1977Q3", "Q4 1977", "Feb 1978", "03/1978", None])).tolist()
    ['1977-07-01', '1977-10-01', '1978-02-01', '1978-03-01', nan]
    """
    if pd.api.types.is_numeric_dtype(raw) or pd.api.types.is_datetime64_any_dtype(raw):
        return raw
    text = raw.dropna().astype(str).str.strip()
    head = text.head(50)
    if head.empty or 2 * int(_period_starts(head).notna().sum()) < len(head):
        return raw  # mostly no period labels
    starts = _period_starts(text)
    found = starts.dropna()
    labelled = raw.astype(object).copy()
    labelled.loc[found.index] = found
    return labelled


def _period_starts(text: pd.Series) -> pd.Series:
    """The first day (``YYYY-MM-01``) of the period each label of *text* names (see
    :func:`period_starts`), NaN where it names none."""
    starts = pd.Series(np.nan, index=text.index, dtype=object)
    for pattern in _PERIOD_LABELS:
        parts = text.str.extract(f"^{pattern}$", flags=re.IGNORECASE)
        if "q" in parts:
            month = (pd.to_numeric(parts["q"]) - 1) * 3 + 1
        elif "m" in parts:
            month = pd.to_numeric(parts["m"])
        else:
            month = parts["b"].str.lower().map(_MONTH_NAMES)
        hit = (month.notna() & parts["y"].notna() & starts.isna()).to_numpy()
        starts[hit] = [
            f"{year}-{int(m):02d}-01" for year, m in zip(parts["y"][hit], month[hit], strict=True)
        ]
    return starts


#: A zone that is never at UTC's offset: times that parse differently in it have no zone.
_PROBE_ZONE = "Asia/Kathmandu"


def _parse_local(raw: pd.Series, tz: str | None, years: bool) -> tuple[pd.Series, np.ndarray]:
    """``parse_times(raw, tz)``, the wall-clock times written without a zone read in the
    order of the file: at the end of daylight saving time a repeated hour (02:00...02:55
    twice) is read as its first and then its second occurrence (``parse_times`` reads
    both as the first, one hour of rows on top of each other and an hour missing).
    When that order says nothing (times not in order), ``parse_times``' reading stays.

    A time that does not exist in *tz* (02:30 on the day its clocks skip from 02:00 to
    03:00) is no time of the series: ``parse_times`` makes it NaT, its reason naming the
    gap (:data:`_NO_SUCH_TIME`), and it is left so."""
    times, reasons = parse_times(raw, tz, years=years)
    local = zone(tz)
    if local is None:
        return times, reasons
    wall, _ = parse_times(raw, None, years=years)
    if _dates_only(wall):
        # days, months, years: calendar dates, judged as written (a local midnight in UTC
        # would be 23:00 or 22:00 the day before, moving with daylight saving time)
        return wall, reasons
    probe, _ = parse_times(raw, _PROBE_ZONE, years=years)
    # times inside a gap of the clocks are NaT already: no reading of the order for them
    naive = (wall != probe).to_numpy() & times.notna().to_numpy()
    if not naive.any():
        return times, reasons
    clock = wall[naive].dt.tz_localize(None)
    try:
        again = clock.dt.tz_localize(local, ambiguous="infer").dt.tz_convert("UTC")
    except ValueError:  # the repeated hour cannot be told from the order
        return times, reasons
    times = times.copy()
    times[naive] = again.to_numpy()
    return times, reasons


def _dates_only(times: pd.Series) -> bool:
    """Are all the parsed *times* midnights (a series of days, months or years)?

    >>> _dates_only(pd.Series(pd.to_datetime(["2024-03-10", "2024-03-11"], utc=True)))
    True
    """
    valid = times.dropna()
    return bool(len(valid)) and bool((valid == valid.dt.normalize()).all())


#: Column names read as the values when ``--value-col`` does not name one.
_VALUE_NAMES = ("value", "values", "count", "counts", "y")
#: Column names read as the times after ``score``'s own (a series per period).
_PERIOD_NAMES = ("year", "yr", "jahr", "quarter", "month", "week", "day", "period")


def find_columns(
    frame: pd.DataFrame, time_col: str | None, value_col: str | None, source: Path
) -> tuple[str, str]:
    """``(time column, value column)``: the ones given, else the time column ``score``
    would pick by name (else one named year, month... or the only one that reads as
    times) and the other column named like a value (or the only other numeric one).

    >>> frame = pd.DataFrame({"timestamp": ["2015-02-26 21:42:53"], "value": [104]})
    >>> find_columns(frame, None, None, Path("x.csv"))
    ('timestamp', 'value')
    >>> find_columns(pd.DataFrame({"year": [1871], "volume": [1120]}), None, None, Path("x.csv"))
    ('year', 'volume')
    >>> find_columns(pd.DataFrame({"t": ["2015-02-26"], "a": [1], "b": [2]}), None, None,
    ...              Path("x.csv"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    detector.errors.UsageError: x.csv: which column holds the values? ... pass --value-col
    """
    if not all(isinstance(c, str) for c in frame.columns):  # 0 and "0" are one name
        frame = frame.rename(columns=str)
    columns = [str(c) for c in frame.columns]
    if time_col is None:
        named = {c.lower(): c for c in columns}
        periods = [named[n] for n in _PERIOD_NAMES if n in named]
        time_col = (
            find_time_column(columns)
            # one column named like a period (year and month apart: which one?)
            or (_only(periods) if periods and _reads_as_period(frame[periods[0]]) else None)
            or _only([c for c in columns if _reads_as_times(frame[c])])
        )
        if time_col is None:
            raise UsageError(
                f"{source}: which column holds the times? The columns are "
                f"{', '.join(columns) or 'none'}; pass --time-col"
            )
    if value_col is None:
        others = [c for c in columns if c != time_col]
        named = {c.lower(): c for c in others}
        value_col = next((named[n] for n in _VALUE_NAMES if n in named), None) or _only(
            [c for c in others if pd.to_numeric(frame[c].head(100), errors="coerce").notna().any()]
        )
        if value_col is None:
            raise UsageError(
                f"{source}: which column holds the values? The columns are "
                f"{', '.join(columns) or 'none'}; pass --value-col"
            )
    return time_col, value_col


def _only(columns: list[str]) -> str | None:
    """The one column of *columns*, or ``None`` when there are none or several."""
    return columns[0] if len(columns) == 1 else None


def _reads_as_period(column: pd.Series) -> bool:
    """Does a column named like a period (year, month...) hold times: text that reads as
    times, or, named year, numbers that are all years (a weekday or month number is not
    a time)?"""
    if pd.api.types.is_numeric_dtype(column):
        numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        return _names_year(str(column.name)) and bool(years_of(numbers).any())
    return _reads_as_times(column)


#: Words naming a column of years (a word of the name: ``fiscal_year``, ``Jahr``).
_YEAR_WORDS = {"year", "yr", "jahr"}
#: Whole numbers read as years in a time column not named so: the years this tool
#: represents (epoch seconds in this range are the first 38 minutes of 1970, which no
#: export means; smaller numbers, 1200 say, stay epoch seconds, as elapsed seconds may).
_PLAIN_YEARS = (1678, 2262)


def _names_year(column: str) -> bool:
    """Is *column* named as holding years (``year``, ``Year``, ``fiscal_year``, ``yr``,
    ``Jahr``)?"""
    return not _YEAR_WORDS.isdisjoint(re.split(r"[^a-z]+", column.lower()))


def _holds_years(column: pd.Series) -> bool:
    """Does the time column *column* (whatever its name) hold years: whole numbers, all
    from 1678 to 2262 (:data:`_PLAIN_YEARS`)?

    >>> _holds_years(pd.Series([1995, 1996, 2024])), _holds_years(pd.Series(["1995", "1996"]))
    (True, True)
    >>> _holds_years(pd.Series([1200, 1201])), _holds_years(pd.Series([1995, 1539202764]))
    (False, False)
    """
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return False
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    if column.notna().sum() != np.isfinite(numbers).sum():
        return False  # some cells are text, not numbers
    finite = numbers[np.isfinite(numbers)]
    low, high = _PLAIN_YEARS
    return bool(finite.size) and bool(
        ((finite == np.floor(finite)) & (finite >= low) & (finite <= high)).all()
    )


def _reads_as_times(column: pd.Series) -> bool:
    """Do the column's first values read as times (text, not bare numbers)?"""
    sample = period_starts(column.dropna().head(50))
    if sample.empty or pd.api.types.is_numeric_dtype(sample):
        return False
    times, _ = parse_times(sample.astype(str).reset_index(drop=True))
    return bool(times.notna().all())


def run(
    file: Path,
    *,
    time_col: str | None = None,
    value_col: str | None = None,
    bucket: str | None = None,
    mode: str = "online",
    service: str | None = None,
    model: str = "auto",
    tz: str | None = None,
) -> dict:
    """Read ``file``, detect, and return the JSON-ready result (the command's body)."""
    # Imported here: ruptures and scipy cost seconds that other commands should not pay.
    from detector.incidents.detect import regular_detection

    step = parse_bucket(bucket)
    try:
        zone(tz)
    except ValueError as err:
        raise UsageError(f"The '--tz' option: {err}") from err
    frame = read_table(file)
    frame, service = one_service(frame, service, file)
    given = (time_col, value_col)
    time_col, value_col = find_columns(frame, time_col, value_col, file)
    if given != (time_col, value_col):
        click.echo(f"reading times from {time_col!r} and values from {value_col!r}", err=True)
    series = to_series(frame, time_col, value_col, file, tz)
    if series.empty:
        raise DataError(f"{file}: no rows; there is no series to detect anything in.")
    if step is not None:
        refuse_finer_bucket(series.index, step, bucket, file)
    # rows sharing a time are summed (counts) or averaged; none is dropped: two sources'
    # counts, or the repeated hour of a wall clock going back, are rows of their own
    repeated: dict[str, int | str] = {"rows": int(series.index.duplicated(keep=False).sum())}
    found = regular_detection(series, step, mode=mode, service=service, model=model)
    for note in found.notes:  # a bucket widened, holes read as missing values...
        click.echo(f"{file}: {note}", err=True)
    if found.months is not None:  # judged one value per calendar period
        period = {1: "month", 3: "quarter", 12: "year"}.get(found.months, f"{found.months} months")
        click.echo(
            f"one value per {period}: judged per {period} (calendar months, not fixed-width "
            "buckets)",
            err=True,
        )
    result = found.to_dict()
    if repeated["rows"]:
        repeated["handled"] = "summed" if found.model == "poisson" else "averaged"
        result["repeated"] = repeated
        hint = (
            " (an export written twice over a stretch counts twice: drop the repeated rows first)"
            if repeated["handled"] == "summed"
            else ""
        )
        click.echo(
            f"{file}: {repeated['rows']} row(s) share a time with another row and are "
            f"{repeated['handled']} per bucket{hint}",
            err=True,
        )
    return result


def one_service(frame: pd.DataFrame, service: str | None, source: Path) -> tuple[pd.DataFrame, str]:
    """``(rows, name)``: the rows of *service* when the frame has a ``service`` column (a
    file of several services, as ``score`` writes ``series.csv``: their values must not be
    added up), and the name put on the incidents (*service*, else the file's only service,
    else ``series``). UsageError when the file holds several services and none is chosen,
    or the one chosen is not in it."""
    column = next((c for c in frame.columns if str(c).lower() == "service"), None)
    if column is None:
        return frame, service or "series"
    names = frame[column].dropna().astype(str)
    distinct = sorted(names.unique())
    if service is None:
        if len(distinct) > 1:
            shown = ", ".join(distinct[:10]) + (", ..." if len(distinct) > 10 else "")
            raise UsageError(
                f"{source}: rows of {len(distinct)} services ({shown}); choose one with "
                "--service NAME"
            )
        return frame, distinct[0] if distinct else "series"
    if service not in distinct:
        shown = ", ".join(distinct[:10]) + (", ..." if len(distinct) > 10 else "")
        raise UsageError(f"{source}: no rows of service {service!r}; the services are {shown}")
    keep = (names == service).reindex(frame.index, fill_value=False).to_numpy()
    return _rows(frame, keep), service


def _rows(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """The rows of *frame* where *keep*, their file line numbers (``attrs``) kept with them."""
    kept = frame[keep]
    lines = frame.attrs.get("lines")
    if lines is not None:
        kept.attrs["lines"] = list(np.asarray(lines)[keep])
    return kept


def register(cli: click.Group) -> None:
    """Add ``detect-series`` to *cli*."""

    @cli.command("detect-series")
    @click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
    @click.option(
        "--time-col",
        default=None,
        help="Column with the bucket times (default: the one named timestamp, time, date... "
        "or the only one that reads as times).",
    )
    @click.option(
        "--value-col",
        default=None,
        help="Column with the values, counts or any metric (default: the one named value, "
        "count... or the only other numeric one).",
    )
    @click.option(
        "--bucket",
        default=None,
        help="Bucket width, e.g. 5min or 1h (default: inferred); not finer than the spacing "
        "of regular times (a 5-minute count cannot be split into 1-minute buckets).",
    )
    @click.option(
        "--mode",
        type=click.Choice(("online", "offline")),
        default="online",
        show_default=True,
        help="online: each bucket judged from the past only; offline: whole-series segmentation.",
    )
    @click.option(
        "--model",
        type=click.Choice(("auto", "poisson", "normal", "robust")),
        default="auto",
        show_default=True,
        help="auto: counts (non-negative integers, Poisson-like noise) use poisson, "
        "other values robust (Gaussian, isolated spikes clipped).",
    )
    @click.option(
        "--service",
        default=None,
        metavar="NAME",
        help="Name on the incidents (default: series). In a file with a service column "
        "(score's series.csv), only that service's rows are read: required when it holds "
        "several.",
    )
    @click.option(
        "--tz",
        default=None,
        metavar="ZONE",
        help="Time zone of times written without one, e.g. Europe/Berlin (default: UTC), "
        "so that daylight saving changes are read right: a repeated autumn hour is read "
        "in file order, and a time inside the spring gap (02:30 where clocks jump from "
        "02:00 to 03:00) is refused naming the gap, as no clock of that zone writes it "
        "(give a zone without daylight saving time, e.g. Etc/GMT+5). Times with an offset or zone, "
        "epoch numbers, and series whose times are all midnights (days, months, years) are "
        "unaffected: those are judged per calendar date as written, labelled with its UTC "
        "midnight (score instead starts a day's bucket at the local midnight).",
    )
    @click.option(
        "--out",
        type=click.Path(path_type=Path),
        default=None,
        help="Write JSON here (never the input itself).",
    )
    def detect_series_command(
        file: Path,
        time_col: str | None,
        value_col: str | None,
        bucket: str | None,
        mode: str,
        model: str,
        service: str | None,
        tz: str | None,
        out: Path | None,
    ) -> None:
        """Find incidents and change points in a series of counts or a metric."""
        if out is not None:  # an input is never overwritten (the same check as score's)
            from detector.batch.outputs import refuse_inputs_as_outputs

            refuse_inputs_as_outputs([file], out.parent, [out.name])
        result = run(
            file,
            time_col=time_col,
            value_col=value_col,
            bucket=bucket,
            mode=mode,
            service=service,
            model=model,
            tz=tz,
        )
        # strict JSON (RFC 8259): a NaN or infinity here is a bug, not output to write
        text = json.dumps(result, indent=2, allow_nan=False) + "\n"
        if out is None:
            click.echo(text, nl=False)
        else:
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(text)
            except OSError as err:  # a folder on its path is a file, --out is a folder...
                raise write_failure(str(out), err) from err
            click.echo(f"wrote {len(result['incidents'])} incident(s) to {out}", err=True)
