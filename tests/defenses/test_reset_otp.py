"""Reset one-time pads against horizontal leakage: advantage to 0, cost in gates."""

from __future__ import annotations

import pytest
from qiskit.quantum_info import DensityMatrix

from qmlsec.defenses.provider.reset_otp import ResetOTP

LEAK = {"residuals": [0.0, 0.1, 0.3], "shots": [100], "pairs": 4}


@pytest.mark.parametrize("kind", ["quantum", "classical"])
def test_pads_remove_the_reset_leakage_advantage(iris_victim, kind):
    v = iris_victim
    ev = v.evaluate(ResetOTP({"kind": kind}), "leakage.reset", n_test=20, params=LEAK)  # fmt: skip
    assert ev.without > 0.05
    assert ev.with_defense < 1e-9
    assert ev.helped
    assert ev.cost.accuracy_drop == 0.0
    assert ev.cost.extra["pad_gates_per_qubit_per_shot"] == (2.0 if kind == "quantum" else 1.0)
    assert 0 < ev.cost.depth_overhead < 1


def test_quantum_pad_leaves_a_maximally_mixed_state_even_with_coherence():
    plus = DensityMatrix.from_label("+0")
    padded = ResetOTP({"kind": "quantum"}).pad(plus)
    assert abs(padded.purity() - 0.25) < 1e-12
    classical = ResetOTP({"kind": "classical"}).pad(plus)
    assert classical.purity() > 0.25  # the COTP keeps X-basis coherence
