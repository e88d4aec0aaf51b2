"""`outage-detector serve`: run the live detection API under uvicorn.

Flags become ``OUTAGE_*`` environment variables (a flag wins over the variable), so
every worker process reads the same settings; they are validated, the port is bound,
and the database, catalog and model are opened once, before any worker starts, so a
mistake is one clear line and an exit code instead of a failing worker: 64 usage,
65/66 model or catalog, 69 port or database taken, 71 the system refuses the address,
73 the database cannot be created. The banner is printed only once the port listens
(requests sent from then on wait until the app has started),
and a failed start leaves no new database file behind. Workers die with this process
(see :mod:`detector.api.supervise`); request metrics of every worker meet in one
``PROMETHEUS_MULTIPROC_DIR`` folder made for this run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import sqlite3
import sys
import tempfile
from pathlib import Path

import click

from detector.errors import (
    EX_UNAVAILABLE,
    DetectorError,
    OutputError,
    SystemResourceError,
    UnavailableError,
)

_DB_SIDE_FILES = ("", "-wal", "-shm", "-journal", ".write.lock", ".detect.lock")


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to *host*:*port*, or one clear error (69 taken, 71 refused)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise SystemResourceError(f"cannot listen on {host!r}: {err.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise UnavailableError(
                f"port {port} on {host} is already in use (another server?); "
                "choose another with --port"
            ) from None
        raise SystemResourceError(
            f"cannot listen on {host}:{port}: {err.strerror or err}"
        ) from None
    # listening now: a client that connects once the banner is out waits in the backlog
    # while the app starts (replaying its state) instead of being refused
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _open_state(settings) -> str | None:  # type: ignore[no-untyped-def]
    """Open the database, model and catalog (:func:`preload`), as exit-coded errors; the
    warning for a model detecting another class than outage (as ``score`` gives it)."""
    from detector.api.runtime import preload
    from detector.text.registry import model_identity, positive_class_warning

    try:
        model = preload(settings)
        card = getattr(model, "card", None) or {}
        name = str(getattr(model, "name", None) or settings.model or "default")
        return positive_class_warning(
            model_identity(name, getattr(model, "path", None) or ".", card), command="serve"
        )
    except sqlite3.OperationalError as err:
        text = str(err)
        if "locked" in text or "busy" in text:
            raise UnavailableError(f"the database {settings.db_path!r} is locked: {text}") from None
        raise OutputError(
            f"cannot open or create the database {settings.db_path!r}: {text}"
        ) from None
    except sqlite3.DatabaseError as err:
        raise UnavailableError(f"the database {settings.db_path!r} cannot be used: {err}") from None
    except DetectorError:
        raise  # already one line with its own exit code (bad model, catalog, bucket)
    except OSError as err:  # no such folder under /proc, permission, read-only filesystem
        where = f" ({err.filename})" if err.filename not in (None, settings.db_path) else ""
        raise OutputError(
            f"cannot create the database {settings.db_path!r}: {err.strerror or err}{where}"
        ) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="TCP port."
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite state file [env OUTAGE_DB; default: outage-detector.db].",
)
@click.option("--api-key", help="Key that writes need [env OUTAGE_API_KEY; default: none].")
@click.option(
    "--model",
    help="Model name under models/ or a path [env OUTAGE_MODEL; default: the default model].",
)
@click.option(
    "--catalog",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Service catalog file [env OUTAGE_CATALOG; default: the shipped catalog].",
)
@click.option("--bucket", help="Bucket width like 5min [env OUTAGE_BUCKET; default: 1min].")
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
    help="Whether reads work without the key [env OUTAGE_READS_OPEN; default: open].",
)
@click.option(
    "--webhook",
    "webhooks",
    multiple=True,
    help="Webhook URL for incident alerts; repeat for several [env OUTAGE_WEBHOOKS].",
)
@click.option(
    "--allowed-hosts",
    help="Host names the server answers to, comma separated, '*' for any "
    "[env OUTAGE_ALLOWED_HOSTS; default: loopback names and --host].",
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
    allowed_hosts: str | None,
    log_level: str,
) -> None:
    """Run the HTTP detection API (OpenAPI docs at /docs; settings in docs/api.md)."""
    metrics_dir = tempfile.mkdtemp(prefix="outage-metrics-")
    # Before prometheus_client is imported anywhere: every worker writes its samples here.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        _serve(host, port, db, api_key, model, catalog, bucket, workers, reads_open, webhooks,
               allowed_hosts, log_level)  # fmt: skip
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def _serve(  # type: ignore[no-untyped-def]
    host, port, db, api_key, model, catalog, bucket, workers, reads_open, webhooks,
    allowed_hosts, log_level,
) -> None:  # fmt: skip
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from detector.api.settings import Settings
    from detector.api.supervise import MASTER_ENV

    loopback = {"127.0.0.1", "localhost", "::1", "[::1]"}
    hosts = allowed_hosts
    if hosts is None and host not in loopback | {"0.0.0.0", "::"}:
        hosts = ",".join(sorted(loopback | {host}))
    flags = {
        "OUTAGE_DB": None if db is None else str(db.resolve()),
        "OUTAGE_API_KEY": api_key,
        "OUTAGE_MODEL": model,
        "OUTAGE_CATALOG": None if catalog is None else str(catalog.resolve()),
        "OUTAGE_BUCKET": bucket,
        "OUTAGE_READS_OPEN": None if reads_open is None else str(reads_open).lower(),
        "OUTAGE_WEBHOOKS": ",".join(webhooks) if webhooks else None,
        "OUTAGE_ALLOWED_HOSTS": hosts,
    }
    env = {**os.environ, **{k: v for k, v in flags.items() if v is not None}}
    settings = Settings.from_env(env)
    sock = bind(host, port)  # 69/71 before anything is created
    db_path = Path(settings.db_path).resolve()
    # Files of the database that a failed start must remove again (those it creates).
    created = [f"{db_path}{s}" for s in _DB_SIDE_FILES if not os.path.lexists(f"{db_path}{s}")]
    started = False
    try:
        # a bad path or model fails here, as one line and an exit code
        other_class = _open_state(settings)
        os.environ.update(settings.to_env())
        os.environ["OUTAGE_DB"] = str(db_path)
        os.environ[MASTER_ENV] = str(os.getpid())
        bound = sock.getsockname()
        click.echo(
            f"outage-detector API on http://{host}:{bound[1]} (docs /docs; {workers} worker(s); "
            f"state {db_path}; writes "
            f"{'need the API key' if settings.api_key else 'open'})",
            err=True,
        )
        if other_class:  # as score warns: is_outage and the incidents mean that class
            click.echo(f"warning: {other_class}", err=True)
        config = uvicorn.Config(
            "detector.api.app:create_app",
            factory=True,
            host=host,
            port=bound[1],
            workers=workers,
            loop="uvloop",
            # httptools with a deadline for request headers (uvicorn has none)
            http="detector.api.headertimeout:HeaderTimeoutProtocol",
            log_level=log_level,
            access_log=False,
            server_header=False,
            timeout_keep_alive=5,
        )
        if workers > 1:
            started = True  # the workers ran (uvicorn logs a worker that failed)
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C / SIGINT: a clean stop
                Multiprocess(config, sockets=[sock]).run()
        else:
            config.load_app()
            server = uvicorn.Server(config)
            with contextlib.suppress(KeyboardInterrupt):
                server.run(sockets=[sock])
            started = server.started
    finally:
        sock.close()
        if not started:  # leave no file behind that this start created
            for path in created:
                with contextlib.suppress(OSError):
                    os.remove(path)
    if not started:
        click.echo("error: the API did not start (the lines above say why)", err=True)
        sys.exit(EX_UNAVAILABLE)


def register(cli: click.Group) -> None:
    """Add ``serve`` to *cli*."""
    cli.add_command(serve)
