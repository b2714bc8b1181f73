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


COHERENT_X = {"residuals": [0.3], "shots": [100], "pairs": 4, "basis": "X",
              "channel": "coherent", "victim_measures": False}  # fmt: skip


def test_classical_pad_leaves_x_basis_leakage_that_the_quantum_pad_removes(iris_victim):
    v = iris_victim
    classical = v.evaluate(ResetOTP({"kind": "classical"}), "leakage.reset", n_test=20,
                           params=COHERENT_X)  # fmt: skip
    quantum = v.evaluate(ResetOTP({"kind": "quantum"}), "leakage.reset", n_test=20,
                         params=COHERENT_X)  # fmt: skip
    assert classical.without > 0.01  # the unmeasured victim states differ in <X>
    # the COTP keeps <X>: the X-basis advantage is untouched
    assert classical.with_defense == pytest.approx(classical.without, rel=1e-9)
    assert not classical.helped
    assert quantum.with_defense < 1e-9 and quantum.helped


def test_pads_on_the_reference_states(iris_victim):
    from qmlsec.attacks.leakage.reset import ResetLeakage
    from qmlsec.attacks.targets import Capability, Position, Target

    target = Target(position=Position.CO_TENANT,
                    capabilities=frozenset({Capability.SEQUENTIAL_TENANCY}))  # fmt: skip
    attack = ResetLeakage(target, COHERENT_X)
    cotp = attack.reference_advantages(0.3, pad=ResetOTP({"kind": "classical"}).pad)
    qotp = attack.reference_advantages(0.3, pad=ResetOTP({"kind": "quantum"}).pad)
    assert cotp["plus_minus_advantage_r0.3"] == pytest.approx(0.3)  # r * c survives the COTP
    assert qotp["plus_minus_advantage_r0.3"] == pytest.approx(0.0, abs=1e-12)
    z = ResetLeakage(target, {**COHERENT_X, "basis": "Z"})
    assert z.reference_advantages(0.3, pad=ResetOTP({"kind": "classical"}).pad)[
        "basis_state_advantage_r0.3"
    ] == pytest.approx(0.0, abs=1e-12)
