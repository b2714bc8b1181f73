"""An honest-but-curious provider recovers training inputs from the jobs it runs."""

from __future__ import annotations

from qmlsec.attacks.inference.state_prep_theft import StatePrepTheft
from qmlsec.testing.victims import small_victim


def test_every_training_input_and_weight_is_recovered():
    victim = small_victim(n_qubits=2, layers=1, epochs=5, classes="0-1")
    curious = victim.deployment(quantum={"trust": "honest-but-curious"})
    target = victim.setup(StatePrepTheft, deployment=curious).target
    assert target.cloud.trust.value == "honest-but-curious"
    m = StatePrepTheft(target, {"max_samples": 10, "shots": 64}).run(victim.context()).metrics
    assert m["recovered_fraction"] == 1.0 and m["weights_recovered_fraction"] == 1.0
