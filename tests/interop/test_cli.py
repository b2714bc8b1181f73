"""``qmlsec import`` then the ``--deployment`` commands, and the refusals, from the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from qmlsec.cli.main import app

from .conftest import USER_MODELS
from .qasm_files import UNDECLARED, write_model

runner = CliRunner()
MALICIOUS = ["--classical-trust", "malicious", "--quantum-trust", "malicious"]


def _invoke(args: list[str]) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def _ok(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def qasm_deployment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    manifest = write_model(root / "files")
    out = root / "deployment"
    payload = _ok(_invoke(["import", "qasm", manifest, "--dataset", "iris", *MALICIOUS,
                           "--device", "fake_manila", "--out", out, "--json"]))  # fmt: skip
    assert payload["agreement"]["max_abs_deviation"] < 1e-8
    assert payload["agreement"]["n_inputs"] == 32
    return out


def test_assess_quick_completes_on_an_imported_model(qasm_deployment: Path, tmp_path: Path) -> None:
    payload = _ok(_invoke(["assess", "--deployment", qasm_deployment, "--quick",
                           "--out", tmp_path / "report", "--json"]))  # fmt: skip
    assert payload["summary"]["runs"] >= 1 and payload["summary"]["paths_executed"] >= 1
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert "qasm" in report["victim"]["pipeline"]
    assert report["victim"]["spec"]["device"] == "fake_manila"


@pytest.mark.slow  # two retrainings of 20 epochs (~12 s); the fast twin is the test below
def test_poisoning_retrains_the_imported_model(qasm_deployment: Path) -> None:
    payload = _ok(_invoke(["attack", "run", "poisoning.label_flip", "--deployment",
                           qasm_deployment, "--param", "rates=[0.3]", "--samples", "16", "--json"]))  # fmt: skip
    m = payload["metrics"]
    assert {"clean_accuracy", "accuracy@0.3", "flipped_fraction@0.3"} <= set(m), payload


def test_white_box_pgd_runs_on_the_imported_deployment(qasm_deployment: Path) -> None:
    payload = _ok(_invoke(["attack", "run", "evasion.pgd", "--deployment", qasm_deployment,
                           "--eps", "0.1", "--param", "steps=3", "--samples", "16", "--json"]))  # fmt: skip
    m = payload["metrics"]
    assert m["adversarial_accuracy@0.1"] <= m["clean_accuracy"]


def test_retrained_copy_keeps_architecture_and_preprocessing(qasm_deployment: Path) -> None:
    from qmlsec.cloud.deployment import Deployment

    d = Deployment.load(qasm_deployment)
    train, test = d.split()
    clf = d.model
    copy = type(clf)(**{**clf.get_params(), "epochs": 2}).fit(np.array(train.X), np.array(train.y))
    assert copy.spec() == clf.spec()
    assert copy.preprocessing_ is clf.preprocessing_
    assert not np.allclose(copy.model_.theta.detach(), clf.model_.theta.detach())
    assert 0.0 <= copy.score(test.X, test.y) <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pennylane", "qiskit-ml"])
def test_import_then_assess_quick(kind: str, tmp_path: Path) -> None:
    if kind == "pennylane":
        args = ["qmlsec_user_pennylane:model", "--preprocessing", "qmlsec_user_pennylane:scaler",
                "--dataset", "iris"]  # fmt: skip
    else:
        args = ["qmlsec_user_qiskit:classifier", "--preprocessing", "qmlsec_user_qiskit:scaler",
                "--dataset", "iris", "--classes", "0-1", "--labels", "0,1"]  # fmt: skip
    out = tmp_path / "deployment"
    payload = _ok(_invoke(["import", kind, *args, "--path", USER_MODELS, *MALICIOUS,
                           "--out", out, "--json"]))  # fmt: skip
    assert payload["agreement"]["max_abs_deviation"] < 1e-8
    summary = _ok(_invoke(["assess", "--deployment", out, "--quick", "--out",
                           tmp_path / "report", "--json"]))["summary"]  # fmt: skip
    assert summary["runs"] >= 1


def _refused(result: Any, text: str) -> None:
    assert result.exit_code not in (0, 1), result.output
    assert "Traceback" not in result.output
    assert "error" in result.output and text in " ".join(result.output.split())


def test_unsupported_pennylane_operation_exits_with_its_name(tmp_path: Path) -> None:
    np.savez(tmp_path / "w.npz", weights=np.array([0.1]))
    result = _invoke(["import", "pennylane", "qmlsec_user_pennylane:noisy", "--path", USER_MODELS,
                      "--weights", tmp_path / "w.npz", "--dataset", "iris", "--out", tmp_path / "d"])  # fmt: skip
    _refused(result, "DepolarizingChannel")
    assert not (tmp_path / "d").exists()


def test_qasm_without_declared_parameters_exits(tmp_path: Path) -> None:
    manifest = write_model(tmp_path / "m", qasm=UNDECLARED)
    result = _invoke(["import", "qasm", manifest, "--dataset", "iris", "--out", tmp_path / "d"])
    _refused(result, "declares no parameters")


def test_weights_of_the_wrong_shape_exit(tmp_path: Path) -> None:
    manifest = write_model(tmp_path / "m", n_weights=3)
    result = _invoke(["import", "qasm", manifest, "--dataset", "iris", "--out", tmp_path / "d"])
    _refused(result, "shape (3,) but the circuit declares 8")


def test_unknown_reference_exits(tmp_path: Path) -> None:
    result = _invoke(["import", "pennylane", "no_such_module:model", "--dataset", "iris",
                      "--out", tmp_path / "d"])  # fmt: skip
    _refused(result, "cannot import module 'no_such_module'")
