"""Every code block of the tutorials, the concept pages and the home page runs.

The default run executes each page's blocks in order, leaving out those marked slow; the
slow run (``-m slow``) executes every block of the page, slow ones included. The rules
(which languages run, the ``<!-- docs-test: ... -->`` marks) are in
:mod:`tests.docs.blocks`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .blocks import DOCS, Session, blocks, missing, pages

PAGES = [p for p in pages() if blocks(p)]


def _run_page(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, slow: bool) -> int:
    monkeypatch.chdir(tmp_path)
    session = Session(tmp_path)
    ran = 0
    try:
        for block in blocks(page):
            if "skip" in block.marks:
                continue
            if block.slow and not slow:
                continue
            module = block.marks.get("requires")
            if module and missing(module):
                pytest.skip(f"{block.where}: needs the optional module {module!r}")
            session.run(block)
            ran += 1
    finally:
        session.close()
    return ran


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if all(b.slow or "skip" in b.marks for b in blocks(page)):
        pytest.skip("every block of this page is marked slow")
    assert _run_page(page, tmp_path, monkeypatch, slow=False) > 0


SLOW_PAGES = [p for p in PAGES if any(b.slow for b in blocks(p))]


@pytest.mark.slow
@pytest.mark.parametrize("page", SLOW_PAGES, ids=[str(p.relative_to(DOCS)) for p in SLOW_PAGES])
def test_page_blocks_run_with_slow_steps(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _run_page(page, tmp_path, monkeypatch, slow=True) > 0


def test_tutorial_pages_have_runnable_blocks() -> None:
    for page in DOCS.glob("tutorials/*.md"):
        assert blocks(page), f"{page.name} has no code block the tests run"
