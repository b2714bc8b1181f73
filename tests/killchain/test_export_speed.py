"""``qmlsec threats export`` loads neither torch nor Qiskit (its speed is measured in bench/)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys, time
start = time.perf_counter()
from typer.testing import CliRunner
from qmlsec.cli.main import app
result = CliRunner().invoke(app, ["threats", "export", "--format", sys.argv[1]])
assert result.exit_code == 0, result.output
heavy = sorted(m for m in ("torch", "qiskit", "qiskit_aer", "sklearn") if m in sys.modules)
print(json.dumps({"seconds": time.perf_counter() - start, "heavy": heavy}))
"""


@pytest.mark.parametrize("fmt", ["attack-flow", "navigator", "navigator-atlas", "stix", "atlas"])
def test_export_loads_no_heavy_library(fmt):
    out = subprocess.run([sys.executable, "-c", PROBE, fmt], capture_output=True, text=True,
                         check=True, timeout=60)  # fmt: skip
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["heavy"] == []
