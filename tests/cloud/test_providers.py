from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit.library import XGate

from qmlsec.cloud.cost import CostAccount
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.ledger import ExposureLedger
from qmlsec.cloud.pricing import PricingModel
from qmlsec.cloud.providers import (
    CircuitTransformHook,
    ClassicalCloud,
    DeviceQueue,
    LoadModel,
    ProviderHook,
    QuantumCloud,
    QuantumJob,
    TrustLevel,
)
from qmlsec.cloud.tenancy import CoJob
from qmlsec.exceptions import ConfigError, NotFoundError

from .qnn_circuits import qnn, z_observables

SMALL = ["fake_manila", "fake_jakarta"]


def _job(n: int = 3, rows: int = 4, **kw) -> QuantumJob:
    qc = qnn(n)
    values = np.random.default_rng(0).uniform(-1, 1, (rows, qc.num_parameters))
    return QuantumJob("alice", qc, values, tuple(z_observables(n)), **({"shots": 128} | kw))


def test_requested_policy_and_unknown_device() -> None:
    cloud = QuantumCloud(SMALL, noise_scale=0.0)
    assert cloud.submit(_job(requested_device="fake_jakarta")).device == "fake_jakarta"
    with pytest.raises(NotFoundError):
        cloud.submit(_job(requested_device="fake_brisbane"))


def test_best_fidelity_and_cheapest_and_least_busy_policies() -> None:
    manila, jakarta = get_device("fake_manila"), get_device("fake_jakarta")

    def fidelity(d):  # 18 one-qubit gates, 6 CNOTs, 3 readouts in qnn(3)
        return (
            (1 - d.median_error_1q) ** 18
            * (1 - d.median_error_2q) ** 6
            * (1 - d.median_readout_error) ** 3
        )

    best = max((manila, jakarta), key=fidelity)
    cloud = QuantumCloud(SMALL, policy="best-fidelity", noise_scale=0.0)
    assert cloud.submit(_job()).device == best.name
    prices = {
        "fake_manila": PricingModel(per_second_usd=5.0),
        "fake_jakarta": PricingModel(per_second_usd=0.1),
    }
    cheap = QuantumCloud(SMALL, policy="cheapest", device_pricing=prices, noise_scale=0.0)
    assert cheap.submit(_job()).device == "fake_jakarta"
    busy = LoadModel(arrival_rate_per_s=1.0, mean_service_s=50.0, device_load={"fake_manila": 0.0})
    least = QuantumCloud(SMALL, policy="least-busy", load=busy, noise_scale=0.0)
    least.clock = 100.0  # jakarta has accumulated background work, manila none
    assert least.submit(_job()).device == "fake_manila"


def test_queue_wait_is_deterministic_for_a_seed() -> None:
    load = LoadModel(arrival_rate_per_s=0.5, mean_service_s=5.0)

    def waits(seed: int) -> list[float]:
        q = DeviceQueue("fake_manila", load, seed=seed)
        return [q.submit(t, 1.0)[1] for t in (10.0, 20.0, 30.0, 40.0)]

    assert waits(1) == waits(1) != waits(2)
    assert all(w >= 0 for w in waits(1)) and sum(waits(1)) > 0
    a = QuantumCloud(SMALL, seed=3, load=load, noise_scale=0.0)
    b = QuantumCloud(SMALL, seed=3, load=load, noise_scale=0.0)
    ra = [a.submit(_job()).queue_wait_s for _ in range(3)]
    rb = [b.submit(_job()).queue_wait_s for _ in range(3)]
    assert ra == rb


def test_pricing_formulas() -> None:
    ibm = PricingModel()
    assert ibm.price(qpu_seconds=2.5, tasks=10, shots=1000) == pytest.approx(4.0)
    braket = PricingModel(scheme="per_task_shot")
    assert braket.price(qpu_seconds=99.0, tasks=10, shots=10_000) == pytest.approx(3.0 + 3.5)
    cloud = QuantumCloud(["fake_manila"], noise_scale=0.0, rep_delay_s=1e-3)
    res = cloud.submit(_job(rows=4, shots=100))
    assert res.circuits == 4 and res.qpu_seconds > 4 * 100 * 1e-3
    assert res.price_usd == pytest.approx(1.60 * res.qpu_seconds)
    assert res.finished_at == pytest.approx(res.started_at + res.qpu_seconds)


