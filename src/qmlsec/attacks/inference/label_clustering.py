"""Training labels by k-means clustering of the inputs stolen from state-preparation jobs.

After the SoK on QMLaaS security (QML.T0024.000: labels never leave the classical
side, but classes separate in the encoded inputs a provider sees). The inputs come from
:class:`~qmlsec.attacks.inference.state_prep_theft.StatePrepTheft` (the provider's
``on_submit`` observer on the victim's training jobs); k-means with one cluster per class
groups them, and clusters are named by the assignment that best matches the labels
(Hungarian matching: the attacker learns the partition, not the class names).

Measured: recovered fraction (labels right after the best cluster-to-label mapping) and
cluster purity. The stolen inputs are the :class:`~qmlsec.attacks.facts.TrainingInputs`
fact when an earlier
stage supplied them (rows in the order of ``ctx.x_train``), else the attack runs the
theft itself. Outputs: ``stolen_inputs``, ``stolen_clusters`` (k-means ids) and
``stolen_labels`` (the clusters named by the best matching, as evaluated here).

Not covered: naming classes without any labelled example, a class count the attacker
does not know, and inputs that do not cluster by class (then it is chance).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import TrainingInputs, TrainingLabels
from qmlsec.attacks.inference.base import InferenceAttack
from qmlsec.attacks.inference.state_prep_theft import StatePrepTheft
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.exceptions import DataError


def match_clusters(clusters: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """Labels per sample under the best cluster -> label assignment, and cluster purity."""
    classes = np.unique(labels)
    ids = np.unique(clusters)
    table = np.array([[np.sum((clusters == c) & (labels == k)) for k in classes] for c in ids])
    rows, cols = linear_sum_assignment(-table)
    mapping = {ids[r]: classes[c] for r, c in zip(rows, cols, strict=True)}
    named = np.array([mapping.get(c, classes[0]) for c in clusters])
    return named, float(table.max(axis=1).sum() / max(1, len(labels)))


class LabelClusteringParams(FrozenModel):
    """Parameters of :class:`LabelClustering`."""

    max_samples: int = Field(default=60, ge=2)
    shots: int = Field(default=256, ge=1)
    device: str | None = None


class LabelClustering(InferenceAttack):
    """Provider clusters the stolen training inputs into classes (QML.T0024.000)."""

    name: ClassVar[str] = "inference.label_clustering"
    technique_id: ClassVar[str] = "QML.T0024.000"
    requires = frozenset({Capability.CIRCUIT_ACCESS})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = LabelClusteringParams
    check_params: ClassVar[dict] = {"max_samples": 12, "shots": 64}

    def infer(self, inputs: np.ndarray, n_classes: int) -> np.ndarray:
        """Cluster index per recovered input."""
        km = KMeans(
            n_clusters=n_classes, n_init=10, random_state=derive_seed(self.seed, "kmeans") % 2**31
        )
        return km.fit_predict(inputs)

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        if ctx.x_train is None or ctx.y_train is None:
            raise DataError("label clustering needs the victim's training split in the context")
        stolen = ctx.facts.get(TrainingInputs)
        inputs = None if stolen is None else stolen.inputs
        if inputs is None:
            theft = StatePrepTheft(
                self.target,
                {"max_samples": p.max_samples, "shots": p.shots, "device": p.device},
                seed=self.seed,
            )
            inputs, _, _ = theft.infer(ctx.x_train[: p.max_samples])
        inputs = np.asarray(inputs, dtype=np.float64)
        y = np.asarray(ctx.y_train[: len(inputs)])
        k = len(np.asarray(self.target.model.classes_))
        clusters = self.infer(inputs, k)
        named, purity = match_clusters(clusters, y)
        result = self.new_result()
        result.per_sample = {"label": y.tolist(), "recovered_label": named.tolist()}
        result.metrics = {"recovered_fraction": float(np.mean(named == y)), "purity": purity}
        result.establish(TrainingLabels(labels=named, clusters=clusters))
        result.outputs.update({"stolen_inputs": inputs})
        return result
