"""Device fingerprinting: identification from noise, chance level without a noise difference."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.recon.fingerprint import DeviceFingerprint, probe_circuit
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.cloud.backends.measurement import bit_marginals
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.transpile import transpile_circuit


def run(params: dict, *, cloud: QuantumCloud | None = None, seed: int = 0):
    target = Target(Position.CO_TENANT, frozenset({Capability.CO_TENANCY}), cloud=cloud)
    ctx = AttackContext(np.zeros((1, 4)), np.zeros(1))
    return DeviceFingerprint(target, params, seed=seed).run(ctx)


def test_marginals_read_qubit_zero_last():
    p1 = bit_marginals({"001": 30, "011": 10, "000": 60}, 3)
    assert p1 == pytest.approx([0.4, 0.1, 0.0])


def test_probe_keeps_its_gates_and_the_trivial_layout():
    tc = transpile_circuit(probe_circuit(5, echo_pairs=3), get_device("fake_guadalupe"), seed=1)
    assert tc.report.final_layout == (0, 1, 2, 3, 4)
    assert tc.report.ops["x"] == 5 * 6 and tc.report.ops["sx"] == 10


def test_identifies_devices_from_their_noise_deterministically():
    params = {"candidates": ("fake_manila", "fake_quito", "fake_belem"), "enrol_runs": 1,
              "trials": 3, "shots": 300}  # fmt: skip
    first, second = run(params), run(params)
    m = first.metrics
    assert m["chance_accuracy"] == pytest.approx(1 / 3)
    assert m["identification_accuracy"] >= 0.9
    assert m["victim_identification_accuracy"] == 1.0
    assert first.facts["know.device"].device == "fake_manila" and first.provides == ["know.device"]
    assert m["shots_total"] == m["jobs"] * 2 * 300
    assert first.metrics == second.metrics
    assert first.per_sample == second.per_sample


def test_identical_calibrations_are_not_separable():
    lima, twin = (
        get_device("fake_lima").backend.target,
        get_device("fake_fractional").backend.target,
    )
    for q in range(5):  # the control: the same calibration under two names
        assert lima["measure"][(q,)].error == twin["measure"][(q,)].error
        assert lima["sx"][(q,)].error == twin["sx"][(q,)].error
    m = run({"candidates": ("fake_lima", "fake_fractional"), "device": "fake_lima",
             "enrol_runs": 1, "trials": 10, "shots": 300}).metrics  # fmt: skip
    assert m["chance_accuracy"] == 0.5
    assert abs(m["identification_accuracy"] - 0.5) <= 0.25


def test_probes_follow_the_providers_allocation_not_the_victims_device():
    cloud = QuantumCloud(["fake_quito", "fake_manila"], trust="malicious", seed=0)
    result = run({"candidates": ("fake_manila", "fake_quito"), "device": "fake_manila",
                  "enrol_runs": 1, "trials": 2, "shots": 300}, cloud=cloud)  # fmt: skip
    assert set(result.per_sample["true_device"][-2:]) == {"fake_quito"}
    assert result.facts["know.device"].device == "fake_quito"
    assert result.metrics["victim_identified"] == 0.0 and result.provides == []
    assert any("not on the victim's device" in n for n in result.notes)
