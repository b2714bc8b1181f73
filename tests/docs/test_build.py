"""The documentation site builds with warnings as errors, and holds every page it must.

One strict build (``mkdocs build --strict``, as a person would run it) into a temporary
folder serves every test of this module: a broken link, a docstring mkdocstrings cannot
parse or a page missing from the generated sections fails here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qmlsec.killchain.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{log[-6000:]}"
    assert "WARNING" not in log, log[-6000:]
    (out / "_build_seconds").write_text(f"{time.monotonic() - start:.1f}")
    return out


def _page(site: Path, path: str) -> str:
    file = site / path / "index.html"
    assert file.is_file(), f"no page {path}/"
    return file.read_text(encoding="utf-8")


def test_every_technique_has_its_page(site: Path) -> None:
    kb = load_catalog()
    for t in kb.all_techniques():
        html = _page(site, f"techniques/{t.id}")
        assert t.id in html and "Prerequisites and what it provides" in html
        assert "Measured in the default assessment" in html
        for name in t.implemented_by:
            assert name in html, f"{t.id} page does not list {name}"


def test_every_mitigation_has_its_page(site: Path) -> None:
    kb = load_catalog()
    for m in kb.mitigations:
        html = _page(site, f"mitigations/{m.id}")
        assert m.id in html and "Techniques it acts on" in html
        for name in m.implemented_by:
            assert name in html, f"{m.id} page does not list {name}"


def test_technique_page_shows_parameters_and_measured_interval(site: Path) -> None:
    html = _page(site, "techniques/QML.T0011.000")
    assert "evasion.pgd" in html and "step_ratio" in html  # the Params model's fields
    effects = json.loads((ROOT / "docs/data/default-assessment.json").read_text())
    assert effects["source"]["command"].startswith("qmlsec assess")
    runs = [r for r in effects["runs"] if r["technique_id"] == "QML.T0011.000" and r["headline"]]
    if runs:  # the page shows each run's headline with n and interval
        assert f"n = {runs[0]['headline']['n']}" in html
        assert effects["source"]["generated_at"] in html


def test_cli_reference_lists_every_command(site: Path) -> None:
    from qmlsec.cli.main import COMMANDS

    html = _page(site, "reference/cli")
    for name in COMMANDS:
        assert f"qmlsec {name}" in html, name
    assert "qmlsec attack run" in html and "--deployment" in html


def test_api_reference_is_generated_from_docstrings(site: Path) -> None:
    html = _page(site, "reference/api/qmlsec/stats")
    assert "Wilson score interval" in html  # the module docstring
    assert "bootstrap_mean" in html  # a documented function


def test_site_entry_page_and_tutorials(site: Path) -> None:
    assert (site / "index.html").is_file()
    for page in sorted((ROOT / "docs/tutorials").glob("*.md")):
        _page(site, f"tutorials/{page.stem}")
