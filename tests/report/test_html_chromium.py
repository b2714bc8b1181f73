"""index.html renders in headless Chromium with its plots and no console errors."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--enable-logging=stderr", "--v=0"]  # fmt: skip


def test_index_is_self_contained(report_dir):
    html = (report_dir / "index.html").read_text()
    assert "<script" not in html
    assert not re.search(r'(src|href)="https?://', html)
    assert html.count("<svg") >= 4


@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)"
)
def test_index_renders_in_headless_chromium(report_dir, tmp_path):
    page = (report_dir / "index.html").as_uri()
    proc = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path}", "--dump-dom", page],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    for key in (
        "robust_accuracy",
        "extraction_agreement",
        "membership_roc",
        "accuracy_vs_noise",
        "costs",
    ):
        assert re.search(rf'id="plot-{key}".*?<svg', dom, re.S), f"plot {key} missing"
    assert 'id="killchain-matrix"' in dom and 'id="attack-paths"' in dom and 'id="ledger"' in dom
    console_errors = [
        line for line in proc.stderr.splitlines()
        if "CONSOLE" in line and ("ERROR" in line or "Uncaught" in line)
    ]  # fmt: skip
    assert not console_errors, console_errors
