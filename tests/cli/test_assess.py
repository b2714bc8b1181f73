"""qmlsec assess, qmlsec campaign run/status and qmlsec report from the command line."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from qmlsec.cli.main import app

runner = CliRunner()
CONFIG = {
    "victim": {"dataset": "iris", "classes": None, "qubits": 4, "layers": 1, "epochs": 2,
               "device": "fake_manila"},
    "profiles": ["curious-api-user"], "extra_profiles": [],
    "include": ["inference.membership_threshold"], "test_samples": 8, "max_paths": 1,
    "noise_scales": [0.0], "noise_samples": 2, "noise_shots": 64,
    "defenses": {"enabled": False},
}  # fmt: skip


def test_assess_with_a_config_writes_the_report(tmp_path):
    cfg = tmp_path / "assess.yaml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    out = tmp_path / "report"
    result = runner.invoke(
        app, ["assess", "--config", str(cfg), "--out", str(out), "--seed", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["seed"] == 3 and payload["summary"]["runs"] >= 1
    assert (out / "index.html").is_file() and (out / "report.json").is_file()


def test_assess_rejects_a_bad_config_with_exit_code_2(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("victim: {qubits: 0}\n")
    result = runner.invoke(app, ["assess", "--config", str(cfg)])
    assert result.exit_code == 2
    assert "victim.qubits" in result.output


def test_campaign_run_status_and_report(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({
        "name": "cli", "samples": 6,
        "models": [{"dataset": "iris", "classes": None, "qubits": 4, "layers": 1, "epochs": 2}],
        "attacks": [{"name": "evasion.fgsm", "grid": {"eps": [[0.1], [0.2]]}}],
    }))  # fmt: skip
    db = tmp_path / "r.db"
    ran = runner.invoke(app, ["campaign", "run", str(spec), "--db", str(db), "--json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["executed"] == 2
    status = runner.invoke(app, ["campaign", "status", str(db), "--json"])
    assert json.loads(status.stdout)["campaigns"]["cli"]["by_status"] == {"ok": 2}
    rep = runner.invoke(app, ["report", str(db), "--out", str(tmp_path / "rep"), "--json"])
    assert rep.exit_code == 0, rep.output
    assert json.loads((tmp_path / "rep" / "report.json").read_text())["kind"] == "campaign"


def test_campaign_status_of_a_missing_store_is_not_found(tmp_path):
    result = runner.invoke(app, ["campaign", "status", str(tmp_path / "none.db")])
    assert result.exit_code == 9
