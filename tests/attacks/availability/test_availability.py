"""Availability attacks measured on the cloud's simulated clock and cost account."""

from __future__ import annotations

import pytest

from qmlsec.attacks.availability.cost_harvest import CostHarvest
from qmlsec.attacks.availability.dos import DenialOfService
from qmlsec.attacks.availability.latency_injection import LatencyInjection
from qmlsec.attacks.availability.queue_flood import QueueFlood
from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="module")
def victim():
    return small_victim(n_qubits=2, layers=1, epochs=5, classes="0-1")


def run(cls, victim, **params):
    return cls(victim.setup(cls).target, params, seed=0).run(victim.context(n_test=6))


def test_latency_injection_adds_the_delay_to_inference_and_training(victim):
    m = run(LatencyInjection, victim, max_samples=4, train_steps=1, shots=64, delay_s=10.0).metrics
    assert m["latency_p50_s"] >= m["clean_latency_p50_s"] + 10.0
    assert m["training_time_increase_s"] == pytest.approx(10.0)


def test_dos_lowers_availability(victim):
    m = run(DenialOfService, victim, max_samples=6, shots=64, rate=1.0).metrics
    assert m["clean_availability"] == 1.0 and m["availability"] == 0.0


def test_queue_flood_makes_the_victim_wait(victim):
    m = run(QueueFlood, victim, max_samples=3, shots=64, flood_shots=2000).metrics
    assert m["latency_p50_s"] > m["clean_latency_p50_s"]


def test_cost_harvest_multiplies_the_bill(victim):
    m = run(CostHarvest, victim, max_samples=4, shots=64, factor=2.0).metrics
    assert m["cost_ratio"] == pytest.approx(3.0)


def test_runs_are_deterministic_for_a_seed(victim):
    a = run(QueueFlood, victim, max_samples=2, shots=64, flood_shots=500).metrics
    b = run(QueueFlood, victim, max_samples=2, shots=64, flood_shots=500).metrics
    assert a == b
