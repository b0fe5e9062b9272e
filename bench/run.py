"""Command line of the benchmark suite: ``python -m bench`` or ``python bench/run.py``.

Options:
    --quick        tiny counts and one repetition, to prove the harness works end to end
                   (implies --no-docs); the numbers mean nothing.
    --repeat N     repetitions (default 7; 1 with --quick). Contenders are interleaved in
                   each, in a rotating order.
    --out DIR      where latest.json goes (default bench/results/).
    --no-docs      do not rewrite docs/performance.md or docs/performance.png.
    --no-memory    skip the million-item memory walk.
    --no-import    skip the import-time measurement.
    --no-nginx     time against the bundled Python server only (no nginx column).
    --fail-on-miss exit with status 1 if any target is missed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=(
            "Benchmark avala against raw aiohttp and httpx + pydantic, against nginx serving "
            "canned answers and against the bundled Python server."
        ),
    )
    parser.add_argument(
        "--quick", action="store_true", help="tiny counts, one repetition, no docs (smoke test)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        metavar="N",
        help="repetitions (default 7; 1 with --quick)",
    )
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="results directory")
    parser.add_argument(
        "--no-docs", action="store_true", help="leave docs/performance.{md,png} alone"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory walk")
    parser.add_argument("--no-import", action="store_true", help="skip import-time runs")
    parser.add_argument(
        "--no-nginx",
        action="store_true",
        help="time against the bundled Python server only (no nginx column)",
    )
    parser.add_argument(
        "--fail-on-miss", action="store_true", help="exit 1 when a target is missed"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        _parser().error("--repeat must be >= 1")
    if __package__ in (None, ""):  # run as ``python bench/run.py``
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.harness import Options, run

    options = Options.from_args(args)
    return run(options)


if __name__ == "__main__":
    raise SystemExit(main())
