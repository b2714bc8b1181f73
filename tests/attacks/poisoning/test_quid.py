"""QUID: encoded states, centroid overlaps, farthest-class relabelling, damage."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import Statevector

from qmlsec.attacks import Capability, Position, Target
from qmlsec.attacks.poisoning.encoded import centroid_overlaps, encoded_states, encoding_circuit
from qmlsec.attacks.poisoning.label_flip import RandomLabelFlip
from qmlsec.attacks.poisoning.quid import QUID
from qmlsec.exceptions import RequirementError


def test_encoded_states_match_qiskit(victim):
    model, x = victim.model, victim.x_train[:3]
    states = encoded_states(model, x)
    circuit = encoding_circuit(model.spec())
    features = model.preprocessing_.transform(x)
    for state, row in zip(states, features, strict=True):
        ref = Statevector(circuit.assign_parameters(row.tolist())).data
        assert abs(np.vdot(ref, state)) ** 2 == pytest.approx(1.0)


def test_centroid_overlaps_equal_trace_with_centroid_density_matrices(victim):
    x, y = victim.x_train[:30], victim.y_train[:30]
    states = encoded_states(victim.model, x)
    overlaps = centroid_overlaps(states, y)
    for k, c in enumerate(np.unique(y)):
        members = states[y == c]
        rho_c = np.einsum("ni,nj->ij", members, members.conj()) / len(members)
        expected = np.einsum("ni,ij,nj->n", states.conj(), rho_c, states).real
        assert np.allclose(overlaps[:, k], expected)


def test_relabels_to_the_least_similar_other_class(victim, writer):
    x, y = victim.x_train, victim.y_train
    attack = QUID(writer, seed=0)
    _, y_p = attack.poison(x, y, rate=0.3)
    flipped = np.flatnonzero(y_p != y)
    overlaps = attack.overlaps(x, y)
    classes = np.unique(y)
    for i in flipped:
        others = [k for k, c in enumerate(classes) if c != y[i]]
        assert y_p[i] == classes[min(others, key=lambda k: overlaps[i, k])]


def test_poisons_the_same_samples_as_random_flipping_with_the_same_seed(victim, writer):
    x, y = victim.x_train, victim.y_train
    quid = QUID(writer, seed=5).poison(x, y, rate=0.2)[1] != y
    rand = RandomLabelFlip(writer, seed=5).poison(x, y, rate=0.2)[1] != y
    assert np.array_equal(quid, rand)


def test_quid_hurts_more_than_random_flipping_on_average(victim, writer):
    ctx = victim.context()
    drops = {"quid": [], "random": []}
    for seed in range(3):
        for key, cls in (("quid", QUID), ("random", RandomLabelFlip)):
            m = cls(writer, {"rates": [0.3]}, seed=seed).run(ctx).metrics
            drops[key].append(m["accuracy_drop@0.3"])
    assert np.mean(drops["quid"]) > np.mean(drops["random"]), drops


def test_needs_the_victims_encoder():
    blind = Target(Position.SUPPLY_CHAIN, frozenset({Capability.TRAINING_DATA_WRITE}))
    with pytest.raises(RequirementError, match="encoding"):
        QUID(blind)


def test_class_assignment_flips_each_class_to_its_least_similar_class(victim, writer):
    x, y = victim.x_train, victim.y_train
    attack = QUID(writer, {"assignment": "class"}, seed=0)
    _, y_p = attack.poison(x, y, rate=0.5)
    classes = np.unique(y)
    overlaps = attack.overlaps(x, y)
    own = np.searchsorted(classes, y)
    between = np.stack([overlaps[own == k].mean(axis=0) for k in range(len(classes))])
    for k, c in enumerate(classes):
        flipped = y_p[(y == c) & (y_p != y)]
        assert len(set(flipped.tolist())) == 1  # one target class per source class
        others = [j for j in range(len(classes)) if j != k]
        assert flipped[0] == classes[min(others, key=lambda j: between[k, j])]
    # the same samples as the per-sample rule
    assert np.array_equal(y_p != y, QUID(writer, seed=0).poison(x, y, rate=0.5)[1] != y)
