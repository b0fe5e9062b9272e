"""MkDocs hooks for the docs site (``hooks:`` in mkdocs.yml).

- The pages link to files outside ``docs/`` (``../examples/fastapi_app.py``,
  ``../bench/README.md``) so that they work when read on GitHub. On the site those files do not
  exist: such a link, when its target exists in the repository, is rewritten to the file on the
  repository host (``repo_url``); a link to a missing file is left alone, and ``--strict``
  reports it.
- ``PENDING_PAGES`` are nav entries for pages still being written: until the file exists the
  entry is left out of the nav (logged), and it appears by itself once the page lands. Every
  other nav entry must exist, as ``--strict`` checks.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.links")

PENDING_PAGES: frozenset[str] = frozenset()
BRANCH = "main"
_LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")


def _prune(nav: list[Any], docs_dir: Path) -> list[Any]:
    kept: list[Any] = []
    for entry in nav:
        if isinstance(entry, dict):
            pruned = {}
            for title, value in entry.items():
                if isinstance(value, list):
                    pruned[title] = _prune(value, docs_dir)
                elif isinstance(value, str) and _missing_pending(value, docs_dir):
                    continue
                else:
                    pruned[title] = value
            if pruned:
                kept.append(pruned)
        elif isinstance(entry, str) and _missing_pending(entry, docs_dir):
            continue
        else:
            kept.append(entry)
    return kept


def _missing_pending(page: str, docs_dir: Path) -> bool:
    if page in PENDING_PAGES and not (docs_dir / page).exists():
        log.info("nav: %s is not written yet; left out until it exists", page)
        return True
    return False


def on_config(config: Any) -> Any:
    if config.nav:
        config.nav = _prune(config.nav, Path(config.docs_dir))
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    docs_dir = Path(config.docs_dir).resolve()
    root = docs_dir.parent
    repo_url = (config.repo_url or "").rstrip("/")
    page_dir = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match[str]) -> str:
        target = match.group("target")
        if not repo_url or "://" in target or target.startswith(("/", "mailto:")):
            return match.group(0)
        path = (docs_dir / page_dir / target).resolve()
        if path.is_relative_to(docs_dir) or not path.is_relative_to(root) or not path.exists():
            return match.group(0)
        kind = "tree" if path.is_dir() else "blob"
        relative = path.relative_to(root).as_posix()
        anchor = match.group("anchor") or ""
        return f"]({repo_url}/{kind}/{BRANCH}/{relative}{anchor})"

    return _LINK.sub(rewrite, markdown)
