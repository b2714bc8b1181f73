"""Finite-shot estimates: seeded, reproducible, converging, in every measurement basis."""

from __future__ import annotations

import math

import torch
from qiskit.quantum_info import SparsePauliOp

from qmlsec.circuits import QNNSpec
from qmlsec.engine import compile_circuit

OBS = [
    SparsePauliOp("IIZ"),
    SparsePauliOp("XXI"),
    SparsePauliOp.from_list([("YIZ", 0.5), ("ZZZ", -1.0), ("III", 0.25)]),
]


def _setup():
    spec = QNNSpec(n_qubits=3, layers=2)
    cc = compile_circuit(spec.build(), OBS)
    gen = torch.Generator().manual_seed(4)
    x = torch.rand(5, 3, dtype=torch.float64, generator=gen)
    theta = torch.rand(spec.n_weights, dtype=torch.float64, generator=gen) * 3
    return cc, x, theta


def test_identical_seeds_give_identical_estimates():
    cc, x, theta = _setup()
    a = cc.sample_expectations(x, theta, 200, torch.Generator().manual_seed(9))
    b = cc.sample_expectations(x, theta, 200, torch.Generator().manual_seed(9))
    c = cc.sample_expectations(x, theta, 200, torch.Generator().manual_seed(10))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_estimates_converge_to_exact_expectations():
    cc, x, theta = _setup()
    exact = cc.expectations(x, theta)
    shots = 40_000
    est = cc.sample_expectations(x, theta, shots, torch.Generator().manual_seed(0))
    # each term's standard error is at most |coef| / sqrt(shots)
    bound = 5 * 1.5 / math.sqrt(shots)
    assert (est - exact).abs().max() < bound
    coarse = cc.sample_expectations(x, theta, 50, torch.Generator().manual_seed(0))
    assert (coarse - exact).abs().mean() > (est - exact).abs().mean()


def test_measurement_groups_and_counts():
    cc, x, theta = _setup()
    assert cc.measurement.n_circuits == 3  # {IIZ, XXI}, {YIZ}, {ZZZ}: qubit-wise commuting
    counts = cc.sample_counts(x, theta, 123, torch.Generator().manual_seed(1))
    assert counts.shape == (5, 8)
    assert counts.sum(1).tolist() == [123] * 5


def test_sampled_executor_matches_shape():
    cc, x, theta = _setup()
    f = cc.executor(shots=100, generator=torch.Generator().manual_seed(2))
    assert f(cc.angles(x, theta)).shape == (5, 3)
