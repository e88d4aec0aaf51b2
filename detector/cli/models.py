"""`outage-detector models list|show|promote`: the model registry.

Models are found on the registry's search path (``$OUTAGE_DETECTOR_MODELS``, the
user's models folder, the shipped models; see :mod:`detector.text.registry`), and
``promote`` records the default in the first writable folder. ``--models-dir``
pins everything to one folder. ``promote`` refuses a model that fails its
integrity checks (hash, trusted types, loads and classifies) even with ``--force``.
"""

from __future__ import annotations

import json
from pathlib import Path

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
    """Registered models: name, created (UTC), CV F1 and PR-AUC and how the CV was split;
    '*' marks the default."""
    from detector.text.registry import list_models, models_root

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
        click.echo(f"{mark} {m.name:<{width}}  {m.created or '-':<20}  {f1:<5}  {auc:<6}  {folds}")
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
    """Print the model card of NAME (a name or a model directory) as JSON."""
    from detector.text.modelstore import read_card
    from detector.text.registry import resolve_model_dir

    directory, _ = resolve_model_dir(name, root=ctx.obj["root"])
    click.echo(json.dumps(read_card(directory), indent=2))


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
    help="Promote even when NAME evaluates worse (a model failing its checks never is).",
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
) -> None:
    """Make NAME the default model, if it is not worse than the current default on --data."""
    from detector.text.modelstore import load_model
    from detector.text.registry import (
        default_name,
        find_model,
        is_name,
        resolve_model_dir,
        set_default,
    )
    from detector.text.training import evaluate_model

    root = ctx.obj["root"]
    if not is_name(name):
        raise UsageError(f"promote takes a model name under the registry. Got '{name}' instead.")
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
        if data:
            kwargs = {"text_col": text_col, "label_col": label_col, "positive": positive}
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
