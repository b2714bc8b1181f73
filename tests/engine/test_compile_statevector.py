"""The compiled engine agrees with qiskit.quantum_info.Statevector on random circuits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit.quantum_info import SparsePauliOp, Statevector

from qmlsec.engine import compile_circuit

from .random_circuits import bind, random_circuit

SEEDS = range(16)


def _observables(n: int, seed: int) -> list[SparsePauliOp]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(3):
        labels = ["".join(rng.choice(list("IXYZ"), n)) for _ in range(2)]
        out.append(SparsePauliOp.from_list([(labels[0], 0.7), (labels[1], -0.4), ("Z" * n, 0.2)]))
    return out


def _inputs(cc, seed: int, batch: int = 3):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, cc.n_inputs, dtype=torch.float64, generator=gen)
    theta = torch.randn(cc.n_weights, dtype=torch.float64, generator=gen)
    return x, theta


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("fuse", [0, 8])
def test_state_and_expectations_match_statevector(seed, fuse):
    n = 1 + seed % 8
    qc = random_circuit(n, 24, seed)
    obs = _observables(n, seed)
    cc = compile_circuit(qc, obs, fuse_max_qubits=fuse)
    x, theta = _inputs(cc, seed)
    states, values = cc.state(x, theta), cc.expectations(x, theta)
    for b in range(x.shape[0]):
        sv = Statevector(bind(qc, x[b], theta))
        np.testing.assert_allclose(states[b].numpy(), sv.data, atol=1e-9)
        expected = [sv.expectation_value(o).real for o in obs]
        np.testing.assert_allclose(values[b].numpy(), expected, atol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_complex64_is_close(seed):
    qc = random_circuit(4, 20, seed)
    cc64 = compile_circuit(qc, dtype=torch.complex64)
    cc128 = compile_circuit(qc)
    x, theta = _inputs(cc128, seed)
    out = cc64.expectations(x.float(), theta.float())
    assert out.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), cc128.expectations(x, theta).numpy(), atol=1e-5)


@pytest.mark.parametrize("seed", range(6))
def test_probabilities_sum_to_one(seed):
    cc = compile_circuit(random_circuit(1 + seed, 30, seed))
    x, theta = _inputs(cc, seed, batch=4)
    probs = cc.probabilities(x, theta)
    assert probs.min() >= 0
    np.testing.assert_allclose(probs.sum(1).numpy(), np.ones(4), atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_per_row_weights_equal_shared_weights(seed):
    cc = compile_circuit(random_circuit(5, 30, seed), _observables(5, seed))
    x, theta = _inputs(cc, seed, batch=4)
    shared = cc.expectations(x, theta)
    rows = cc.expectations(x, theta.repeat(4, 1))
    from_angles = cc.expectations_from_angles(cc.angles(x, theta))
    torch.testing.assert_close(rows, shared, atol=1e-12, rtol=0)
    torch.testing.assert_close(from_angles, shared, atol=1e-12, rtol=0)


def test_circuit_without_inputs_or_weights():
    from qiskit import QuantumCircuit

    qc = QuantumCircuit(2)
    qc.h(0)
    qc.cx(0, 1)
    cc = compile_circuit(qc, ["ZZ", "XX", "IZ"])
    assert (cc.n_inputs, cc.n_weights, cc.n_angles) == (0, 0, 0)
    np.testing.assert_allclose(cc.expectations().numpy(), [[1.0, 1.0, 0.0]], atol=1e-12)
