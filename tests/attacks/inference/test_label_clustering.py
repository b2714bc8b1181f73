"""k-means over stolen inputs recovers the labels of a separable dataset."""

from __future__ import annotations

import numpy as np

from qmlsec.attacks.inference.label_clustering import LabelClustering, match_clusters
from qmlsec.testing.victims import small_victim


def test_best_matching_names_clusters():
    named, purity = match_clusters(np.array([1, 1, 0, 0]), np.array([5, 5, 7, 7]))
    assert named.tolist() == [5, 5, 7, 7] and purity == 1.0


def test_labels_recovered_from_iris_inputs():
    victim = small_victim(n_qubits=2, layers=1, epochs=5, classes="0-1")
    attack = LabelClustering(victim.setup(LabelClustering).target, {"max_samples": 20})
    assert attack.run(victim.context()).metrics["recovered_fraction"] >= 0.9
