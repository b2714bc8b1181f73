"""qmlsec train / evaluate / predict / ledger from the command line."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from qmlsec.cli.main import app

runner = CliRunner()


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_train_evaluate_predict_and_ledger(tmp_path):
    out = tmp_path / "model"
    trained = _json(
        runner.invoke(
            app,
            ["train", "--dataset", "iris", "--classes", "", "--qubits", "4", "--layers", "2",
             "--epochs", "12", "--lr", "0.1", "--seed", "0", "--out", str(out), "--json"],
        )
    )  # fmt: skip
    assert {"test_accuracy", "train_seconds", "seed", "cost"} <= set(trained)
    assert trained["test_accuracy"] > 0.5 and trained["seed"] == 0

    evaluated = _json(runner.invoke(app, ["evaluate", str(out), "--json"]))
    assert evaluated["accuracy"] == trained["test_accuracy"]

    X = np.random.default_rng(0).uniform(0, 5, (3, 4))
    np.savez(tmp_path / "q.npz", X=X)
    predicted = _json(
        runner.invoke(
            app, ["predict", str(out), "--input", str(tmp_path / "q.npz"), "--proba", "--json"]
        )
    )
    assert len(predicted["labels"]) == 3
    np.testing.assert_allclose(np.sum(predicted["probabilities"], axis=1), 1.0)

    ledger = _json(runner.invoke(app, ["ledger", str(out), "--party", "classical_cloud", "--json"]))
    assert {e["asset"] for e in ledger["entries"]} >= {"raw_data", "labels"}


def test_bad_inputs_exit_with_the_error_code_and_a_message(tmp_path):
    missing = runner.invoke(app, ["evaluate", str(tmp_path / "none"), "--json"])
    assert missing.exit_code == 4  # ArtifactError
    assert "error" in missing.output
    bad = runner.invoke(app, ["train", "--dataset", str(tmp_path / "x.csv"), "--json"])
    assert bad.exit_code == 3  # DataError


def test_train_on_a_dataset_other_than_digits_uses_all_its_classes(tmp_path):
    out = tmp_path / "iris"
    _json(
        runner.invoke(
            app,
            ["train", "--dataset", "iris", "--qubits", "4", "--layers", "1", "--epochs", "1",
             "--out", str(out), "--json"],
        )
    )  # fmt: skip
    manifest = json.loads((out / "model" / "manifest.json").read_text())
    assert manifest["classes"] == [0, 1, 2]
    assert (
        manifest["metadata"]["dataset"]["n_train"] + manifest["metadata"]["dataset"]["n_test"]
        == 150
    )
