"""`outage-detector serve`: run the live detection API under uvicorn.

Flags become ``OUTAGE_*`` environment variables (a flag wins over the variable), so
every worker process reads the same settings; they are validated, and the database,
catalog and model are opened once, before the server starts, so a mistake is one
clear line and exit code 64/65/66 instead of a failing worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port."
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite state file [env OUTAGE_DB; default outage-detector.db].",
)
@click.option("--api-key", help="Key that writes need [env OUTAGE_API_KEY; default: none].")
@click.option("--model", help="Model name under models/ or a path [env OUTAGE_MODEL].")
@click.option(
    "--catalog",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Service catalog file [env OUTAGE_CATALOG; default: the shipped catalog].",
)
@click.option("--bucket", help="Bucket width like 5min [env OUTAGE_BUCKET; default 5min].")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (each loads the model; one of them runs detection).",
)
@click.option(
    "--reads-open/--reads-closed",
    default=None,
    help="Whether reads work without the key [env OUTAGE_READS_OPEN; default open].",
)
@click.option(
    "--webhook",
    "webhooks",
    multiple=True,
    help="Webhook URL for incident alerts; repeat for several [env OUTAGE_WEBHOOKS].",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    help="uvicorn log level.",
)
def serve(
    host: str,
    port: int,
    db: Path | None,
    api_key: str | None,
    model: str | None,
    catalog: Path | None,
    bucket: str | None,
    workers: int,
    reads_open: bool | None,
    webhooks: tuple[str, ...],
    log_level: str,
) -> None:
    """Run the HTTP detection API (OpenAPI docs at /docs; settings in docs/api.md)."""
    import uvicorn

    from detector.api.runtime import preload
    from detector.api.settings import Settings

    flags = {
        "OUTAGE_DB": None if db is None else str(db.resolve()),
        "OUTAGE_API_KEY": api_key,
        "OUTAGE_MODEL": model,
        "OUTAGE_CATALOG": None if catalog is None else str(catalog.resolve()),
        "OUTAGE_BUCKET": bucket,
        "OUTAGE_READS_OPEN": None if reads_open is None else str(reads_open).lower(),
        "OUTAGE_WEBHOOKS": ",".join(webhooks) if webhooks else None,
    }
    env = {**os.environ, **{k: v for k, v in flags.items() if v is not None}}
    settings = Settings.from_env(env)
    preload(settings)  # a bad path or model fails here, as one line and an exit code
    os.environ.update(settings.to_env())
    os.environ["OUTAGE_DB"] = str(Path(settings.db_path).resolve())
    click.echo(
        f"outage-detector API on http://{host}:{port} (docs /docs; {workers} worker(s); "
        f"state {os.environ['OUTAGE_DB']}; writes "
        f"{'need the API key' if settings.api_key else 'open'})",
        err=True,
    )
    uvicorn.run(
        "detector.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_level=log_level,
        access_log=False,
        server_header=False,
    )


def register(cli: click.Group) -> None:
    """Add ``serve`` to *cli*."""
    cli.add_command(serve)
