"""The ``xstilts`` command. Each subcommand lives in its own module with a ``register(app)``.

Subcommand modules are imported only when their command runs (or prints its own help): the
libraries behind them (torch, transformers, pandas, ...) take seconds to import, and
``xstilts --help`` should not pay for them. tests/cli/test_imports.py guards this.

Errors caused by user input (XstiltsError) print one line to stderr and exit with code 2.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from xstilts.errors import XstiltsError

# name -> (module, one-line help shown by `xstilts --help` without importing the module).
# tests/cli/test_imports.py checks each line against the command's own docstring.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "tasks": ("xstilts.cli.tasks", "List every task with its kind, languages, and examples found locally per split and language."),
    "data": ("xstilts.cli.data", "Look at data files and fetch them from the Hugging Face hub."),
    "score": ("xstilts.cli.score", "Score XTREME predictions exactly as XTREME's evaluate.py does."),
    "run": ("xstilts.cli.run", "Run one trial: intermediate training, target training, zero-shot evaluation; store the results."),
    "sweep": ("xstilts.cli.sweep", "Plan and run sweeps of trials."),
    "results": ("xstilts.cli.results", "Print or export results, optionally filtered (e.g. --where intermediate_task=sst2)."),
    "report": ("xstilts.cli.report", "Analyse a results store: gains, throughput-gain correlations, batch/LR effects, plots."),
    "study": ("xstilts.cli.study", "Run a whole study: every trial of the sweep, then the report that answers the question."),
    "upgrade": ("xstilts.cli.upgrade", "Upgrade an older results store: newer columns, and each score's sampling error from its phase files."),
}


def load_subcommand(name: str) -> Any:
    """The click command ``name`` as its module registers it (imports the module)."""
    module, _ = SUBCOMMANDS[name]
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    importlib.import_module(module).register(holder)
    # A callback makes typer build a group even when the module registers a single command.
    holder.callback()(lambda: None)
    return typer.main.get_command(holder).commands[name]  # type: ignore[attr-defined]


class LazyGroup(TyperGroup):
    """A group whose subcommands are imported on first use; its own help lists them unimported."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(SUBCOMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in SUBCOMMANDS:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            return TyperCommand(name=cmd_name, help=SUBCOMMANDS[cmd_name][1])
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_subcommand(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            return super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    cls=LazyGroup,
    help="English intermediate-task training and zero-shot cross-lingual transfer on XTREME.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from xstilts import __version__

        typer.echo(f"xstilts {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(None, "--version", callback=_print_version, is_eager=True,
                                           help="Print the version and exit."),
) -> None:
    """English intermediate-task training and zero-shot cross-lingual transfer on XTREME."""


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