def test_trust_levels_restrict_hooks() -> None:
    class Spy(ProviderHook):
        def on_submit(self, job):
            pass

    class Tamper(ProviderHook):
        def transform_result(self, job, result):
            return result

    with pytest.raises(ConfigError):
        QuantumCloud(SMALL, trust="trusted").add_hook(Spy())
    curious = QuantumCloud(SMALL, trust=TrustLevel.HONEST_BUT_CURIOUS)
    curious.add_hook(Spy())
    with pytest.raises(ConfigError):
        curious.add_hook(Tamper())
    QuantumCloud(SMALL, trust="malicious").add_hook(Tamper())
    with pytest.raises(ConfigError):
        curious.add_hook(object())


def test_observing_hook_sees_circuits_and_results() -> None:
    seen: list = []

    class Spy(ProviderHook):
        def on_submit(self, job):
            seen.append(("submit", job.circuit, job.parameter_values.shape))

        def on_result(self, job, result):
            seen.append(("result", result.device))

    cloud = QuantumCloud(SMALL, noise_scale=0.0)
    cloud.add_hook(Spy())
    job = _job()
    cloud.submit(job)
    assert seen[0] == ("submit", job.circuit, (4, job.circuit.num_parameters))
    assert seen[1] == ("result", "fake_manila")


def test_malicious_hooks_change_device_circuit_result_and_timing() -> None:
    class Insider(ProviderHook):
        def allocate(self, job, device):
            return "fake_jakarta"

        def transform_result(self, job, result):
            from dataclasses import replace

            return replace(result, expectations=-result.expectations)

        def delay(self, job):
            return 7.0

    honest = QuantumCloud(SMALL, noise_scale=0.0, load=LoadModel(arrival_rate_per_s=0.0))
    evil = QuantumCloud(
        SMALL, trust="malicious", noise_scale=0.0, load=LoadModel(arrival_rate_per_s=0.0)
    )
    evil.add_hook(Insider())
    job = _job(shots=None)
    good, bad = honest.submit(job), evil.submit(job)
    assert (good.device, bad.device) == ("fake_manila", "fake_jakarta")
    np.testing.assert_allclose(bad.expectations, -good.expectations, atol=1e-9)
    assert bad.delay_s == 7.0 and bad.started_at == pytest.approx(7.0)
    assert set(bad.tampered) == {"allocate", "transform_result"}


def test_circuit_transform_hook_alters_execution() -> None:
    def flip_first(circuit: QuantumCircuit) -> QuantumCircuit:
        out = circuit.copy()
        out.append(XGate(), [0])
        return out

    cloud = QuantumCloud(["fake_manila"], trust="malicious", noise_scale=0.0)
    cloud.add_hook(CircuitTransformHook([flip_first]))
    clean = QuantumCloud(["fake_manila"], noise_scale=0.0).submit(_job(shots=None))
    dirty = cloud.submit(_job(shots=None))
    np.testing.assert_allclose(dirty.expectations[:, 0], -clean.expectations[:, 0], atol=1e-9)
    np.testing.assert_allclose(dirty.expectations[:, 1:], clean.expectations[:, 1:], atol=1e-9)
    assert "transform_circuit" in dirty.tampered


def test_co_scheduling_records_neighbouring_qubits() -> None:
    class Neighbour(ProviderHook):
        def co_schedule(self, job, placement):
            return [CoJob("mallory", placement.neighbours[:1], label="attacker")]

    load = LoadModel(co_tenancy=2.0, co_job_qubits=1)
    cloud = QuantumCloud(["fake_jakarta"], trust="malicious", load=load, noise_scale=0.0, seed=1)
    cloud.add_hook(Neighbour())
    res = cloud.submit(_job(n=3))
    dev = get_device("fake_jakarta")
    active = set(res.transpile.active_qubits)
    edges = {frozenset(e) for e in dev.coupling_map}
    assert any(c.tenant == "mallory" for c in res.co_jobs)
    for co in res.co_jobs:
        assert not set(co.qubits) & active
        assert any(frozenset((q, a)) in edges for q in co.qubits for a in active)
        assert co.start_s == res.started_at and co.duration_s == res.qpu_seconds


