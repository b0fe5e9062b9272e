"""The ``avala`` command line: every resource from a shell (see docs/cli.md).

Installed as the ``avala`` console script; ``python -m avala.cli`` runs it too. Built on
click, with rich for tables and progress; the SDK and rich are imported only by the
commands that need them, so ``avala --help`` and ``avala --version`` start fast.
"""

from __future__ import annotations

from ._app import EXIT_CODES, cli

__all__ = ["EXIT_CODES", "cli", "main"]


def main() -> None:
    """Run the command line on ``sys.argv`` and exit with its status."""
    cli.main(prog_name="avala")
