"""Defense harness: swapping the victim model keeps the attacker's foothold."""

from __future__ import annotations

from qmlsec.cloud.providers import QuantumCloud
from qmlsec.defenses.harness import setup_for, with_model
from qmlsec.testing.victims import small_victim


def test_with_model_keeps_the_attackers_cloud_and_position():
    victim = small_victim(n_qubits=2, layers=1, epochs=2, classes="0-1")
    other = small_victim(n_qubits=2, layers=1, epochs=3, classes="0-1")
    setup = setup_for("extraction.provider_theft", victim.model, victim.context(n_test=4))
    cloud = QuantumCloud(["fake_jakarta"], trust="honest-but-curious", seed=1)
    setup.target.cloud = cloud
    swapped = with_model(setup, other.model)
    assert swapped.target.cloud is cloud
    assert swapped.target.position == setup.target.position
    assert swapped.model is other.model and swapped.target.model is other.model
