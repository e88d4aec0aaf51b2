"""`outage-detector train` and `outage-detector evaluate`: retrain on labelled posts, measure.

The logic lives in :mod:`detector.text.training`; these commands parse options,
print status lines to stderr (``--quiet`` silences them) and results to stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from detector.errors import UsageError


def _files(flag: str, help: str, *, required: bool = False) -> Any:
    """A repeatable option naming labelled files."""
    return click.option(
        flag,
        flag.lstrip("-").replace("-", "_"),
        multiple=True,
        required=required,
        type=click.Path(path_type=Path, dir_okay=False),
        help=help,
    )


_DATA = _files(
    "--data",
    "Labelled file (CSV, TSV, JSONL, JSON or Parquet; .gz/.zst ok). Repeatable.",
    required=True,
)
_TEXT = click.option("--text-col", default="text", show_default=True, help="Column of post text.")
_LABEL = click.option("--label-col", default="label", show_default=True, help="Label column.")
_POSITIVE = click.option(
    "--positive",
    default=None,
    help="Label value of the positive class (default: outage; else 1/true/yes).",
)
_QUIET = click.option("--quiet", "-q", is_flag=True, help="No status lines on stderr.")
_TEXTS = _files(
    "--texts",
    "Posts (columns uid, text) that a labelled file without a text column names by its "
    "uid column: labels kept apart from posts that may not be redistributed. Repeatable.",
)


def _group_named() -> bool:
    """Did the user name ``--group-col`` (rather than leave it at its default)? A column
    the user named must be in every --data file; the default is used where present."""
    from click.core import ParameterSource

    source = click.get_current_context().get_parameter_source("group_col")
    return source not in (None, ParameterSource.DEFAULT)


def _progress(quiet: bool):
    def emit(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    return emit


_GROUP = click.option(
    "--group-col",
    default="source",
    show_default=True,
    help="Column grouping posts (e.g. their source): when the data has 2 groups or more, "
    "each CV fold holds out whole groups (as many folds as groups, up to --cv). A column "
    "named here must be in every --data file (the default is used where present). '' to "
    "stratify instead.",
)


@click.command("train")
@_DATA
@click.option(
    "--out",
    required=True,
    help=(
        "Model name (written into the user's models folder, usable as --model NAME from "
        "any folder) or a directory path (model.skops + card.json)."
    ),
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing model of that name (never the default or a shipped model).",
)
@_TEXT
@_LABEL
@_POSITIVE
@click.option(
    "--symptom-col",
    default=None,
    help="Column of outage symptoms (default: 'symptom' when the file has it).",
)
@_GROUP
@_files(
    "--train-only",
    "Labelled file used for fitting only, never scored in CV or for the threshold "
    "(e.g. self-written examples). Repeatable.",
)
@_TEXTS
@_files(
    "--unlabelled",
    "Unlabelled posts of the same kind (--text-col; grouped by --group-col when present) "
    "that the post-nolex-distil candidate learns from as labelled by its fine-tuned teacher. "
    "Repeatable.",
)
@click.option(
    "--candidates",
    default="post,post-nolex",  # training.DEFAULT_CANDIDATES (a test checks they agree)
    show_default=True,
    help="Comma list of pipelines to compare by CV PR-AUC (post, post-nolex, plain, and, "
    "with the 'encoder' extra, encoder (a sentence-encoder tier on the uncertain band), "
    "encoder-tuned (the same with a fine-tuned symptom head), encoder-large (the same "
    "head on all-mpnet-base-v2; see the README for its packages), encoder-large-ft (that "
    "tier with a fine-tuned MiniLM label head on the band: the shipped outage-v2-tier), "
    "post-nolex-distil (post-nolex also fitted on --unlabelled posts labelled by that "
    "fine-tuned label head: as fast to score, needs the extra to train), "
    "plain-encoder (TF-IDF + "
    "sentence embedding for every post) and encoder-ft (MiniLM with its top layers "
    "fine-tuned on the labels; minutes of CPU per fit)). The plain baseline is always "
    "compared too and kept unless a candidate beats it.",
)
@click.option(
    "--baseline/--no-baseline",
    default=True,
    show_default=True,
    help="Compare the plain baseline too and keep it unless a candidate beats it. "
    "--no-baseline: the best candidate wins (e.g. when the model must be fast).",
)
@click.option("--cv", default=5, show_default=True, type=int, help="CV folds (>= 2).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of folds and model.")
@click.option(
    "--threshold-metric",
    type=click.Choice(["f1", "macro_f1"]),
    default="f1",
    show_default=True,
    help="What the decision threshold is tuned for: F1 of the positive class, or macro-F1.",
)
@_QUIET
def train_command(
    data: tuple[Path, ...],
    out: str,
    force: bool,
    text_col: str,
    label_col: str,
    positive: str | None,
    symptom_col: str | None,
    group_col: str,
    train_only: tuple[Path, ...],
    texts: tuple[Path, ...],
    unlabelled: tuple[Path, ...],
    candidates: str,
    baseline: bool,
    cv: int,
    seed: int,
    threshold_metric: str,
    quiet: bool,
) -> None:
    """Train a model on labelled posts, choosing the pipeline by cross-validation.

    Labels exactly outage/complaint/other train the 3-class model; otherwise the
    --positive value (default outage, else 1/true/yes) is the positive class. Each
    --candidates pipeline is cross-validated on the same folds (holding out whole
    --group-col groups when present), beside the plain baseline (word+char TF-IDF + LR, its
    threshold tuned like every candidate's); the best PR-AUC wins if it beats the
    baseline's by more than 0.005 without a lower F1 (macro-F1 with --threshold-metric
    macro_f1), else the baseline is kept. The comparison and the
    winner's CV metrics are printed as JSON on stdout and recorded in card.json.
    """
    from detector.text.registry import train_target
    from detector.text.training import train_model

    if cv < 2:
        raise UsageError(f"--cv must be an integer >= 2. Got {cv} instead.")
    target = train_target(out, force=force)
    card = train_model(
        data,
        target,
        text_col=text_col,
        label_col=label_col,
        positive=positive,
        symptom_col=symptom_col,
        group_col=group_col or None,
        train_only=train_only,
        texts=texts,
        unlabelled=unlabelled,
        candidates=[c.strip() for c in candidates.split(",") if c.strip()],
        baseline=baseline,
        cv=cv,
        seed=seed,
        params={"threshold_metric": threshold_metric},
        progress=_progress(quiet),
        require_group=_group_named(),
    )
    click.echo(
        json.dumps(
            {
                "model": str(target),
                "selected": card["selection"]["winner"],
                "comparison": card["selection"]["candidates"],
                "cv": card["cv"],
            },
            indent=2,
        )
    )


@click.command("evaluate")
@_DATA
@click.option("--model", "model_ref", default=None, help="Model name under models/ or a path.")
@_TEXT
@_LABEL
@_POSITIVE
@click.option(
    "--baseline/--no-baseline",
    default=True,
    show_default=True,
    help="Also print the plain TF-IDF + LR baseline, 5-fold cross-validated on this data.",
)
@_files(
    "--baseline-train",
    "Fit the baseline on this labelled file instead (the data the model was trained "
    "on), so both are judged on the same held-out posts. Repeatable.",
)
@_GROUP
@_TEXTS
@_QUIET
def evaluate_command(
    data: tuple[Path, ...],
    model_ref: str | None,
    text_col: str,
    label_col: str,
    positive: str | None,
    baseline: bool,
    baseline_train: tuple[Path, ...],
    group_col: str,
    texts: tuple[Path, ...],
    quiet: bool,
) -> None:
    """Score a model on labelled posts; prints JSON metrics (positive class vs the rest).

    Keys: precision, recall, f1, macro_f1 (mean F1 of positive and rest), pr_auc,
    n, confusion ({"tp", "fp", "fn", "tn"}), positive, model, and baseline: the
    same metrics of a plain word+char TF-IDF + logistic regression trained by 5-fold
    cross-validation on the evaluation data itself, or fitted on --baseline-train (its
    "trained" key says which).
    """
    from detector.text.modelstore import load_model
    from detector.text.training import evaluate_model

    model = load_model(model_ref)
    metrics = evaluate_model(
        model,
        data,
        text_col=text_col,
        label_col=label_col,
        positive=positive,
        baseline=baseline,
        baseline_train=baseline_train,
        group_col=group_col or None,
        texts=texts,
        progress=_progress(quiet),
        require_group=_group_named(),
    )
    for warning in metrics.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    click.echo(json.dumps(metrics, indent=2))


def register(cli: click.Group) -> None:
    """Add ``train`` and ``evaluate`` to *cli*."""
    cli.add_command(train_command)
    cli.add_command(evaluate_command)
