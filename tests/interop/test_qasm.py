"""Files-only import: OpenQASM 3 + safetensors + manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from qiskit import qasm3
from qiskit.quantum_info import SparsePauliOp
from qiskit_machine_learning.connectors import TorchConnector
from qiskit_machine_learning.neural_networks import EstimatorQNN

from qmlsec.data import load_dataset
from qmlsec.exceptions import CircuitError, ConfigError
from qmlsec.interop import from_qasm

from .qasm_files import QASM, UNDECLARED, write_model


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_model(tmp_path_factory.mktemp("qasm") / "model")


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    ds = load_dataset("iris")
    return np.array(ds.X[::4][:32]), np.array(ds.y[::4][:32])


@pytest.fixture(scope="module")
def imported(files: Path, data: Any) -> Any:
    return from_qasm(files, sample_inputs=data[0])


def _source_net(files: Path) -> torch.nn.Module:
    """Raw features -> logits with Qiskit ML's parameter-shift gradients of the QASM circuit."""
    root = files.parent
    circuit = qasm3.loads(QASM)
    by_name = {p.name: p for p in circuit.parameters}
    obs = [SparsePauliOp(lab) for lab in ("IIIZ", "IIZI", "IZII")]
    obs.append(SparsePauliOp.from_list([("ZIII", 0.5), ("IIXX", 0.5)]))
    from qiskit.primitives import StatevectorEstimator

    qnn = EstimatorQNN(
        circuit=circuit, observables=obs, input_params=[by_name[f"x{k}"] for k in range(4)],
        weight_params=[by_name[f"w{k}"] for k in range(8)], estimator=StatevectorEstimator(),
        default_precision=0.0, input_gradients=True,
    )  # fmt: skip
    import safetensors.numpy

    theta = safetensors.numpy.load_file(str(root / "weights.safetensors"))["theta"]
    connector = TorchConnector(qnn, initial_weights=theta)
    head, pre = np.load(root / "head.npz"), np.load(root / "pre.npz")
    w, b = torch.as_tensor(head["W"]), torch.as_tensor(head["b"])
    mean, scale = torch.as_tensor(pre["mean"]), torch.as_tensor(pre["scale"])

    class Net(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return connector((x - mean) / scale).to(torch.float64) @ w.T + b

    return Net()


def test_agrees_with_qiskit_statevector_on_32_inputs(imported: Any, data: Any) -> None:
    assert imported.agreement_["n_inputs"] == 32
    assert imported.agreement_["max_abs_deviation"] < 1e-8
    assert imported.model_.compiled.n_weights == 8 and imported.model_.compiled.n_inputs == 4


def test_pgd_matches_pgd_on_qiskit_ml_gradients(
    imported: Any, data: Any, files: Path, pgd_pair: Any
) -> None:
    x, y = data[0][:4], data[1][:4]
    ours, theirs = pgd_pair(imported, _source_net(files), x, y, steps=2)
    assert np.max(np.abs(ours - theirs)) < 1e-6
    assert np.max(np.abs(ours - x)) > 0.01


def test_manifest_rejects_unknown_keys(files: Path) -> None:
    bad = files.with_name("bad.json")
    bad.write_text(json.dumps({**json.loads(files.read_text()), "optimiser": "adam"}))
    with pytest.raises(ConfigError, match="optimiser"):
        from_qasm(bad)


def test_circuit_without_declared_parameters_is_refused(tmp_path: Path) -> None:
    manifest = write_model(tmp_path / "m", qasm=UNDECLARED)
    with pytest.raises(CircuitError, match="declares no parameters"):
        from_qasm(manifest)


def test_weights_of_the_wrong_shape_are_refused(tmp_path: Path) -> None:
    manifest = write_model(tmp_path / "m", n_weights=5)
    with pytest.raises(ConfigError, match=r"shape \(5,\) but the circuit declares 8"):
        from_qasm(manifest)


def test_disagreement_is_refused_naming_the_deviation(files: Path, data: Any) -> None:
    with pytest.raises(CircuitError, match=r"max \|deviation\| = [0-9.e-]+ over 32 inputs"):
        from_qasm(files, sample_inputs=data[0], tolerance=-1.0)
