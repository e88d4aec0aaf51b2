"""`outage-detector models list|show|promote`: the model registry.

Models are found on the registry's search path (``$OUTAGE_DETECTOR_MODELS``, the
user's models folder, the shipped models; see :mod:`detector.text.registry`), and
``promote`` records the default in the first writable folder. ``--models-dir``
pins everything to one folder. ``promote`` refuses a model that fails its
integrity checks (hash, trusted types, loads and classifies) even with ``--force``, and
without ``--force`` one trained to detect another class than the default (say
``complaint`` in place of ``outage``): no comparison says which of them is better.
``list`` and ``show`` say which models cannot be used (a malformed card, a missing
model file, a file failing its hash) instead of failing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from detector.errors import DataError, ModelError, UsageError


@click.group("models")
@click.option(
    "--models-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help=(
        "Use only this registry folder (default: $OUTAGE_DETECTOR_MODELS, then the user's "
        "models folder, then the shipped models)."
    ),
)
@click.pass_context
def models_group(ctx: click.Context, models_dir: Path | None) -> None:
    """List, inspect and promote trained models."""
    ctx.obj = {"root": models_dir}


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Registered models: name, created (UTC), CV F1 and PR-AUC, how the CV was split and
    the positive class when it is not outage; '*' marks the default, and a model that
    cannot be used is marked 'BROKEN: <why>'."""
    from detector.text.registry import OUTAGE_CLASS, list_models, models_root, same_positive

    models = list_models(ctx.obj["root"])
    if as_json:
        click.echo(json.dumps([m.to_dict() for m in models], indent=2))
        return
    if not models:
        click.echo(f"no models under {models_root(ctx.obj['root'])}", err=True)
        return
    width = max(len(m.name) for m in models)
    click.echo(f"  {'name':<{width}}  {'created':<20}  cv_f1  pr_auc  cv_folds")
    for m in models:
        f1 = "-" if m.cv_f1 is None else f"{m.cv_f1:.3f}"
        auc = "-" if m.cv_pr_auc is None else f"{m.cv_pr_auc:.3f}"
        folds = {True: "by source", False: "random", None: "-"}[m.cv_grouped]
        mark = "*" if m.is_default else " "
        notes = []
        if m.positive and not same_positive(m.positive, OUTAGE_CLASS):
            notes.append(f"detects '{m.positive}'")
        if m.problem:
            notes.append(f"BROKEN: {m.problem}")
        note = f"  [{'; '.join(notes)}]" if notes else ""
        click.echo(
            f"{mark} {m.name:<{width}}  {m.created or '-':<20}  {f1:<5}  {auc:<6}  {folds}{note}"
        )
    broken = [m.name for m in models if m.problem]
    if broken:
        click.echo(
            f"{len(broken)} model{'s' if len(broken) > 1 else ''} cannot be used "
            f"({', '.join(broken)}): see BROKEN above",
            err=True,
        )
    kinds = {m.cv_grouped for m in models} - {None}
    if kinds == {True, False}:
        click.echo(
            "random folds also score posts like the training ones (the same sources, "
            "self-written examples) and read higher than folds that hold out whole "
            "sources: compare models by the same kind, or with `evaluate` on your own "
            "labelled posts",
            err=True,
        )


@models_group.command("show")
@click.argument("name")
@click.pass_context
def show_command(ctx: click.Context, name: str) -> None:
    """Print the model card of NAME (a name or a model directory) as JSON; a warning on
    stderr when the model cannot be used (its file missing or failing its hash)."""
    from detector.text.modelstore import read_card
    from detector.text.registry import model_problem, resolve_model_dir

    directory, _ = resolve_model_dir(name, root=ctx.obj["root"])
    card = read_card(directory)
    click.echo(json.dumps(card, indent=2))
    problem = model_problem(directory, card)
    if problem:
        click.echo(f"warning: model '{name}' cannot be used: {problem}", err=True)


