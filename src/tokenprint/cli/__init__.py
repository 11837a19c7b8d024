"""The ``tokenprint`` command line (also ``python -m tokenprint``).

Each module of this package exports ``SUBCOMMANDS``: (name, help, add_arguments(parser),
run(args) -> int) for each subcommand it holds; :func:`build_parser` lists the modules.
Bad input exits with status 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tokenprint import __version__
from tokenprint.errors import TokenprintError

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"tokenprint: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tokenprint",
        description="Environmental impacts of generative-AI requests.",
    )
    parser.add_argument("--version", action="version", version=f"tokenprint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    from tokenprint.cli import (  # on first use
        batch,
        catalog,
        check,
        compare,
        demo,
        estimate,
        recommend,
        report,
    )

    for mod in (estimate, catalog, compare, recommend, demo, check, report, batch):
        for name, help_, add, run in mod.SUBCOMMANDS:
            p = sub.add_parser(name, help=help_, description=help_)
            add(p)
            p.set_defaults(_run=run)
    parser.set_defaults(_commands=list(sub.choices))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run = getattr(args, "_run", None)
    if run is None:
        names = ", ".join(sorted(parser.get_default("_commands")))
        print(
            f"tokenprint: error: a command is required ({names}); see tokenprint --help",
            file=sys.stderr,
        )
        return 2
    try:
        code: int = run(args)
    except (TokenprintError, ValueError, TypeError) as exc:
        print(f"tokenprint: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
