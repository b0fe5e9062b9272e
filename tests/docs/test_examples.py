"""Every ```python example in README.md and docs/**/*.md (the docs site's pages) runs, against
the bundled server. Every block runs: there is no way to opt out, so a page shows shell
commands in ```bash blocks and output in plain ``` blocks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from avala.testing import ServerHandle

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def examples() -> list[tuple[str, int, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = path.read_text()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            found.append((str(path.relative_to(ROOT)), line, match.group(1)))
    return found


EXAMPLES = examples()


def test_examples_were_found() -> None:
    assert len([e for e in EXAMPLES if e[0] == "README.md"]) >= 8
    for page in ("authentication", "quickstart", "pagination", "errors", "pacing"):
        assert any(e[0] == f"docs/{page}.md" for e in EXAMPLES), page


@pytest.mark.parametrize(
    ("doc", "line", "code"), EXAMPLES, ids=[f"{d}:{n}" for d, n, _ in EXAMPLES]
)
def test_example_runs(
    doc: str,
    line: int,
    code: str,
    local_env: ServerHandle,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if re.search(r"^(from|import) torch\b", code, re.M):
        pytest.importorskip("torch")  # the `torch` extra: .ci/run installs it and runs these
    if "Client()" in code and "except ValueError" in code:
        monkeypatch.delenv("AVALA_API_KEY")  # the example shows the missing-key error
    compiled = compile(code, f"{doc}:{line}", "exec")
    exec(compiled, {"__name__": "__example__"})
    out = capsys.readouterr().out
    if "print(" in code:
        assert out.strip()
    assert local_env.api_key not in out
