"""Profile fabrication: the reported calibration is the paid device's, the machine is worse."""

from __future__ import annotations

import pytest

from qmlsec.attacks.hardware.profile_fabrication import (
    ProfileFabrication,
    characterisation_circuits,
    connected_qubits,
    flip_per_gate,
    matching,
    reported_profile,
)
from qmlsec.testing.victims import small_victim

PARAMS = {"noise_scales": (2.0,), "max_samples": 4, "shots": 128, "probe_shots": 4096}


@pytest.fixture(scope="module")
def run():
    victim = small_victim()
    setup = victim.setup("hardware.profile_fabrication", n_test=10, params=PARAMS)
    return setup, setup.run(0)


@pytest.mark.slow
def test_the_report_is_the_paid_calibration_and_the_measured_errors_exceed_it(run):
    _, result = run
    m = result.metrics
    qubits = connected_qubits("fake_manila", 5)
    assert (
        m["reported_readout_error"]
        == reported_profile("fake_manila", qubits, matching("fake_manila", qubits))["readout_error"]
    )
    # the honest run's readout estimate matches the calibration it reports
    assert m["readout_error_ratio_honest"] == pytest.approx(1.0, abs=0.1)
    # at twice the calibrated errors, and on the substitute, every quantity is worse
    for label in ("scale_2", "given"):
        assert m[f"readout_error_gap_{label}"] > 0.005
        assert m[f"error_2q_vs_honest_{label}"] > 1.5
        assert result.estimates()[f"readout_error_increase_{label}"].ci[0] > 0
    assert m["readout_error_ratio_scale_2"] == pytest.approx(2.0, rel=0.1)
    assert m["error_1q_vs_honest_given"] > 2.0
    assert m["fabricated_conditions_worse"] == 2 and m["profile_check_passed"] == 1.0
    assert result.provides == ["state.detection_evaded"]


@pytest.mark.slow
def test_dynamic_fingerprinting_sees_through_the_fabricated_profile(run):
    from qmlsec.defenses.provider.fingerprint_check import FingerprintCheck

    setup, _ = run
    attack = ProfileFabrication(setup.target, PARAMS, seed=0)
    check = FingerprintCheck({"shots": 4096}, seed=0)
    with attack.inject(1.0) as honest:
        assert not check.apply(honest)
    with attack.inject(2.0) as degraded:
        assert check.apply(degraded)
    with attack.inject(substitute="fake_quito") as substituted:
        assert check.apply(substituted)


def test_the_characterisation_circuits_keep_their_gate_pairs():
    qubits = connected_qubits("fake_manila", 5)
    pairs = matching("fake_manila", qubits)
    assert qubits == [0, 1, 2, 3, 4] and pairs == [(0, 1), (2, 3)]
    circuits = characterisation_circuits(qubits, pairs, depth=3, depth_1q=5)
    ops = {name: dict(qc.count_ops()) for name, qc in circuits.items()}
    assert ops["x"]["x"] == 2 * 5 * 5 and ops["cx"]["cx"] == 2 * 3 * 2
    assert ops["ro1"]["x"] == 5 and "x" not in ops["ro0"]


def test_flip_per_gate_inverts_the_decay():
    import numpy as np

    f, gates, e0, e1 = 0.002, 32, 0.02, 0.03
    p = (1 - (1 - 2 * f) ** gates) / 2
    read = p * (1 - e1) + (1 - p) * e0
    assert flip_per_gate(np.array([read]), np.array([e0]), np.array([e1]), gates)[0] == (
        pytest.approx(f, rel=1e-9)
    )
