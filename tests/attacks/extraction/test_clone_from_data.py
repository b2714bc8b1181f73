"""A provider clones the victim from training inputs it stole and labels it clustered."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks import AttackContext
from qmlsec.attacks.evasion.transfer import Transfer
from qmlsec.attacks.extraction.clone_from_data import CloneFromData
from qmlsec.attacks.facts import ProxyModel, TrainingInputs, TrainingLabels
from qmlsec.attacks.inference.label_clustering import LabelClustering
from qmlsec.attacks.inference.state_prep_theft import StatePrepTheft, circuit_inputs
from qmlsec.testing.victims import small_victim

PARAMS = {"max_samples": 60, "shots": 64}


@pytest.fixture(scope="module")
def victim():
    return small_victim()


@pytest.fixture(scope="module")
def standalone(victim):
    attack = CloneFromData(victim.setup(CloneFromData).target, PARAMS, seed=0)
    return attack.run(victim.context())


def test_clone_from_stolen_data_is_well_above_chance(standalone, victim):
    m = standalone.metrics
    assert m["stolen_samples"] == 60
    assert m["stolen_label_accuracy"] == pytest.approx(0.917, abs=0.02)
    # measured 0.822 accuracy and 0.800 agreement on the 45 iris test inputs (chance 1/3)
    assert m["clone_accuracy"] >= 0.75 and m["clone_agreement"] >= 0.75
    assert m["victim_accuracy"] == pytest.approx(victim.model.score(victim.x_test, victim.y_test))
    assert any("theft and clustering run here" in n for n in standalone.notes)


def test_raw_space_substitute_is_the_clone_behind_the_victim_encoding(standalone, victim):
    clone, sub = standalone.outputs["clone"], standalone.outputs["substitute"]
    x = victim.x_test[:8]
    np.testing.assert_array_equal(sub.predict(x), clone.predict(circuit_inputs(victim.model, x)))
    assert sub.predict(victim.x_test).tolist() == standalone.per_sample["clone"]
    grad = sub.loss_gradient(x, victim.y_test[:8])
    assert grad.shape == x.shape and np.abs(grad).sum() > 0


def test_same_seed_gives_the_same_clone(standalone, victim):
    again = CloneFromData(victim.setup(CloneFromData).target, PARAMS, seed=0)
    assert again.run(victim.context()).per_sample == standalone.per_sample


def test_upstream_stages_feed_the_clone(standalone, victim):
    """state_prep_theft -> label_clustering -> clone_from_data through typed facts."""
    theft = StatePrepTheft(victim.setup(StatePrepTheft).target, {"max_samples": 40, "shots": 64})
    stolen = theft.run(victim.context()).facts[TrainingInputs.id]
    assert stolen.inputs.shape == (40, 4)
    clustering = LabelClustering(victim.setup(LabelClustering).target, {"max_samples": 60})
    labelled = clustering.run(victim.context(stolen))
    np.testing.assert_array_equal(labelled.outputs["stolen_inputs"], stolen.inputs)
    out = labelled.facts[TrainingLabels.id]
    assert len(out.labels) == len(out.clusters) == 40
    clone = CloneFromData(victim.setup(CloneFromData).target, PARAMS, seed=0)
    result = clone.run(victim.context(stolen, out))
    assert result.metrics["stolen_samples"] == 40
    assert result.metrics["stolen_label_accuracy"] == labelled.metrics["recovered_fraction"]
    assert any("upstream stages" in n for n in result.notes)
    assert result.metrics["clone_accuracy"] >= 0.7
    # with the inputs only, the clone clusters them itself
    inputs_only = clone.run(victim.context(stolen))
    assert inputs_only.metrics["stolen_samples"] == 40
    assert any("from clustering run here" in n for n in inputs_only.notes)
    assert inputs_only.metrics["clone_accuracy"] >= 0.7


def test_clone_learns_the_labels_it_is_handed(standalone, victim):
    """Rotated labels rotate the clone; the true labels close the gap to the victim."""
    inputs = circuit_inputs(victim.model, victim.x_train[:60])
    labels = np.asarray(victim.y_train[:60])
    attack = CloneFromData(victim.setup(CloneFromData).target, PARAMS, seed=0)
    rotated = attack.run(victim.context(TrainingInputs(inputs), TrainingLabels((labels + 1) % 3)))
    assert rotated.metrics["stolen_label_accuracy"] == 0.0
    assert rotated.metrics["clone_accuracy"] < 0.2
    exact = attack.run(victim.context(TrainingInputs(inputs), TrainingLabels(labels))).metrics
    # measured 0.933 (the victim's accuracy) against 0.822 with the clustered labels
    assert exact["clone_accuracy"] > standalone.metrics["clone_accuracy"] + 0.05


def test_transfer_evasion_attacks_with_the_clone(standalone, victim):
    result = Transfer(
        victim.setup(Transfer).target, {"eps": [0.3], "eps_units": "box"}, seed=0
    ).run(victim.context(*standalone.facts.values()))
    assert result.outputs["substitute"] is standalone.facts[ProxyModel.id].model
    assert result.metrics["substitute_agreement"] == standalone.metrics["clone_agreement"]
    assert result.metrics["adversarial_accuracy@0.3"] < result.metrics["clean_accuracy"]


def test_without_stolen_data_or_training_split_it_fails_clearly(victim):
    attack = CloneFromData(victim.setup(CloneFromData).target, PARAMS)
    with pytest.raises(Exception, match="stolen data"):
        attack.run(AttackContext(victim.x_test, victim.y_test))
