"""``qmlsec defend eval`` for the defenses measured through their own ``defended_run``."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qmlsec.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "model"
    out = runner.invoke(app, ["train", "--dataset", "iris", "--qubits", "4", "--layers", "2",
                              "--epochs", "5", "--classes",
                              "", "--out", str(path), "--json"])  # fmt: skip
    if out.exit_code != 0:
        pytest.skip(f"qmlsec train unavailable here: {out.output[-300:]}")
    return path


CASES = [
    ("circuit.rr_inverse", "circuit.trojan", ["counts=[0,2]", "max_samples=8", "shots=128"],
     "max_attack_success_rate", "depth_overhead"),
    ("circuit.artifact_signing", "circuit.qupt", ["max_samples=6", "shots=128"],
     "attack_success_rate", "signature_bytes"),
    ("provider.stiq", "extraction.provider_theft", ["n_train=40", "n_test=4"],
     "victim_identified", "circuit_multiplier"),
]  # fmt: skip


@pytest.mark.parametrize("defense,attack,attack_params,metric,cost_key", CASES)
def test_defend_eval_json_reports_the_headline_both_ways_and_the_cost(
    model_dir, defense, attack, attack_params, metric, cost_key
):
    args = ["defend", "eval", defense, "--against", attack, "--model", str(model_dir),
            "--samples", "12", "--json"]  # fmt: skip
    for p in attack_params:
        args += ["--attack-param", p]
    out = runner.invoke(app, args)
    assert out.exit_code == 0, out.output
    ev = json.loads(out.stdout)
    assert ev["defense"] == defense and ev["attack"] == attack and ev["metric"] == metric
    assert isinstance(ev["without"], float) and isinstance(ev["with"], float)
    assert ev["verdict"] in ("helped", "inconclusive", "made it worse", "detected")
    assert cost_key in ev["cost"] and ev["cost"]["seconds"] >= 0
    assert metric in ev["results"]["with"]["metrics"]
