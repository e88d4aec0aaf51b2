"""``outage-detector score`` and ``outage-detector demo``: batch scoring of exports."""

from __future__ import annotations

import gc
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

from detector.batch import forkstart, heap
from detector.errors import InputMissingError
from detector.paths import SAMPLES, project_path

if TYPE_CHECKING:
    from detector.batch.pipeline import ScoreOptions, ScoreResult

# The pipeline (pandas, pyarrow) is imported when a command runs, after ``score`` has
# started the fork server its workers come from (:func:`detector.batch.forkstart.start`):
# the server's start-up and this process's then run side by side. These are the
# pipeline's ``ENGINES`` and ``detector.ingest.dedupe.DEDUPE_MODES`` (a test keeps them so).
ENGINES = ("local", "dask")
DEDUPE_MODES = ("id", "text", "none")

_COLUMN_HELP = "Column holding the post's {} (default: auto-detected)."


def _summary_lines(result: ScoreResult) -> list[str]:
    s = result.summary
    lines = [
        f"{s['rows_read']:,} rows read: {s['rows_scored']:,} scored, "
        f"{s['rows_quarantined']:,} quarantined, {s['rows_duplicate']:,} duplicates "
        f"({s['seconds']:.1f} s)",
    ]
    if not result.incidents:
        lines.append("no incidents found")
    else:
        lines.append(f"{len(result.incidents)} incident(s):")
        for inc in result.incidents:
            d = inc.to_dict()
            lines.append(
                f"  {d['service']:<24} {d['severity']:<7} {d['status']:<8} "
                f"started {d['started_at']}  detected {d['detected_at']}  "
                f"resolved {d['resolved_at'] or '-'}  peak {d['peak_posts']:g} posts"
            )
    return lines


def _print_result(result: ScoreResult, *, quiet: bool) -> None:
    if quiet:
        return
    report = result.out / "report.html"
    if sys.stdout.isatty():
        from rich.console import Console

        console = Console()
        for line in _summary_lines(result):
            console.print(line, highlight=False)
        console.print(f"outputs in [bold]{result.out}[/], report: [bold]{report}[/]")
    else:  # a log or a pipe: the same summary, plain, and where the report is
        for line in _summary_lines(result):
            click.echo(line)
        click.echo(f"report: {report}")


def _print_warnings(result: ScoreResult) -> None:
    """Summary warnings (e.g. most rows quarantined) on stderr, even with --quiet."""
    for warning in result.summary.get("warnings") or []:
        click.echo(f"warning: {warning}", err=True)


@contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """While the block runs, SIGTERM (``kill``) unwinds like Ctrl-C, exit 143, so the
    run's staging folder is removed instead of left in ``--out``; when nobody else handles
    SIGTERM already and only in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.getsignal(signal.SIGTERM)
    if old is not signal.SIG_DFL:
        yield
        return

    def terminated(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _run(options: ScoreOptions, quiet: bool) -> None:
    from detector.batch.pipeline import score
    from detector.batch.progress import interactive

    options.progress = interactive(quiet)
    # Everything imported so far lives as long as the command: the collector need not walk
    # it again on every full collection while millions of posts go by.
    gc.freeze()
    try:
        with _sigterm_unwinds():
            result = score(options)
    finally:
        gc.unfreeze()  # back to normal for a caller that goes on (tests, notebooks)
    _print_warnings(result)
    _print_result(result, quiet=quiet)


_existing_file = click.Path(exists=False, dir_okay=True)  # paths, globs or fsspec URLs


@click.command("score")
@click.argument("inputs", nargs=-1, required=True, type=_existing_file)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output directory.")
@click.option("--text-col", help=_COLUMN_HELP.format("text"))
@click.option("--time-col", help=_COLUMN_HELP.format("time"))
@click.option("--id-col", help=_COLUMN_HELP.format("id"))
@click.option("--author-col", help=_COLUMN_HELP.format("author"))
@click.option("--service-col", help="Column naming the service (wins over the catalog).")
@click.option("--catalog", type=click.Path(path_type=Path), help="Service catalog file.")
@click.option("--model", help="Model name under models/ or a model directory.")
@click.option(
    "--bucket",
    default="5min",
    show_default=True,
    help="Reporting bucket of series.csv and the report (1min to 1D).",
)
@click.option(
    "--tz",
    default=None,
    metavar="ZONE",
    help="Time zone of times written without one, e.g. America/Los_Angeles "
    "(default: UTC). Times with an offset or zone are unaffected.",
)
@click.option(
    "--dedupe",
    type=click.Choice(DEDUPE_MODES),
    default="id",
    show_default=True,
    help="Duplicate key. id: the post id; without one author+text+minute; without an "
    "author too, the whole row (a repeated text is kept unless every column matches). "
    "text: author+text+minute, ids ignored. none: keep every row. Dropped rows are "
    "listed in duplicates.csv.",
)
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True)
@click.option("--workers", type=int, help="Worker processes (default: all cores).")
@click.option(
    "--scheduler",
    help="Address of a running Dask scheduler (--engine dask). Without workers, it is waited "
    "for OUTAGE_DASK_WAIT seconds (default 30), then the run exits 69.",
)
@click.option("--keep-authors", is_flag=True, help="Keep author ids instead of pseudonyms.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="With --engine dask: Dask's info logs and the dashboard address.",
)
def score_command(
    inputs: tuple[str, ...],
    out: Path,
    text_col: str | None,
    time_col: str | None,
    id_col: str | None,
    author_col: str | None,
    service_col: str | None,
    catalog: Path | None,
    model: str | None,
    bucket: str,
    tz: str | None,
    dedupe: str,
    engine: str,
    workers: int | None,
    scheduler: str | None,
    keep_authors: bool,
    quiet: bool,
    verbose: bool,
) -> None:
    """Score exported posts (CSV/TSV, JSON Lines, JSON, Parquet; gzip/zstd) into DIR.

    INPUT is a file, a glob ('exports/*.jsonl.gz') or an fsspec URL
    (s3://bucket/posts-*.jsonl, gs://..., abfs://...; install the matching extra,
    e.g. outage-detector[s3]). With --engine dask the workers read the inputs
    themselves (JSON Lines and CSV in byte ranges, Parquet by row groups).

    Writes posts.parquet, quarantine.csv, duplicates.csv, series.csv, incidents.json,
    incidents.csv, report.html and summary.json, all together when the run ends.
    Exit codes: 64 usage (also: an input is one of the outputs), 65 bad data (also:
    no row could be scored), 66 input missing, 69 the --scheduler cannot be reached or
    has no workers, 73 cannot create the output folder, 74 I/O error while writing.
    """
    if engine == "local":
        heap.tune()  # this process's chunks reuse their buffers (standard library only)
        if forkstart.worth_it(inputs, workers):
            forkstart.start(model=model, shipped_catalog=catalog is None, workers=workers)
    from detector.batch.pipeline import ScoreOptions

    options = ScoreOptions(
        inputs=list(inputs),
        out=out,
        text_col=text_col,
        time_col=time_col,
        id_col=id_col,
        author_col=author_col,
        service_col=service_col,
        catalog=catalog,
        model=model,
        bucket=bucket,
        tz=tz,
        dedupe=dedupe,
        engine=engine,
        workers=workers,
        scheduler=scheduler,
        keep_authors=keep_authors,
        verbose=verbose,
    )
    _run(options, quiet)


@click.command("demo")
@click.option(
    "--out",
    default="outage-demo",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Output directory.",
)
@click.option(
    "--sample",
    type=click.Choice(SAMPLES),
    default=SAMPLES[0],
    show_default=True,
    help="Which shipped sample export to score.",
)
@click.option("--engine", type=click.Choice(ENGINES), default="local", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no summary.")
def demo_command(out: Path, sample: str, engine: str, quiet: bool) -> None:
    """Score the shipped sample export (the Exchange Online outage day) into DIR."""
    path = project_path("data", "samples", f"{sample}.csv")
    if not path.is_file():
        raise InputMissingError(f"{path}: shipped sample is missing (reinstall the package)")
    from detector.batch.pipeline import ScoreOptions

    options = ScoreOptions(inputs=[path], out=out, engine=engine, title=f"Sample: {sample}")
    _run(options, quiet)
    if not quiet and sys.stdout.isatty():
        truth = path.with_suffix("").with_suffix(".truth.json")
        click.echo(f"ground truth of the sample: {truth}")


def register(cli: click.Group) -> None:
    """Add ``score`` and ``demo`` to *cli*."""
    cli.add_command(score_command)
    cli.add_command(demo_command)
