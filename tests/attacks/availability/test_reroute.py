"""Rerouting to a congested device: slower inference and training on the simulated clock."""

from __future__ import annotations

import pytest

from qmlsec.attacks.availability.reroute import Reroute
from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="module")
def metrics():
    victim = small_victim(n_qubits=2, layers=1, epochs=5, classes="0-1")
    attack = Reroute(victim.setup(Reroute).target, Reroute.check_params, seed=0)
    return attack.run(victim.context(n_test=6)).metrics


def test_rerouted_inference_latency_increases(metrics):
    assert metrics["latency_p50_s"] > metrics["clean_latency_p50_s"] + 60.0
    assert metrics["latency_p99_s"] > metrics["clean_latency_p99_s"] + 60.0


def test_rerouted_training_takes_longer(metrics):
    assert metrics["training_time_increase_s"] > 60.0


def test_predictions_stay_correct_on_the_noiseless_congested_device(metrics):
    assert metrics["accuracy"] == metrics["clean_accuracy"]


def test_a_provider_day_without_warmup_can_hide_the_congestion():
    victim = small_victim(n_qubits=2, layers=1, epochs=5, classes="0-1")
    params = dict(Reroute.check_params, warmup_s=0.0, congestion=1.0)
    attack = Reroute(victim.setup(Reroute).target, params, seed=0)
    m = attack.run(victim.context(n_test=6)).metrics
    assert m["latency_increase_p50_s"] < 60.0


def test_congested_device_defaults_to_one_that_fits_the_victim():
    from qmlsec.attacks.availability.reroute import Reroute
    from qmlsec.cloud.devices import get_device
    from qmlsec.testing.victims import small_victim

    wide = small_victim("digits", n_qubits=8, layers=1, epochs=1, classes="0-1")
    attack = Reroute(wide.setup(Reroute).target, {"device": "fake_guadalupe"}, seed=0)
    name = attack.congested()
    assert name != "fake_guadalupe" and get_device(name).num_qubits >= 8
    narrow = small_victim(n_qubits=2, layers=1, epochs=1, classes="0-1")
    assert Reroute(narrow.setup(Reroute).target, {}, seed=0).congested() == "fake_jakarta"
