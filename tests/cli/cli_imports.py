"""Run `xstilts <args> --help` in a fresh interpreter and print which heavy libraries it imported."""

from __future__ import annotations

import contextlib
import io
import json
import sys

HEAVY = ("torch", "transformers", "seqeval", "sklearn", "pandas", "matplotlib", "datasets", "scipy")


def main(argv: list[str]) -> int:
    from xstilts.cli import main as cli

    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = cli([*argv, "--help"])
    print(json.dumps({"code": code, "help": out.getvalue(), "imported": [m for m in HEAVY if m in sys.modules]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
