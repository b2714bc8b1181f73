"""The report lays out at 1280 and 1920 px in headless Chromium: no horizontal overflow,
no empty sections (a screenshot of each width is kept beside the test's files)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]  # fmt: skip
# Measures the laid-out page and writes the result into the DOM (the report itself has
# no scripts; only this test's copy gets one).
PROBE = """<script>
window.addEventListener("load", () => {
  const root = document.documentElement;
  const wide = [...document.body.querySelectorAll("*")]
    .filter(e => !e.closest(".scroll") && e.getBoundingClientRect().right > root.clientWidth + 1)
    .map(e => e.tagName + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""));
  const empty = [...document.querySelectorAll("section")].filter(s => {
    const body = [...s.children].filter(c => !/^H[1-6]$/.test(c.tagName));
    return !body.length || body.every(c => !c.textContent.trim() && !c.querySelector("svg"));
  }).map(s => s.id);
  const out = document.createElement("pre");
  out.id = "layout-probe";
  out.textContent = JSON.stringify({scrollWidth: root.scrollWidth, clientWidth: root.clientWidth,
    wide: wide.slice(0, 10), empty, sections: document.querySelectorAll("section").length});
  document.body.appendChild(out);
});
</script>"""


@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium)"
)
@pytest.mark.parametrize("width", [1280, 1920])
def test_report_has_no_horizontal_overflow_and_no_empty_section(report_dir, tmp_path, width):
    html = (report_dir / "index.html").read_text()
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"))
    args = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={width},1000", "--virtual-time-budget=5000"]  # fmt: skip
    dom = subprocess.run([*args, "--dump-dom", probe.as_uri()], capture_output=True, text=True,
                         timeout=120)  # fmt: skip
    assert dom.returncode == 0, dom.stderr[-2000:]
    found = re.search(r'<pre id="layout-probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, "the layout probe did not run"
    layout = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert layout["sections"] >= 6
    assert layout["scrollWidth"] <= layout["clientWidth"], layout
    assert layout["wide"] == [], layout
    assert layout["empty"] == [], layout
    shot = tmp_path / f"report-{width}.png"
    subprocess.run([*args, f"--screenshot={shot}", (report_dir / "index.html").as_uri()],
                   capture_output=True, timeout=120, check=True)  # fmt: skip
    assert shot.stat().st_size > 10_000
