"""Provider-side parameter and result tampering."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qmlsec.attacks.tampering.measurement import MeasurementTampering, bias_counts, flip_bits
from qmlsec.attacks.tampering.parameter import ParameterTampering, tamper_angles
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="module")
def victim():
    return small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")


def tgt(model):
    return Target(
        Position.UNTRUSTED_QUANTUM_CLOUD, frozenset({Capability.PROVIDER_CONTROL}), model=model
    )


def test_angle_hook_at_zero_size_is_the_identity():
    qc = QuantumCircuit(1)
    qc.rz(0.3, 0)
    qc.sx(0)
    assert tamper_angles(qc, mode="perturb", size=0.0, rng=np.random.default_rng(0)) == qc


def test_replace_all_changes_every_rz():
    qc = QuantumCircuit(1)
    for a in (0.1, 0.2, 0.3):
        qc.rz(a, 0)
    out = tamper_angles(qc, mode="replace", size=1.0, rng=np.random.default_rng(0))
    assert len(out.data) == 2 * len(qc.data)
    ops = [(i.operation.name, float(i.operation.params[0])) for i in out.data]
    assert all(name == "rz" for name, _ in ops)
    for k, original in enumerate((0.1, 0.2, 0.3)):
        (_, kept), (_, shift) = ops[2 * k], ops[2 * k + 1]
        assert kept == original  # the victim's angle is still bound...
        net = (kept + shift) % (2 * np.pi)
        assert abs(net - original) > 1e-6  # ...but the net rotation is a new angle
        assert 0.0 <= kept + shift < 2 * np.pi  # uniform in [0, 2pi)
    nets = [(ops[2 * k][1] + ops[2 * k + 1][1]) for k in range(3)]
    assert len({round(v, 9) for v in nets}) == 3  # independent draws


def test_count_hooks():
    gen = np.random.default_rng(0)
    assert flip_bits({"01": 5}, 0.0, gen) == {"01": 5}
    assert flip_bits({"01": 5}, 1.0, gen) == {"10": 5}
    assert bias_counts({"01": 5}, 1.0, gen) == {"11": 5}
    assert sum(bias_counts({"00": 50, "01": 50}, 0.3, gen).values()) == 100


def test_parameter_tampering_identity_at_zero_and_drop_when_large(victim):
    params = {"sizes": (0.0, 2.0), "max_samples": 20, "shots": 512}
    result = ParameterTampering(tgt(victim.model), params, seed=0).run(victim.context())
    assert result.per_sample["prediction_0"] == result.per_sample["clean_prediction"]
    assert result.metrics["accuracy_drop_2"] > 0


@pytest.mark.parametrize("mode", ["bitflip", "bias", "swap"])
def test_measurement_tampering_identity_at_zero(victim, mode):
    params = {"mode": mode, "rates": (0.0, 0.5), "max_samples": 12, "shots": 256}
    result = MeasurementTampering(tgt(victim.model), params, seed=0).run(victim.context())
    assert result.per_sample["prediction_0"] == result.per_sample["clean_prediction"]
    assert result.metrics["accuracy_drop_0"] == 0.0
