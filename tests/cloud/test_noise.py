from __future__ import annotations

import numpy as np
import pytest
from qiskit_aer.noise import ReadoutError

from qmlsec.cloud.backends import AerBackend, DeviceBackend
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.noise import NoiseContext, NoiseSpec, NoiseTerm, device_noise, noise_from_parts
from qmlsec.exceptions import ConfigError

from .qnn_circuits import z_observables


def test_scale_zero_is_noiseless_and_equals_ideal(circuit3, values3) -> None:
    assert device_noise(get_device("fake_manila"), 0.0).is_noiseless
    obs = z_observables(3)
    ideal = AerBackend().expectations(circuit3, values3, obs)
    zero = DeviceBackend("fake_manila", noise_scale=0.0).expectations(circuit3, values3, obs)
    np.testing.assert_allclose(zero, ideal, atol=1e-9)


def test_scale_multiplies_readout_and_gate_errors() -> None:
    dev = get_device("fake_manila")
    one, two = device_noise(dev, 1.0), device_noise(dev, 2.0)
    ro1 = {t.qubits: t.error for t in one.terms if isinstance(t.error, ReadoutError)}
    ro2 = {t.qubits: t.error for t in two.terms if isinstance(t.error, ReadoutError)}
    q = (0,)
    p1, p2 = ro1[q].probabilities[0, 1], ro2[q].probabilities[0, 1]
    assert p2 == pytest.approx(min(0.5, 2 * p1))
    assert two.summary["median_error_2q"] == pytest.approx(2 * dev.median_error_2q)


def test_more_noise_moves_expectations_further_from_ideal(circuit3, values3) -> None:
    obs = z_observables(3)
    ideal = AerBackend().expectations(circuit3, values3, obs)
    gaps = [
        np.abs(
            DeviceBackend("fake_manila", noise_scale=s).expectations(circuit3, values3, obs) - ideal
        ).mean()
        for s in (0.5, 1.0, 3.0)
    ]
    assert 0 < gaps[0] < gaps[1] < gaps[2]


def test_negative_scale_rejected() -> None:
    with pytest.raises(ConfigError):
        device_noise(get_device("fake_manila"), -1.0)


def test_noise_from_parts_depolarizing_shrinks_expectations(circuit3, values3) -> None:
    obs = z_observables(3)
    spec = NoiseSpec(
        depolarizing_1q=0.01, depolarizing_2q=0.05, t1=50e-6, t2=40e-6, readout_error=0.03
    )
    noisy = AerBackend(noise=noise_from_parts(spec)).expectations(circuit3, values3, obs)
    ideal = AerBackend().expectations(circuit3, values3, obs)
    assert np.abs(noisy).sum() < np.abs(ideal).sum()
    assert noise_from_parts(spec.model_copy(update={"scale": 0.0})).is_noiseless


def test_noise_model_is_sliced_to_active_qubits() -> None:
    model = device_noise(get_device("fake_jakarta")).noise_model([4, 5])
    assert model is not None and sorted(model.noise_qubits) == [0, 1]


class FlipQubit:
    """A contributor that adds a bit flip after every sx on one physical qubit."""

    def __init__(self, physical: int) -> None:
        self.physical = physical
        self.contexts: list[NoiseContext] = []

    def terms(self, context: NoiseContext) -> list[NoiseTerm]:
        from qiskit_aer.noise import pauli_error

        self.contexts.append(context)
        return [NoiseTerm(pauli_error([("X", 1.0)]), ("measure",), (self.physical,))]


def test_contributor_sees_context_and_its_terms_take_effect(circuit3, values3) -> None:
    from qmlsec.cloud.backends.tail import readout_qubits

    obs = z_observables(3)
    plain = DeviceBackend("fake_manila", noise_scale=0.0)
    ran = plain.run(circuit3, values3, obs, shots=16, seed=1)
    # the ring's last CNOTs run on the measured bits: a measured bit feeds several outcomes
    assert ran.classical_tail is not None
    readout = readout_qubits(ran.transpile.final_layout, ran.classical_tail)
    # a measured qubit that logical qubit 0's outcome reads, and not every other one does
    watched = next(v for v in readout[0] if not all(v in qubits for qubits in readout))
    reads = [watched in qubits for qubits in readout]
    flip = FlipQubit(watched)
    backend = DeviceBackend("fake_manila", noise_scale=0.0, contributors=[flip])
    flipped = backend.expectations(circuit3, values3, obs, shots=4000, seed=1)
    exact = plain.expectations(circuit3, values3, obs)
    assert flip.contexts and flip.contexts[0].device == "fake_manila"
    assert set(flip.contexts[0].layout) <= set(flip.contexts[0].active)
    # an X before measuring that qubit flips every <Z_q> whose parity reads it, and no
    # other; 4000 shots: sigma <= 0.016
    sign = np.where(reads, -1.0, 1.0)
    np.testing.assert_allclose(flipped, exact * sign, atol=0.08)
    assert np.abs(flipped[:, 0] - exact[:, 0]).max() > 0.2


def test_noise_for_a_few_qubits_equals_the_whole_calibration_restricted():
    noise = device_noise(get_device("fake_jakarta"), 1.5)
    qubits = [4, 5, 6]
    part = noise.terms_on(qubits)
    whole = [t for t in noise.terms if t.qubits is not None and set(t.qubits) <= set(qubits)]
    assert len(part) == len(whole) > 0
    for a, b in zip(
        sorted(part, key=lambda t: (t.instructions, t.qubits)),
        sorted(whole, key=lambda t: (t.instructions, t.qubits)),
        strict=True,
    ):
        assert (a.instructions, a.qubits) == (b.instructions, b.qubits)
        assert a.error == b.error


def test_noise_models_are_built_once_per_qubit_tuple():
    noise = device_noise(get_device("fake_manila"), 0.7)
    first = noise.noise_model([0, 1])
    assert noise.noise_model([0, 1]) is first
    assert noise.noise_model([1, 0]) is not first  # another renumbering
    extra = [NoiseTerm(first._local_quantum_errors["sx"][(0,)], ("x",), (0,))]  # noqa: SLF001
    with_extra = noise.noise_model([0, 1], extra)
    assert with_extra is not first and noise.noise_model([0, 1], extra) is not with_extra
    assert sorted(with_extra.noise_instructions) == sorted({*first.noise_instructions, "x"})
