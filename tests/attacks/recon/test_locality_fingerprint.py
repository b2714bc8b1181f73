"""Locality fingerprinting: the victim's qubits from crosstalk on co-scheduled probes."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.facts import KnownDevice
from qmlsec.attacks.recon.locality_fingerprint import (
    CoRunHook,
    LocalityFingerprint,
    sensor_probe,
)
from qmlsec.attacks.recon.regions import connected_regions, jaccard, locate
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.cloud.crosstalk import qubit_distances
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.providers.jobs import Placement, QuantumJob
from qmlsec.cloud.tenancy import CoJob, concurrent_with
from qmlsec.testing.victims import small_victim

LINE = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6)]


def test_sensor_is_the_identity():
    from qiskit.quantum_info import Operator

    probe = sensor_probe(2, cycles=2)
    assert probe.num_qubits == 1 and probe.metadata["initial_layout"] == [2]
    assert Operator(probe).equiv(Operator(np.eye(2)))


def test_regions_are_the_connected_sets():
    regions = connected_regions(LINE, 7, 3)
    assert len(regions) == 7 + 6 + 5  # intervals of length 1, 2, 3 on a line
    assert (2, 3, 4) in regions and (2, 4) not in regions


def test_locate_recovers_a_planted_region_and_finds_nothing_in_silence():
    dist = qubit_distances(LINE, 7)
    regions = connected_regions(LINE, 7, 3)
    sigma = np.full(7, 0.01)
    planted = np.array([0.0, 0.05, 0.2, 0.0, 0.0, 0.2, 0.05])  # victim on (3, 4)
    est, gain = locate(planted, sigma, regions, dist, 3)
    assert est == (3, 4) and gain > 100
    assert locate(np.zeros(7), sigma, regions, dist, 3)[1] == 0.0
    assert jaccard((3, 4), (4, 5)) == pytest.approx(1 / 3)


def test_co_run_hook_runs_probes_beside_the_victim_only_on_free_qubits():
    assert concurrent_with([3], [CoJob("v", (1, 2))]) and not concurrent_with(
        [2], [CoJob("v", (1, 2))]
    )
    dev = get_device("fake_jakarta")
    hook = CoRunHook()
    victim = QuantumJob("victim", sensor_probe(1), np.zeros((1, 0)))
    assert hook.co_schedule(victim, Placement(dev, (0, 1), (0, 1), (2, 3))) == []
    assert hook.victim_qubits == (0, 1)
    free = QuantumJob("locality-prober", sensor_probe(5), np.zeros((1, 0)))
    busy = QuantumJob("locality-prober", sensor_probe(1), np.zeros((1, 0)))
    on5, on1 = Placement(dev, (5,), (5,), ()), Placement(dev, (1,), (1,), ())
    assert [c.label for c in hook.co_schedule(free, on5)] == ["victim"]
    assert hook.co_schedule(busy, on1) == []


def test_finds_the_victim_with_crosstalk_and_nothing_without():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    tgt = Target(Position.CO_TENANT, frozenset({Capability.CO_TENANCY}), model=victim.model)
    params = {"device": "fake_jakarta", "strengths": (0.0, 0.3), "trials": 2,
              "baseline_runs": 1, "victim_samples": 2, "max_region": 4}  # fmt: skip
    result = LocalityFingerprint(tgt, params, seed=0).run(victim.context())
    m = result.metrics
    assert m["victim_qubits"] == 2
    assert m["exact_match_s0.3"] == 1.0 and m["locality_jaccard_s0.3"] == 1.0
    assert m["detection_s0"] < 30 < m["detection_s0.3"]
    assert m["exact_match_s0"] <= 0.5 and m["locality_jaccard_s0"] <= 0.5
    assert 0 < m["chance_jaccard"] < 0.5 and m["locality_accuracy"] == 1.0
    truth = tuple(int(q) for q in result.per_sample["truth"][0].split(","))
    assert result.facts["know.colocation"].qubits == tuple(truth) and result.provides == [
        "know.colocation"
    ]


def test_claims_no_colocation_without_crosstalk():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    tgt = Target(Position.CO_TENANT, frozenset({Capability.CO_TENANCY}), model=victim.model)
    params = {"device": "fake_jakarta", "strengths": (0.0,), "trials": 1, "baseline_runs": 1,
              "victim_samples": 2, "max_region": 4}  # fmt: skip
    result = LocalityFingerprint(tgt, params, seed=1).run(victim.context())
    assert result.metrics["colocation_claimed"] == 0.0
    assert "know.colocation" not in result.facts and result.provides == []


def test_probes_on_another_device_than_the_victims_find_nothing():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    tgt = Target(Position.CO_TENANT, frozenset({Capability.CO_TENANCY}), model=victim.model)
    params = {"device": "fake_jakarta", "strengths": (0.3,), "trials": 1, "baseline_runs": 1,
              "victim_samples": 2, "max_region": 4}  # fmt: skip
    ctx = victim.context(KnownDevice("fake_nairobi"))  # a wrong fingerprinting result
    result = LocalityFingerprint(tgt, params, seed=0).run(ctx)
    m = result.metrics
    assert m["device_from_fingerprint"] == 1.0 and m["locality_accuracy"] == 0.0
    assert m["detection_s0.3"] < 30 and result.provides == []
    assert any("probes ran on fake_nairobi" in n for n in result.notes)


def test_sensor_job_runs_on_the_requested_qubit_alone():
    from qmlsec.cloud.providers import QuantumCloud

    cloud = QuantumCloud(["fake_guadalupe"], seed=0)
    res = cloud.submit(QuantumJob("a", sensor_probe(15), np.zeros((2, 0)), shots=64))
    assert res.transpile.final_layout == (15,) and res.transpile.active_qubits == (15,)