@models_group.command("promote")
@click.argument("name")
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Labelled file to compare NAME and the current default on. Repeatable.",
)
@click.option("--text-col", default="text", show_default=True)
@click.option("--label-col", default="label", show_default=True)
@click.option("--positive", default=None, help="Label value of the positive class.")
@click.option(
    "--force",
    is_flag=True,
    help="Promote even when NAME evaluates worse or detects another class than the "
    "default (a model failing its checks never is).",
)
@click.option(
    "--same-task",
    is_flag=True,
    help="NAME and the default detect the same posts under different label names (your "
    "'complained' is their 'outage'): compare them on --data instead of refusing.",
)
@click.pass_context
def promote_command(
    ctx: click.Context,
    name: str,
    data: tuple[Path, ...],
    text_col: str,
    label_col: str,
    positive: str | None,
    force: bool,
    same_task: bool,
) -> None:
    """Make NAME the default model, if it is not worse than the current default on --data.

    NAME must detect the same class as the default (its card's positive class, e.g.
    outage): a model of another task is refused (exit 65) unless --force, or --same-task
    when only the label names differ.
    """
    from detector.text.modelstore import load_model
    from detector.text.registry import (
        RESERVED_NAMES,
        default_name,
        find_model,
        is_name,
        resolve_model_dir,
        same_positive,
        set_default,
    )
    from detector.text.training import evaluate_model, model_positive

    root = ctx.obj["root"]
    if not is_name(name):
        raise UsageError(f"promote takes a model name under the registry. Got '{name}' instead.")
    if name in RESERVED_NAMES:
        raise UsageError(f"'{name}' is a name the model registry reserves; rename that folder")
    directory, _ = resolve_model_dir(name, root=root)
    if directory.resolve().parent != directory.parent.resolve():
        raise UsageError(
            f"promote takes a model folder inside the registry. '{name}' is a link to "
            f"'{directory.resolve()}'; copy the model into the registry instead."
        )
    # integrity first, whatever --force says: hash, trusted types, loads, predicts
    candidate = load_model(name, root=root)
    try:
        candidate.predict_posts(["is the service down?", "thanks for the help"])
    except Exception as err:
        raise ModelError(f"not promoting '{name}': it loads but cannot classify: {err}") from err
    current = default_name(root)
    result = {"promoted": name, "previous_default": current, "forced": force}
    has_current = find_model(current, root) is not None
    if has_current and current != name:
        detects = model_positive(candidate)
        current_detects = _detects(current, root)
        result["detects"] = {name: detects, current: current_detects}
        if current_detects is not None and not same_positive(detects, current_detects):
            mismatch = (
                f"'{name}' detects '{detects}' and the default '{current}' detects "
                f"'{current_detects}'"
            )
            if not (force or same_task):
                raise ModelError(
                    f"not promoting '{name}': {mismatch} (the positive class of their cards): "
                    "no comparison says which of them is better, and every command using the "
                    f"default would report '{detects}' posts as outages; if '{detects}' is "
                    f"your name for '{current_detects}' posts, add --same-task to compare "
                    "them, or use --force to promote it anyway"
                )
            click.echo(
                f"warning: {mismatch}; taken as the same task ("
                + ("--same-task" if same_task else "--force")
                + ")",
                err=True,
            )
        if data:
            kwargs: dict[str, Any] = {
                "text_col": text_col,
                "label_col": label_col,
                "positive": positive,
                # the tasks were compared above; a --positive of the user's is checked again
                "check_positive": positive is not None,
            }
            # both judged with the candidate's positive label (its card's) unless --positive
            new = evaluate_model(candidate, data, **kwargs, positive_of=candidate)
            old = evaluate_model(
                load_model(current, root=root), data, **kwargs, positive_of=candidate
            )
            for warning in [*new.get("warnings", []), *old.get("warnings", [])]:
                click.echo(f"warning: {warning}", err=True)  # a comparison that favours one
            memorised = _trained_on(name, new, data)
            if memorised and not force:
                raise DataError(memorised)
            result["f1"] = {name: new["f1"], current: old["f1"]}
            result["positive"] = new["positive"]
            if new["f1"] < old["f1"] and not force:
                raise DataError(
                    f"not promoting '{name}': F1 {new['f1']:.4f} on "
                    f"{', '.join(map(str, data))} is worse than the default '{current}' "
                    f"({old['f1']:.4f}{_fit_note(old)}); use --force to promote anyway"
                )
        elif not force:
            raise UsageError(
                f"promote needs --data FILE to compare '{name}' with the default '{current}' "
                "(or --force to promote without comparing)"
            )
    set_default(name, root)
    click.echo(json.dumps(result, indent=2))


def _detects(name: str, root: Path | None) -> str | None:
    """The class the model *name* detects (see :func:`~detector.text.training.model_positive`),
    from its card when it names one, else from the loaded model; None when it cannot be
    told (the model does not load: a broken default is no reason to keep it)."""
    from detector.text.modelstore import load_model
    from detector.text.registry import find_model, read_card
    from detector.text.training import model_positive

    directory = find_model(name, root)
    if directory is None:
        return None
    try:
        task = read_card(directory).get("task") or {}
        if task.get("positive"):
            return str(task["positive"])
        return model_positive(load_model(name, root=root))
    except ModelError:
        return None


#: promote refuses a candidate trained on this share of the comparison posts or more.
MEMORISED_SHARE = 0.01


def _fit_note(metrics: dict) -> str:
    """A note for a default judged on posts it was trained on (its F1 there is fit).

    >>> _fit_note({"trained_on": {"posts": 30, "n": 300, "share": 0.1}})
    ', trained on 30 of these 300 posts: partly fit, not quality'
    >>> _fit_note({"trained_on": None})
    ''
    """
    overlap = metrics.get("trained_on")
    if not overlap or overlap["share"] < MEMORISED_SHARE:
        return ""
    return (
        f", trained on {overlap['posts']} of these {overlap['n']} posts: "
        f"{'partly ' if overlap['share'] < 1 else ''}fit, not quality"
    )


def _trained_on(name: str, metrics: dict, data: tuple[Path, ...]) -> str | None:
    """Why *name* must not be promoted on *data* (None: it may): the comparison posts are
    ones it was trained on, so it would win by having memorised them."""
    files = ", ".join(map(str, data))
    overlap = metrics.get("trained_on")
    if overlap and overlap["share"] >= MEMORISED_SHARE:
        return (
            f"not promoting '{name}': {overlap['posts']} of {overlap['n']} posts "
            f"({overlap['share']:.1%}) of {files} are posts it was trained on, so it would "
            "be judged on posts it memorised; compare on posts it never saw (or use --force)"
        )
    if overlap is None and any(f" is a file {name} was" in w for w in metrics.get("warnings", [])):
        return (
            f"not promoting '{name}': {files} holds a file it was trained on (same sha256), so "
            "it would be judged on posts it memorised; compare on posts it never saw (or use "
            "--force)"
        )
    return None


def register(cli: click.Group) -> None:
    """Add the ``models`` group to *cli*."""
    cli.add_command(models_group)
