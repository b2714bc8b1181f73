"""Ansatz builders: gate layout, weight counts and entangling patterns."""

from __future__ import annotations

import pytest
from qiskit.circuit import ParameterVector

from qmlsec.circuits import ansatz_weights, build_ansatz, entangling_pairs
from qmlsec.exceptions import ConfigError


@pytest.mark.parametrize(
    ("pattern", "pairs"),
    [
        ("linear", [(0, 1), (1, 2), (2, 3)]),
        ("ring", [(0, 1), (1, 2), (2, 3), (3, 0)]),
        ("full", [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]),
    ],
)
def test_entangling_pairs(pattern, pairs):
    assert entangling_pairs(4, pattern) == pairs


def test_ring_on_two_qubits_has_one_pair():
    assert entangling_pairs(2, "ring") == [(0, 1)]


def test_unknown_pattern_raises():
    with pytest.raises(ConfigError):
        entangling_pairs(3, "star")


@pytest.mark.parametrize(
    "kind",
    [
        "hardware_efficient",
        "strongly_entangling",
        "basic_entangler",
        "real_amplitudes",
        "efficient_su2",
    ],
)
def test_ansatz_uses_every_weight_once_from_offset(kind):
    used = ansatz_weights(kind, 3, 2)
    theta = ParameterVector("theta", used + 5)
    qc, n = build_ansatz(kind, 3, 2, "linear", theta, offset=5)
    assert n == used
    assert sorted(p.index for p in qc.parameters) == list(range(5, 5 + used))


def test_hardware_efficient_layer_is_ry_rz_then_cnot_ring():
    theta = ParameterVector("theta", 6)
    qc, _ = build_ansatz("hardware_efficient", 3, 1, "ring", theta)
    names = [inst.operation.name for inst in qc.data]
    assert names == ["ry"] * 3 + ["rz"] * 3 + ["cx"] * 3


def test_strongly_entangling_ranges_follow_pennylane():
    theta = ParameterVector("theta", ansatz_weights("strongly_entangling", 4, 2))
    qc, _ = build_ansatz("strongly_entangling", 4, 2, "ring", theta)
    cx = [
        tuple(qc.find_bit(q).index for q in i.qubits) for i in qc.data if i.operation.name == "cx"
    ]
    assert cx[:4] == [(0, 1), (1, 2), (2, 3), (3, 0)]
    assert cx[4:] == [(0, 2), (1, 3), (2, 0), (3, 1)]


def test_too_short_theta_raises():
    with pytest.raises(ConfigError):
        build_ansatz("basic_entangler", 3, 2, "ring", ParameterVector("theta", 4))
