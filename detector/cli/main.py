"""Entry point of the ``outage-detector`` command.

Maps every error to a BSD ``sysexits`` code and one line on stderr; ``--debug``
(anywhere on the command line) shows the traceback instead.
"""

from __future__ import annotations

import errno
import importlib
import logging
import sys
from collections.abc import Sequence

import click

from detector import __version__
from detector.errors import EX_IOERR, EX_SOFTWARE, EX_USAGE, DetectorError

#: errno values that can only mean an output could not be written.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


#: Command name -> the module that registers it (imported when the command is used, so
#: ``score`` does not import the API server and ``serve`` does not import the batch engine).
COMMANDS: dict[str, str] = {
    "score": "detector.cli.score",
    "demo": "detector.cli.score",
    "simulate": "detector.cli.simulate",
    "detect-series": "detector.cli.detect_series",
    "train": "detector.cli.train",
    "evaluate": "detector.cli.train",
    "serve": "detector.cli.serve",
    "models": "detector.cli.models",
}


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (:data:`COMMANDS`).

    >>> sorted(cli.list_commands(None))[:3]
    ['demo', 'detect-series', 'evaluate']
    """

    def list_commands(self, ctx: click.Context | None) -> list[str]:  # type: ignore[override]
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:  # type: ignore[override]
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(COMMANDS[cmd_name]).register(self)
        return self.commands.get(cmd_name)


@click.group(
    name="outage-detector",
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="outage-detector")
def cli() -> None:
    """Find service outages in social-media posts before the vendor announces them.

    Add --debug anywhere on the command line to see tracebacks and debug logs.
    """


def one_line(message: str) -> str:
    """*message* on one line (line breaks inside, e.g. from a library, become spaces).

    >>> one_line("bad file (no more data\\n)")
    'bad file (no more data )'
    """
    return " ".join(message.split("\n")).strip()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line and exit with the code the outcome maps to."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    args = [a for a in args if a != "--debug"]
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code = cli.main(args=args, prog_name="outage-detector", standalone_mode=False)
    except click.exceptions.Abort as stop:
        interrupted = isinstance(stop.__cause__, KeyboardInterrupt)
        click.echo("error: interrupted" if interrupted else "error: aborted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as stop:
        sys.exit(stop.exit_code)
    except click.exceptions.UsageError as err:
        if debug:
            raise
        where = err.ctx.command_path if err.ctx else "outage-detector"
        click.echo(f"error: {err.format_message()} (see: {where} --help)", err=True)
        sys.exit(EX_USAGE)
    except click.exceptions.ClickException as err:
        if debug:
            raise
        click.echo(f"error: {err.format_message()}", err=True)
        sys.exit(EX_USAGE)
    except DetectorError as err:
        if debug:
            raise
        click.echo(f"error: {one_line(str(err))}", err=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except OSError as err:
        if debug or err.errno not in _WRITE_ERRNOS:
            if debug:
                raise
            click.echo(
                f"error: internal error ({type(err).__name__}: {err}); "
                "rerun with --debug for details",
                err=True,
            )
            sys.exit(EX_SOFTWARE)
        where = f" {err.filename}" if err.filename else ""
        click.echo(f"error: cannot write{where}: {err.strerror or err}", err=True)
        sys.exit(EX_IOERR)
    except Exception as err:  # the last line of defence: never a traceback without --debug
        if debug:
            raise
        click.echo(
            f"error: internal error ({type(err).__name__}: {one_line(str(err))}); "
            "rerun with --debug for details",
            err=True,
        )
        sys.exit(EX_SOFTWARE)
    sys.exit(code if isinstance(code, int) else 0)
