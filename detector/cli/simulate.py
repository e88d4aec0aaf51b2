"""`outage-detector simulate`: write a seeded synthetic export and its ground truth."""

from __future__ import annotations

from pathlib import Path

import click

from detector.simulate.export import FORMATS, simulate_export
from detector.simulate.scenarios import SCENARIOS


def _help() -> str:
    lines = [
        "Write a seeded synthetic export of posts (shaped like an X API v2 export: id, "
        "created_at, author_id, text) to FILE, and its ground truth to FILE's name with "
        "the extension replaced by .truth.json.",
        "",
        f"The format follows FILE's extension: {', '.join(FORMATS)}. The same options "
        "give byte-identical files.",
        "",
        "Scenarios:",
        "",
    ]
    for scenario in SCENARIOS.values():
        lines += [f"{scenario.name}: {scenario.summary}", ""]
    lines += [
        "Example: outage-detector simulate --scenario exchange-outage --out posts.csv --seed 1",
    ]
    return "\n".join(lines)


@click.command("simulate", help=_help(), short_help="Write a synthetic export with ground truth.")
@click.option(
    "--scenario",
    required=True,
    metavar="NAME",
    help=f"Scenario to simulate: {', '.join(SCENARIOS)}.",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Export to write; the truth goes beside it as <name>.truth.json.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed.")
@click.option(
    "--posts",
    type=click.IntRange(min=1),
    default=None,
    help="Exact number of posts (default: the scenario's own volume; load: 1,000,000).",
)
@click.option(
    "--days",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Length of the export in days (default: the scenario's own).",
)
def simulate(scenario: str, out: Path, seed: int, posts: int | None, days: float | None) -> None:
    result = simulate_export(scenario, out, seed=seed, posts=posts, days=days)
    n = len(result.outages)
    click.echo(
        f"wrote {result.rows:,} posts to {result.path} and the ground truth "
        f"({n} outage{'s' if n != 1 else ''}) to {result.truth_path}"
    )


def register(cli: click.Group) -> None:
    """Add this module's command(s) to *cli*."""
    cli.add_command(simulate)
