"""The batch ``score`` pipeline: ingest -> classify -> series -> detect -> outputs.

Memory stays bounded: posts stream chunk by chunk from ingest through the engine
into ``posts.parquet`` and a sparse volume accumulator; only the volume series and
the posts around incidents are ever held whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from detector.batch import forkstart
from detector.batch.accumulate import SeriesAccumulator
from detector.batch.chunks import POST_COLUMNS, ScorerSpec
from detector.batch.detection import (
    DayClock,
    day_bucket,
    day_clock,
    detect_services,
    warmup_end,
)
from detector.batch.outputs import (
    Pseudonymiser,
    StagedOutputs,
    ensure_out_dir,
    output_errors,
    posts_writer,
    refuse_inputs_as_outputs,
    write_json,
)
from detector.batch.progress import RowProgress
from detector.errors import DataError, UsageError
from detector.incidents.incident import FIELDS, Incident
from detector.incidents.related import link
from detector.incidents.tracker import ENGINE_STEP
from detector.safecsv import write_csv
from detector.series.volume import parse_bucket
from detector.text.registry import model_identity, positive_class_warning

if TYPE_CHECKING:
    from detector.batch.engine_dask import Cluster
    from detector.batch.engine_local import ScoringPool

ENGINES = ("local", "dask")

#: Names of the files ``score`` writes into its output directory.
OUTPUT_FILES = (
    "posts.parquet",
    "quarantine.csv",
    "duplicates.csv",
    "series.csv",
    "incidents.json",
    "incidents.csv",
    "report.html",
    "summary.json",
)


@dataclass
class ScoreOptions:
    """Everything ``score`` needs; mirrors the command-line options."""

    inputs: Sequence[Path | str]  #: paths, globs or fsspec URLs
    out: Path
    text_col: str | None = None
    time_col: str | None = None
    id_col: str | None = None
    author_col: str | None = None
    service_col: str | None = None
    catalog: Path | None = None
    model: str | None = None
    bucket: str = "5min"
    engine: str = "local"
    workers: int | None = None
    scheduler: str | None = None
    keep_authors: bool = False
    tz: str | None = None  #: zone of times written without one (default UTC)
    dedupe: str = "id"  #: one of ``detector.ingest.dedupe.DEDUPE_MODES``
    chunksize: int = 50_000
    progress: bool = False
    title: str = "outage-detector report"
    verbose: bool = False  #: Dask's info logs and dashboard (``--engine dask``)
    #: Dask engine: size of a byte-range share of a JSON Lines file / rows of a
    #: Parquet share (``None``: the defaults of :mod:`detector.ingest.shares`)
    split_bytes: int | None = None
    split_rows: int | None = None


@dataclass
class ScoreResult:
    """What a run produced: the summary and the incidents."""

    summary: dict[str, Any]
    incidents: list[Incident] = field(default_factory=list)
    out: Path = Path(".")


def _validate(options: ScoreOptions) -> None:
    parse_bucket(options.bucket)
    if options.engine not in ENGINES:
        raise UsageError(
            f"The 'engine' parameter must be one of {', '.join(ENGINES)}. "
            f"Got {options.engine!r} instead."
        )
    if options.workers is not None and options.workers < 1:
        raise UsageError(f"--workers must be at least 1. Got {options.workers} instead.")
    if options.scheduler and options.engine != "dask":
        raise UsageError("--scheduler only applies to --engine dask")
    if not options.inputs:
        raise UsageError("give at least one input file")


#: Inputs of at least this many bytes start the local engine's workers before reading
#: (they load the model while this process reads); smaller ones start them only when
#: a second chunk shows there is work to share.
EAGER_POOL_BYTES = forkstart.EAGER_POOL_BYTES


def _arrow_schema() -> pa.Schema:
    return pa.schema(
        [
            ("id", pa.string()),
            ("created_at", pa.timestamp("ns", tz="UTC")),
            ("text", pa.string()),
            ("service", pa.string()),
            ("is_outage", pa.bool_()),
            ("outage_prob", pa.float32()),
            ("symptom", pa.string()),
            ("label", pa.string()),
            ("services", pa.string()),
            ("author", pa.string()),
            ("is_repost", pa.bool_()),
            ("source_file", pa.string()),
            ("line", pa.int64()),
        ]
    )


#: Posts dated before this are taken for a misread time column (a warning, not a guess).
PLAUSIBLE_SINCE = pd.Timestamp("1990-01-01", tz="UTC")


def _before_social_media(series: pd.DataFrame, time_columns: dict[str, str | None]) -> str | None:
    """A warning when the posts' times start before :data:`PLAUSIBLE_SINCE`: numbers in a
    column that is not a time (zip codes, tweet ids) read as epoch seconds or nanoseconds
    give posts of 1970 or 1988, and their "incidents" would be taken at face value.

    >>> s = pd.DataFrame({"bucket_start": pd.to_datetime(["1970-01-01 00:05"], utc=True)})
    >>> _before_social_media(s, {"a.csv": "Zip code"})[:60]
    "the posts' times start on 1970-01-01, before 1990: is 'Zip c"
    >>> _before_social_media(s, {"a.csv": "Zip code", "empty.csv": None})[60:75]
    "ode' really the"
    >>> _before_social_media(s.assign(bucket_start=PLAUSIBLE_SINCE), {}) is None
    True
    """
    if not len(series):
        return None
    first = series["bucket_start"].min()
    if first >= PLAUSIBLE_SINCE:
        return None
    names = sorted({name for name in time_columns.values() if name})  # None: an empty file
    which = " / ".join(f"'{n}'" for n in names) or "the time column"
    return (
        f"the posts' times start on {first:%Y-%m-%d}, before {PLAUSIBLE_SINCE:%Y}: is {which} "
        "really the posts' time? Numbers are read as epoch seconds, milliseconds, "
        "microseconds or nanoseconds by their size; name the time column with --time-col"
    )


def _warmup_until(sparse: pd.DataFrame, days: DayClock | None) -> str | None:
    """End (ISO UTC) of the export's first day of data, while the baselines were still
    learning: the earliest of the judged services' warm-ups (a service first named years
    later warms up then, on its own; its incidents say so). The first bucket from it on
    is series.csv's first with ``warming_up`` False (:func:`warmup_end`).

    >>> t = pd.to_datetime(["2017-01-01 00:00", "2017-01-01 23:55", "2025-03-01 23:55"], utc=True)
    >>> _warmup_until(pd.DataFrame({"service": ["a", "a", "b"], "bucket_start": t,
    ...                             "outage_posts": [3, 3, 5]}), None)
    '2017-01-02T00:00:00Z'
    """
    end = warmup_end(sparse, days)
    return None if end is None else end.strftime("%Y-%m-%dT%H:%M:%SZ")


def incidents_frame(incidents: list[Incident]) -> pd.DataFrame:
    """Incidents as a flat table (dicts and lists as JSON text) for incidents.csv."""
    rows = []
    for inc in incidents:
        row = inc.to_dict()
        for key in ("symptoms", "top_terms", "sample_posts", "related"):
            row[key] = json.dumps(row[key], ensure_ascii=False)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(FIELDS))


def score(options: ScoreOptions) -> ScoreResult:
    """Score *options.inputs* and write every output file into *options.out*.

    The outputs are written into a staging folder inside *options.out* and moved
    into place together at the end (an interrupted run leaves the folder as it
    was). Raises :class:`UsageError` (64) when an input is one of the outputs,
    :class:`~detector.errors.OutputError` (73) when the folder cannot be created,
    :class:`~detector.errors.WriteError` (74) when writing fails, and
    :class:`DataError` (65), writing nothing, when no row could be scored.
    """
    _validate(options)
    from detector.ingest.location import expand_inputs, local_path

    options = dataclasses.replace(options, inputs=expand_inputs(options.inputs))
    final = Path(options.out)
    local = [local_path(p) for p in options.inputs]  # file:// URLs are local files too
    refuse_inputs_as_outputs([p for p in local if p is not None], final, OUTPUT_FILES)
    created = _missing_folders(final)
    final = ensure_out_dir(final)
    try:
        with StagedOutputs(final) as staged, output_errors(final):
            result = _score_into(options, staged.path)
            staged.commit(OUTPUT_FILES)
    except BaseException:
        for folder in created:  # a failed run leaves --out as it was: here, absent
            with contextlib.suppress(OSError):
                folder.rmdir()  # only while empty
        raise
    result.out = final
    return result


def _absolute(path: Path | str) -> Path | str:
    """A local input path (or ``file://`` URL) made absolute; another URL as it is.

    >>> _absolute("s3://b/k.jsonl"), _absolute(Path("/x/y.csv"))
    ('s3://b/k.jsonl', PosixPath('/x/y.csv'))
    >>> _absolute("file://a.jsonl") == Path("a.jsonl").absolute()  # as the client reads it
    True
    """
    from detector.ingest.location import local_path

    return local_path(path) or path  # file:// URLs too (a relative one is the client's)


def _missing_folders(path: Path) -> list[Path]:
    """The folders creating *path* would make, deepest first.

    >>> [p.name for p in _missing_folders(Path("/nonexistent-od/a/b"))]
    ['b', 'a', 'nonexistent-od']
    """
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _ingest_summary(run: Any, options: ScoreOptions) -> dict[str, Any]:
    """Line accounting, the dedupe key, the time zone and warnings for summary.json."""
    lines = run.lines
    return {
        "lines_read": lines.lines_read,
        "lines_scored": lines.lines_ok,
        "lines_quarantined": lines.lines_quarantined,
        "lines_duplicate": lines.lines_duplicate,
        "lines_blank": lines.lines_blank,
        "lines_header": lines.lines_header,
        "dedupe": options.dedupe,
        "tz": options.tz or "UTC",
        "time_columns": {src.name: src.columns["time"] for src in run.sources},
        "warnings": run.warnings(),
    }


def _score_here(
    options: ScoreOptions,
    out: Path,
    mapping: Any,
    pool: ScoringPool,
) -> tuple[Any, SeriesAccumulator, int]:
    """Read here, score on the local engine's process pool."""
    from detector.ingest import read_posts

    # Every quarantined row streams to quarantine.csv (formula-safe), however many.
    run = read_posts(
        list(options.inputs),
        mapping,
        chunksize=options.chunksize,
        quarantine_limit=0,
        quarantine_path=out / "quarantine.csv",
        duplicates_path=out / "duplicates.csv",
        dedupe=options.dedupe,
        tz=options.tz,
    )
    accumulator = SeriesAccumulator(ENGINE_STEP)
    schema = _arrow_schema()
    rows_scored = 0
    with (
        posts_writer(out / "posts.parquet", schema) as writer,
        RowProgress("scoring", enabled=options.progress) as bar,
    ):
        for scored, counts in pool.score(run):
            writer.write_table(
                pa.Table.from_pandas(
                    scored[list(POST_COLUMNS)], schema=schema, preserve_index=False
                )
            )
            accumulator.merge(counts)
            rows_scored += len(scored)
            bar.advance(len(scored))
    return run, accumulator, rows_scored


def _score_on_cluster(
    options: ScoreOptions,
    out: Path,
    mapping: Any,
    spec: ScorerSpec,
    pseudonyms: Pseudonymiser | None,
    cluster: Cluster,
) -> tuple[Any, SeriesAccumulator, int]:
    """The Dask engine: the workers read, deduplicate, score and write their shares."""
    import shutil

    from detector.batch import engine_dask
    from detector.ingest import read_posts
    from detector.ingest.shares import merged_run

    planned = read_posts(  # checks every input and resolves its columns; reads heads only
        list(options.inputs),
        mapping,
        chunksize=options.chunksize,
        dedupe=options.dedupe,
        tz=options.tz,
    )
    # the workers open local files by absolute path (they may run in another folder);
    # source_file keeps the name the user gave
    plans = [
        (dataclasses.replace(info, path=_absolute(info.path)), plan)
        for info, plan in planned._plans  # noqa: SLF001 - the plan is the engine's input
    ]
    hints = [src.time_hint for src in planned.sources]
    staging = out / ".parts"
    staging.mkdir()
    job = engine_dask.Job(
        names=tuple(info.name for info, _ in plans),
        dedupe=options.dedupe,
        chunksize=options.chunksize,
        tz=options.tz,
        spec=spec,
        staging=str(staging.resolve()),
        pseudonym_key=pseudonyms.key if pseudonyms is not None else None,
        schema=_arrow_schema(),
    )
    reports, accumulator, _ = engine_dask.score_run(
        cluster,
        plans,
        job,
        out.resolve(),
        split_bytes=options.split_bytes,
        split_rows=options.split_rows,
        progress=options.progress,
    )
    shutil.rmtree(staging, ignore_errors=True)
    run = merged_run(
        plans, hints, reports, chunksize=options.chunksize, dedupe=options.dedupe, tz=options.tz
    )
    rows = sum(int(r.extra["rows_scored"]) for r in reports)  # type: ignore[call-overload]
    return run, accumulator, rows


def _import_report() -> None:
    """Import the report writer (in a thread: it is needed only at the end of a run)."""
    with contextlib.suppress(Exception):  # an import error shows where the report is written
        import detector.batch.report  # noqa: F401


def _score_into(options: ScoreOptions, out: Path) -> ScoreResult:
    """The run itself, writing every output file into the folder *out*."""
    from detector.ingest import ColumnMapping
    from detector.text.catalog import Catalog
    from detector.text.modelstore import check_model

    started = time.perf_counter()
    eager = options.engine != "dask" and forkstart.input_bytes(options.inputs) >= EAGER_POOL_BYTES
    # fail fast on a bad --model before reading data; whoever scores loads it (the workers,
    # or this process for one worker or one chunk), so no time is spent loading it twice
    model = check_model(options.model)
    if options.engine == "dask":  # workers elsewhere resolve the names on their machine
        spec = ScorerSpec(
            model=str(options.model) if options.model else None,
            catalog=str(options.catalog) if options.catalog else None,
        )
    else:  # local workers fork from a server started now: hand them absolute paths
        spec = ScorerSpec(
            model=str(model.path.resolve()),
            catalog=str(Path(options.catalog).resolve()) if options.catalog else None,
            compact=model.compact,
        )
    if eager:  # the workers' imports overlap loading the catalog and reading
        forkstart.start(
            model=spec.model, shipped_catalog=spec.catalog is None, workers=options.workers
        )
    catalog = Catalog.load(options.catalog)
    mapping = ColumnMapping(
        text=options.text_col,
        time=options.time_col,
        id=options.id_col,
        author=options.author_col,
        service=options.service_col,
    )
    pseudonyms = None if options.keep_authors else Pseudonymiser()
    pool: ScoringPool | Cluster
    if options.engine == "dask":  # the cluster's workers score, then judge the services
        from detector.batch.engine_dask import Cluster

        pool = Cluster(
            workers=options.workers, scheduler=options.scheduler, verbose=options.verbose
        )
    else:
        from detector.batch.engine_local import ScoringPool

        pool = ScoringPool(
            spec,
            pseudonym_key=pseudonyms.key if pseudonyms is not None else None,
            step=ENGINE_STEP,
            workers=options.workers,
            eager=eager,
        )
    with pool:
        if options.engine == "dask":
            run, accumulator, rows_scored = _score_on_cluster(
                options,
                out,
                mapping,
                spec,
                pseudonyms,
                pool,  # type: ignore[arg-type]
            )
        else:
            run, accumulator, rows_scored = _score_here(options, out, mapping, pool)  # type: ignore[arg-type]
        if rows_scored == 0:  # nothing to detect on: say why, leave --out as it was
            raise DataError(run.no_rows_message())
        pa.default_memory_pool().release_unused()  # the chunks' buffers, before judging
        # the report's modules (scipy.special among them) load while the workers judge,
        # not after, when this process alone writes the outputs
        threading.Thread(target=_import_report, daemon=True).start()
        # the workers (of either engine) judge the services too, once the posts are scored
        sparse = accumulator.sparse()
        days = day_clock(sparse, options.tz)  # dates without a time of day: judged per day
        bucket = options.bucket if days is None else day_bucket(options.bucket)
        services = int(sparse["service"].nunique()) if len(sparse) else 0
        with RowProgress(
            "judging", total=services, enabled=options.progress, unit="services"
        ) as bar:
            incidents, series = detect_services(
                sparse,
                bucket=bucket,
                map_tasks=pool.imap,
                days=days,
                posts_path=(out / "posts.parquet").resolve(),
                enrich_tasks=pool.parallel(),
                progress=bar,
            )
    day_warning = None
    if days is not None:
        day_warning = (
            "the posts' times carry no time of day (dates only): they were judged per day, "
            f"series.csv and the report use {bucket} buckets"
        )
    stats = run.stats
    link(incidents, catalog)  # the services' incidents that share a provider
    series_out = series.assign(
        bucket_start=series["bucket_start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    write_csv(series_out, out / "series.csv")
    write_json({"incidents": [inc.to_dict() for inc in incidents]}, out / "incidents.json")
    write_csv(incidents_frame(incidents), out / "incidents.csv")

    summary: dict[str, Any] = {
        "rows_read": int(stats.rows_read),
        "rows_scored": int(rows_scored),
        "rows_quarantined": int(stats.rows_quarantined),
        "rows_duplicate": int(stats.rows_duplicate),
        "incidents": len(incidents),
        "seconds": 0.0,
        "inputs": [str(p) for p in options.inputs],
        "model": model.name,
        "model_card": model_identity(model.name, model.path, model.card),
        "bucket": bucket,
        "engine": options.engine,
        "services": int(series["service"].nunique()) if len(series) else 0,
        "warmup_until": _warmup_until(sparse, days),
        **_ingest_summary(run, options),
    }
    if day_warning:
        summary["warnings"].append(day_warning)
    old_times = _before_social_media(series, summary["time_columns"])
    if old_times:
        summary["warnings"].append(old_times)
    other_class = positive_class_warning(summary["model_card"])
    if other_class:  # is_outage and the incidents then mean posts of another class
        summary["warnings"].append(other_class)
    from detector.batch.report import write_report

    summary["seconds"] = round(time.perf_counter() - started, 3)
    write_report(
        out / "report.html",
        series=series,
        incidents=[inc.to_dict() for inc in incidents],
        summary=summary,
        title=options.title,
        bucket=bucket,
    )
    write_json(summary, out / "summary.json")
    return ScoreResult(summary=summary, incidents=incidents, out=out)
