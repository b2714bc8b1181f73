"""``qmlsec attack list`` and ``qmlsec attack run`` end to end on a trained model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from qmlsec.cli.main import app
from qmlsec.data import load_dataset, split
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.persist import save_classifier

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    """A saved iris model whose metadata records its split, as `qmlsec train` writes it."""
    out = tmp_path_factory.mktemp("attack-cli") / "model"
    train, _ = split(load_dataset("iris", seed=0), test_size=0.3, seed=0)
    clf = QNNClassifier(n_qubits=4, layers=1, epochs=4, lr=0.1, random_state=0)
    clf.fit(np.array(train.X), np.array(train.y))
    meta = {"name": "iris", "classes": None, "test_size": 0.3, "seed": 0}
    save_classifier(clf, out, metadata={"dataset": meta})
    return out


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_shows_registered_attacks_with_requirements():
    data = _json(runner.invoke(app, ["attack", "list", "--json"]))
    rows = {row["name"]: row for row in data["attacks"]}
    assert rows["evasion.pgd"]["technique_id"] == "QML.T0011.000"
    assert rows["evasion.pgd"]["requires"] == ["input_gradients"]
    assert "eps" in rows["evasion.pgd"]["params"]
    only = _json(runner.invoke(app, ["attack", "list", "--family", "poisoning", "--json"]))
    assert {row["family"] for row in only["attacks"]} == {"poisoning"}


def test_run_pgd_writes_the_result_and_prints_json(model_dir, tmp_path):
    args = ["attack", "run", "evasion.pgd", "--model", str(model_dir), "--eps", "0.05,0.1",
            "--param", "steps=3", "--seed", "0", "--out", str(tmp_path), "--json"]  # fmt: skip
    data = _json(runner.invoke(app, args))
    assert data["params"]["eps"] == [0.05, 0.1] and data["params"]["steps"] == 3
    assert data["params"]["eps_units"] == "raw"  # raw feature units unless asked otherwise
    assert data["curves"]["eps_raw_radius"]["y"] == [0.05, 0.1]
    assert data["curves"]["robust_accuracy"]["x"] == [0.05, 0.1]
    stored = json.loads((tmp_path / "evasion.pgd.json").read_text())
    assert stored["metrics"] == data["metrics"]


def test_run_takes_params_from_yaml_and_flags_win(model_dir, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("rates: [0.1, 0.2]\n")
    args = ["attack", "run", "poisoning.label_flip", "--model", str(model_dir),
            "--params", str(params), "--param", "rates=[0.3]", "--json"]  # fmt: skip
    data = _json(runner.invoke(app, args))
    assert data["params"]["rates"] == [0.3]
    assert "accuracy_drop@0.3" in data["metrics"]


def test_black_box_run_counts_queries_and_shots(model_dir):
    args = ["attack", "run", "evasion.spsa", "--model", str(model_dir), "--eps", "0.1",
            "--param", "steps=2", "--param", "samples=2", "--samples", "5", "--shots", "100",
            "--json"]  # fmt: skip
    data = _json(runner.invoke(app, args))
    assert data["queries"]["samples"] > 0
    assert data["queries"]["shots"] == 100 * data["queries"]["samples"]
    assert len(data["per_sample"]["label"]) == 5


def test_human_output_shows_a_metrics_table(model_dir):
    result = runner.invoke(app, ["attack", "run", "evasion.fgsm", "--model", str(model_dir),
                                 "--eps", "0.1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "adversarial_accuracy@0.1" in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["evasion.pgdd"], 9, "did you mean"),
        (["poisoning.label_flip", "--eps", "0.1"], 2, "takes no eps"),
        (["evasion.pgd", "--param", "steps"], 2, "k=v"),
        (["evasion.pgd", "--param", "steps=-1"], 2, "steps"),
    ],
)
def test_errors_exit_with_their_code_and_say_why(model_dir, args, code, message):
    result = runner.invoke(app, ["attack", "run", *args, "--model", str(model_dir)])
    assert result.exit_code == code
    assert message in result.output


def test_missing_model_is_an_artifact_error(tmp_path):
    result = runner.invoke(app, ["attack", "run", "evasion.fgsm", "--model", str(tmp_path / "no")])
    assert result.exit_code == 4
