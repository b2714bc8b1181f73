"""Transfer evasion: a substitute trained from victim answers, or handed over."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import QueryCounter, Target
from qmlsec.attacks.evasion.transfer import Transfer
from qmlsec.attacks.facts import ProxyModel
from qmlsec.attacks.local_endpoint import LocalEndpoint
from qmlsec.exceptions import RequirementError

SUB = {"n_qubits": 4, "layers": 2, "epochs": 20, "lr": 0.1}


@pytest.fixture
def labels_only(victim) -> Target:
    return Target.black_box(
        QueryCounter(LocalEndpoint(victim.model), output="labels"), output="labels"
    )


def test_substitute_is_trained_on_victim_answers_and_transfers(victim, labels_only):
    ctx = victim.context()
    result = Transfer(labels_only, {"eps": [0.2], "eps_units": "box", "substitute": SUB}).run(ctx)
    m = result.metrics
    assert labels_only.endpoint.stats.samples >= len(ctx.x_train)
    assert m["substitute_agreement"] > 0.6
    assert m["substitute_success_rate@0.2"] > 0
    assert m["success_rate@0.2"] > 0
    assert result.outputs["substitute"] is not None


def test_a_handed_over_substitute_is_used_as_is(victim, labels_only):
    ctx = victim.context(ProxyModel(victim.model))
    result = Transfer(labels_only, {"eps": [0.1], "eps_units": "box"}).run(ctx)
    assert result.outputs["substitute"] is victim.model
    # the victim itself as substitute: transfer equals white-box PGD
    assert result.metrics["success_rate@0.1"] == result.metrics["substitute_success_rate@0.1"]
    assert labels_only.endpoint.stats.samples == 2 * len(ctx.x_test)


def test_without_substitute_or_data_it_says_what_is_missing(victim, labels_only):
    ctx = victim.context()
    ctx.x_train = None
    with pytest.raises(RequirementError, match="substitute"):
        Transfer(labels_only).run(ctx)


def test_substitute_labels_unknown_to_it_fall_back_to_its_prediction(victim, labels_only):
    attack = Transfer(labels_only, {"substitute": SUB})
    attack.substitute_ = victim.model
    y = np.full(len(victim.y_test), 99)
    assert attack.generate(victim.x_test, y, eps=0.1).shape == victim.x_test.shape
