"""Training labels by k-means clustering of the inputs stolen from state-preparation jobs.

After the SoK on QMLaaS security (QML.T0024.000: labels never leave the classical
side, but classes separate in the encoded inputs a provider sees). The inputs come from
:class:`~qmlsec.attacks.inference.state_prep_theft.StatePrepTheft` (the provider's
``on_submit`` observer on the victim's training jobs); k-means with one cluster per class
groups them, and clusters are named by the assignment that best matches the labels
(Hungarian matching: the attacker learns the partition, not the class names).

Measured: recovered fraction (labels right after the best cluster-to-label mapping,
with its Wilson interval over the clustered inputs), cluster purity, and
``inputs_from_fact`` (whether the inputs came from an earlier stage). The inputs are
the :class:`~qmlsec.attacks.facts.TrainingInputs` fact when an earlier stage supplied
them (rows in the order of ``ctx.x_train``): the provider's theft of the
state-preparation angles (``inference.state_prep_theft``), the training data read on
the classical cloud, or the per-qubit readout a co-tenant leaked through crosstalk
(``leakage.crosstalk``), so a co-tenant runs this stage too. Without the fact the
attack runs the provider's theft itself, which needs circuit access (a provider
position); a co-tenant without leaked inputs has nothing to cluster and the stage
fails. Outputs: ``stolen_inputs`` and ``stolen_clusters`` (k-means ids); the labels
handed on are the clusters named by the best matching, as evaluated here.

Not covered: naming classes without any labelled example, a class count the attacker
does not know (it is taken from the evaluation labels), and inputs that do not cluster
by class (then it is chance).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import ClassVar

import numpy as np
from pydantic import Field
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import TrainingInputs, TrainingLabels
from qmlsec.attacks.inference.base import InferenceAttack
from qmlsec.attacks.inference.state_prep_theft import StatePrepTheft
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.exceptions import DataError, RequirementError


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
    requires: ClassVar[frozenset[Capability]] = frozenset()
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD, Position.CO_TENANT})
    # the provider steals the inputs itself; a co-tenant clusters what it leaked
    preferred_positions: ClassVar[tuple[Position, ...]] = (Position.UNTRUSTED_QUANTUM_CLOUD,)
    Params = LabelClusteringParams
    check_params: ClassVar[dict] = {"max_samples": 12, "shots": 64}

    def infer(self, inputs: np.ndarray, n_classes: int) -> np.ndarray:
        """Cluster index per recovered input (fewer distinct clusters when the inputs
        coincide, e.g. a leak that carried nothing)."""
        km = KMeans(
            n_clusters=n_classes, n_init=10, random_state=derive_seed(self.seed, "kmeans") % 2**31
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # duplicate inputs
            return km.fit_predict(inputs)

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        if ctx.x_train is None or ctx.y_train is None:
            raise DataError("label clustering needs the victim's training split in the context")
        stolen = ctx.facts.get(TrainingInputs)
        inputs = None if stolen is None else stolen.inputs
        if inputs is None:
            if self.target.position is not Position.UNTRUSTED_QUANTUM_CLOUD:
                raise RequirementError(
                    f"attack {self.name!r} has no training inputs to cluster: no earlier stage "
                    "handed them on and the target gives no circuit access to steal them",
                    hint="run a stage that provides know.training_inputs first (e.g. "
                    "leakage.crosstalk or inference.state_prep_theft), or attack as the provider",
                )
            # the provider position grants circuit access (its foothold, checked by the
            # setup); the theft runs on the provider's cloud, a fresh one when none is given
            provider = dataclasses.replace(
                self.target, capabilities=self.target.capabilities | {Capability.CIRCUIT_ACCESS}
            )
            theft = StatePrepTheft(
                provider,
                {"max_samples": p.max_samples, "shots": p.shots, "device": p.device},
                seed=self.seed,
            )
            inputs, _, _ = theft.infer(ctx.x_train[: p.max_samples])
        inputs = np.asarray(inputs, dtype=np.float64)
        y = np.asarray(ctx.y_train[: len(inputs)])
        clusters = self.infer(inputs, len(np.unique(y)))
        named, purity = match_clusters(clusters, y)
        result = self.new_result()
        result.per_sample = {"label": y.tolist(), "recovered_label": named.tolist()}
        result.metrics = {"recovered_fraction": float(np.mean(named == y)), "purity": purity,
                          "inputs_from_fact": float(stolen is not None)}  # fmt: skip
        result.establish(TrainingLabels(labels=named, clusters=clusters))
        result.outputs.update({"stolen_inputs": inputs})
        return result