def test_submit_records_ledger_and_cost() -> None:
    ledger, cost = ExposureLedger(), CostAccount()
    cloud = QuantumCloud(["fake_manila"], ledger=ledger, cost=cost, noise_scale=0.0)
    for _ in range(3):
        cloud.submit(_job(rows=4, purpose="gradient"))
    forms = ledger.forms("quantum_cloud")
    assert forms["bound_parameters"] == ["angles in bound circuit"]
    assert forms["transpiled_circuit"] == ["native-gate circuit for fake_manila"]
    assert forms["measurement_results"] == ["counts"]
    bound = ledger.query(asset="bound_parameters")
    assert (
        len(bound) == 1
        and bound[0]["count"] == 12
        and bound[0]["receiver_trust"] == "honest-but-curious"
    )
    total = cost.summary()["by_purpose"]["gradient"]
    assert (total["jobs"], total["circuits"], total["shots"]) == (3, 12, 12 * 128)
    assert total["price_usd"] == pytest.approx(sum(r.price_usd for r in cloud.history))


def test_classical_cloud_records_and_enforces_trust() -> None:
    ledger = ExposureLedger()
    cloud = ClassicalCloud(trust="malicious", ledger=ledger)

    class Poison:
        def transform_data(self, step, asset, value):
            return [v + 100 for v in value] if asset == "reduced_features" else value

    cloud.add_hook(Poison())
    assert cloud.preprocess(lambda x: [v * 2 for v in x], [1, 2]) == [102, 104]
    assert cloud.loss(lambda p, y: sum(p) - sum(y), [1.0], [0.0]) == 1.0
    assert {e["asset"] for e in ledger.seen_by("classical_cloud")} == {
        "raw_data", "reduced_features", "predictions", "labels", "loss_values",
    }  # fmt: skip
    with pytest.raises(ConfigError):
        ClassicalCloud(trust="honest-but-curious").add_hook(Poison())


def test_placement_is_the_layout_the_shot_job_executes_on() -> None:
    # the cloud places and co-schedules the job where its measured circuit runs
    qc = qnn(4)
    values = np.random.default_rng(0).uniform(-1, 1, (1, qc.num_parameters))
    seen: list = []

    class Watch(ProviderHook):
        def co_schedule(self, job, placement):
            seen.append(placement)
            return ()

    cloud = QuantumCloud(["generic_grid_3x3"], trust="malicious", seed=3, noise_scale=0.0)
    cloud.add_hook(Watch())
    res = cloud.submit(QuantumJob("alice", qc, values, tuple(z_observables(4)), shots=64))
    assert seen[0].layout == tuple(res.transpile.final_layout)
    assert set(seen[0].active) == set(res.transpile.active_qubits)
    assert cloud.cache.find(res.transpile) is not None


def test_attacker_hooks_leave_a_footprint_under_the_acting_attack() -> None:
    class Spy(ProviderHook):
        def on_result(self, job, result):
            pass

    class Flip(ProviderHook):
        def transform_result(self, job, result):
            return replace(result, expectations=-result.expectations)

    ledger = ExposureLedger()
    curious = QuantumCloud(["fake_manila"], ledger=ledger, trust="honest-but-curious")
    with pytest.raises(
        ConfigError, match="honest-but-curious provider cannot carry a hook that modifies"
    ):
        curious.add_hook(Flip())
    curious.add_hook(Spy())
    with ledger.acting("recon.spy"):
        curious.submit(_job(rows=2))
    curious.submit(_job(rows=2))  # outside the attack: the workflow's own record
    seen = {(e["step"], e["asset"], e["receiver"]) for e in ledger.footprint("recon.spy")}
    assert ("observe", "measurement_results", "attacker") in seen
    assert ("observe", "bound_parameters", "attacker") in seen
    assert ledger.actors() == ["recon.spy"]
    evil = QuantumCloud(["ideal"], ledger=ledger, trust="malicious")
    evil.add_hook(Flip())
    with ledger.acting("tampering.flip"):
        evil.submit(_job(rows=1))
    tampered = ledger.footprint("tampering.flip")
    assert [(e["step"], e["asset"], e["form"]) for e in tampered if e["step"] == "tamper"] == [
        ("tamper", "measurement_results", "modified before hand-back")
    ]
