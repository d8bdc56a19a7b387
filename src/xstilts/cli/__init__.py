"""The ``xstilts`` command. Each subcommand lives in its own module with a ``register(app)``.

Errors caused by user input (XstiltsError) print one line to stderr and exit with code 2.
"""

from __future__ import annotations

import importlib
import sys

import typer

from xstilts.errors import XstiltsError

# Subcommand modules, each exposing register(app: typer.Typer).
SUBCOMMANDS = ("tasks", "data", "score", "run", "sweep", "results", "report", "study")

app = typer.Typer(
    help="English intermediate-task training and zero-shot cross-lingual transfer on XTREME.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for _name in SUBCOMMANDS:
    importlib.import_module(f"xstilts.cli.{_name}").register(app)


def main(argv: list[str] | None = None) -> int:
    try:
        # Outside standalone mode click *returns* a typer.Exit's code instead of raising it.
        code = app(args=argv, prog_name="xstilts", standalone_mode=False)
    except XstiltsError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        return 130
    except typer.TyperException as err:  # usage errors (missing option, bad value): exit 2
        err.show()
        return getattr(err, "exit_code", 2)
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
