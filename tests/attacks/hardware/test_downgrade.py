"""Hardware downgrade: accuracy and signal follow the substitute's error rates."""

from __future__ import annotations

from qmlsec.attacks.hardware.downgrade import HardwareDowngrade
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.testing.victims import small_victim


def test_degradation_is_monotone_in_the_error_scale_and_the_price_is_pocketed():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    tgt = Target(
        Position.UNTRUSTED_QUANTUM_CLOUD,
        frozenset({Capability.PROVIDER_CONTROL}),
        model=victim.model,
    )
    params = {"noise_scales": (1.0, 4.0, 16.0), "max_samples": 15, "shots": 2000}
    result = HardwareDowngrade(tgt, params, seed=0).run(victim.context())
    m = result.metrics
    assert m["accuracy_drop_scale_1"] == 0.0
    assert m["signal_retention_scale_1"] == 1.0
    assert 1.0 > m["signal_retention_scale_4"] > m["signal_retention_scale_16"]
    assert m["accuracy_drop_scale_16"] >= m["accuracy_drop_scale_4"] >= 0
    assert m["given_error_2q"] > m["paid_error_2q"]
    assert m["price_pocketed"] > 0


def test_inject_yields_the_provider_as_the_attacker_configures_it():
    from qmlsec.attacks.hardware.downgrade import SubstituteHook
    from qmlsec.cloud.providers import QuantumCloud

    cloud = QuantumCloud(["fake_manila"], trust="malicious", seed=0)
    tgt = Target(Position.UNTRUSTED_QUANTUM_CLOUD, frozenset({Capability.PROVIDER_CONTROL}),
                 cloud=cloud)  # fmt: skip
    attack = HardwareDowngrade(tgt, {"given_device": "fake_quito"}, seed=0)
    with attack.inject(substitute="fake_quito") as substituted:
        assert substituted is cloud  # the victim's own provider, hook installed
        (hook,) = cloud.hooks
        assert isinstance(hook, SubstituteHook) and hook.device == "fake_quito"
    assert cloud.hooks == []
    with attack.inject(4.0) as degraded:
        assert degraded is not cloud and degraded.noise_scale == 4.0
        assert [d.name for d in degraded.pool] == ["fake_manila"]
    with attack.inject() as genuine:
        assert genuine is cloud and genuine.hooks == []


def test_signal_lost_on_each_device_matches_its_calibrated_error_rates():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    tgt = Target(Position.UNTRUSTED_QUANTUM_CLOUD, frozenset({Capability.PROVIDER_CONTROL}),
                 model=victim.model)  # fmt: skip
    params = {"noise_scales": (4.0,), "max_samples": 20, "shots": 4000}
    m = HardwareDowngrade(tgt, params, seed=0).run(victim.context()).metrics
    for key in ("paid", "given", "scale_4"):
        measured, predicted = m[f"signal_kept_{key}"], m[f"predicted_signal_kept_{key}"]
        assert abs(measured - predicted) < 0.04, (key, measured, predicted)
    # fake_quito's errors are larger than fake_manila's: it keeps less of the signal
    assert m["predicted_signal_kept_given"] < m["predicted_signal_kept_paid"]
    assert m["signal_kept_given"] < m["signal_kept_paid"]
    assert m["signal_kept_scale_4"] < m["signal_kept_given"]


def test_calibration_model_is_exact_without_noise_and_shrinks_with_scale():
    from qiskit import QuantumCircuit

    from qmlsec.cloud.devices import get_device
    from qmlsec.cloud.fidelity import z_contraction

    qc = QuantumCircuit(5)
    qc.sx(0)
    qc.cx(0, 1)
    qc.sx(3)
    dev = get_device("fake_manila")
    assert z_contraction(qc, dev, (0, 1, 3), scale=0.0).tolist() == [1.0, 1.0, 1.0]
    one, four = z_contraction(qc, dev, (0, 1, 3)), z_contraction(qc, dev, (0, 1, 3), scale=4.0)
    assert (four < one).all() and (one < 1).all()
    # qubit 3 sees only its own gate and readout, not the CX's error
    assert one[2] > one[1]
