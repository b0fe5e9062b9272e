"""Developer tasks: ``nox -s tests lint typecheck codegen demo bench``."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "codegen"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (warnings are errors, see pyproject.toml)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package, the generator and the benchmarks."""
    session.install("-e", ".[dev,bench]")
    session.run("mypy", "--strict", "avala", "codegen", "tests/typing", "bench")


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate the sync facade; ``nox -s codegen -- --check`` only checks it."""
    session.install("-e", ".[dev]")
    session.run("python", "codegen/generate_sync.py", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Start the bundled server and run the main flows against it."""
    session.install(".")
    session.run("python", "-m", "avala.demo")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against raw aiohttp and httpx + pydantic (see bench/README.md)."""
    session.install("-e", ".[bench]")
    session.run("python", "-m", "bench", *session.posargs)
