from __future__ import annotations

import json

from typer.testing import CliRunner

from qmlsec.cli.main import app

runner = CliRunner()


def test_devices_json_lists_the_catalog() -> None:
    result = runner.invoke(app, ["devices", "--json", "--min-qubits", "127"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    names = {d["name"] for d in doc["devices"]}
    assert "fake_brisbane" in names and doc["count"] == len(doc["devices"])
    assert all(d["num_qubits"] >= 127 for d in doc["devices"])
    brisbane = next(d for d in doc["devices"] if d["name"] == "fake_brisbane")
    assert 0 < brisbane["median_error_2q"] < 0.05 and brisbane["processor_family"] == "Eagle"


def test_devices_table_and_bad_option() -> None:
    result = runner.invoke(app, ["devices", "--min-qubits", "150"])
    assert result.exit_code == 0 and "fake_fez" in result.stdout
    bad = runner.invoke(app, ["devices", "--min-qubits", "-3"])
    assert bad.exit_code == 2
