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
