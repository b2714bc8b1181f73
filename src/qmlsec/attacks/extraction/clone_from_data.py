"""Proxy QNN trained on training data stolen by the quantum provider (QML.T0026).

Follows Upadhyay and Ghosh, "Quantum Data Breach" (ISQED 2025, arXiv:2407.14687): a
provider that sees the victim's state-preparation circuits during training recovers the
encoded training inputs, infers their labels by clustering, and trains a clone on them
(about 90% of labels recovered and about 90% clone accuracy in the paper's abstract).

The stolen data come from the earlier stages of the path when they ran:
the :class:`~qmlsec.attacks.facts.TrainingInputs` fact from ``inference.state_prep_theft``
and the :class:`~qmlsec.attacks.facts.TrainingLabels` fact from
``inference.label_clustering``. Otherwise the
attack runs both itself through the provider foothold on the first ``max_samples``
training inputs, so it also works standalone.

Spaces. The stolen inputs are *circuit inputs* (after the victim's classical PCA and
scaling and its feature map); the provider never sees raw features nor the classical
pre-processing. The clone is a QNN trained in that encoded space (``outputs["clone"]``).
It is evaluated on the victim's raw test inputs as the provider would see them when the
victim serves them: encoded by the victim's own pipeline (the angles its jobs carry,
which ``inference.state_prep_theft`` solves exactly). ``outputs["substitute"]`` composes
the victim's encoding with the clone so a later evasion stage can attack raw inputs;
using it assumes that stage's attacker holds the classical pre-processing (e.g. a
classical-cloud foothold) - the provider alone holds only the encoded-space clone.

Labels. Clusters are a permutation of the classes; ``inference.label_clustering`` names
them by the best matching against the true training labels, so the clone's accuracy is
accuracy up to the best permutation (the attacker learns the partition; naming the
classes needs one labelled example per class or their semantics).

Not covered: naming clusters without labels, label masking and modified cost functions
(the paper's defence), and pre-processing that is not the victim's PCA pipeline.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.extraction.base import ExtractionAttack
from qmlsec.attacks.extraction.substitute_fit import SubstituteArch, fit_substitute, one_hot
from qmlsec.attacks.facts import Facts, ProxyModel, TrainingInputs, TrainingLabels
from qmlsec.attacks.inference.label_clustering import LabelClustering
from qmlsec.attacks.inference.state_prep_theft import circuit_inputs
from qmlsec.attacks.metrics import agreement
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.exceptions import DataError
from qmlsec.models.classifier import QNNClassifier


class VictimEncoding:
    """Raw features -> the victim's circuit inputs -> the clone's own pre-processing.

    Differentiable (``torch_transform``), so white-box evasion runs through it.
    """

    def __init__(self, victim: Any, clone_preprocessing: Any) -> None:
        self.victim = victim
        self.clone_preprocessing = clone_preprocessing

    @property
    def n_features_in(self) -> int:
        return int(self.victim.preprocessing_.n_features_in)

    def torch_transform(self, x: torch.Tensor) -> torch.Tensor:
        encoded = self.victim.model_.spec.feature_map(self.victim.preprocessing_.torch_transform(x))
        return self.clone_preprocessing.torch_transform(encoded)

    def transform(self, X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            x = torch.as_tensor(np.asarray(X, dtype=np.float64))
            return self.torch_transform(x).numpy()


def raw_space(clone: QNNClassifier, victim: Any) -> QNNClassifier:
    """A copy of ``clone`` that takes raw features through the victim's encoding."""
    out = copy.copy(clone)
    out.preprocessing_ = VictimEncoding(victim, clone.preprocessing_)  # type: ignore[assignment]
    return out


class CloneFromDataParams(FrozenModel):
    """Parameters of :class:`CloneFromData`.

    Attributes:
        max_samples, shots, device: the theft and clustering run when no earlier stage
            supplied stolen data (first ``max_samples`` training inputs).
        arch, epochs, lr, batch_size: the clone and its training.
    """

    max_samples: int = Field(default=60, ge=2)
    shots: int = Field(default=256, ge=1)
    device: str | None = None
    arch: SubstituteArch = SubstituteArch()
    epochs: int = Field(40, ge=1)
    lr: float = Field(0.1, gt=0)
    batch_size: int = Field(16, ge=0)


class CloneFromData(ExtractionAttack):
    """Provider trains a clone on stolen encoded inputs and clustered labels."""

    name: ClassVar[str] = "extraction.clone_from_data"
    technique_id: ClassVar[str] = "QML.T0026"
    requires: ClassVar[frozenset[Capability]] = frozenset({Capability.CIRCUIT_ACCESS})
    positions: ClassVar[frozenset[Position]] = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params: ClassVar[type[FrozenModel]] = CloneFromDataParams
    check_params: ClassVar[dict[str, Any]] = {"max_samples": 16, "shots": 64, "epochs": 3}

    def stolen(self, ctx: AttackContext) -> tuple[np.ndarray, np.ndarray, str]:
        """Stolen circuit inputs and their labels: from upstream stages or run here."""
        held_inputs, held_labels = ctx.facts.get(TrainingInputs), ctx.facts.get(TrainingLabels)
        inputs = None if held_inputs is None else held_inputs.inputs
        if inputs is not None and held_labels is not None:
            return np.asarray(inputs, float), np.asarray(held_labels.labels), "upstream stages"
        if ctx.x_train is None or ctx.y_train is None:
            raise DataError(
                "cloning needs stolen data or the victim's training split to steal it from",
                hint="run inference.state_prep_theft and inference.label_clustering first, "
                "or pass x_train/y_train",
            )
        p = self.params
        facts = Facts() if held_inputs is None else Facts([held_inputs])
        sub_ctx = AttackContext(ctx.x_test, ctx.y_test, ctx.x_train, ctx.y_train, facts=facts)
        clustering = LabelClustering(
            self.target,
            {"max_samples": p.max_samples, "shots": p.shots, "device": p.device},
            seed=derive_seed(self.seed, "clustering"),
        ).run(sub_ctx)
        labelled = clustering.facts[TrainingLabels.id]
        assert isinstance(labelled, TrainingLabels)
        ran = "theft and clustering run here" if inputs is None else "clustering run here"
        return clustering.outputs["stolen_inputs"], labelled.labels, ran

    def extract(self, inputs: np.ndarray, labels: np.ndarray) -> QNNClassifier:
        """Fit the clone on stolen circuit inputs and labels (victim class values)."""
        p, victim = self.params, self.target.model
        classes = np.asarray(victim.classes_)
        index = np.searchsorted(classes, labels)
        clone = fit_substitute(
            inputs,
            one_hot(index, len(classes)),
            p.arch,
            epochs=p.epochs,
            lr=p.lr,
            batch_size=p.batch_size,
            seed=derive_seed(self.seed, "clone"),
        )
        clone.classes_ = classes
        return clone

    def _run(self, ctx: AttackContext) -> AttackResult:
        victim = self.target.model
        inputs, labels, source = self.stolen(ctx)
        clone = self.extract(inputs, labels)
        y_test = np.asarray(ctx.y_test)
        victim_pred = np.asarray(victim.predict(ctx.x_test))
        clone_pred = np.asarray(clone.predict(circuit_inputs(victim, ctx.x_test)))
        metrics: dict[str, Any] = {
            "clone_accuracy": float(np.mean(clone_pred == y_test)),
            "clone_agreement": agreement(clone_pred, victim_pred),
            "victim_accuracy": float(np.mean(victim_pred == y_test)),
            "stolen_samples": len(inputs),
        }
        if ctx.y_train is not None:
            truth = np.asarray(ctx.y_train)[: len(labels)]
            metrics["stolen_label_accuracy"] = float(np.mean(np.asarray(labels) == truth))
        result = self.new_result(
            metrics=metrics,
            per_sample={
                "y_true": y_test.tolist(),
                "victim": victim_pred.tolist(),
                "clone": clone_pred.tolist(),
            },
            provides=["know.proxy_model", "goal.model_stolen"],
            notes=[
                f"stolen data: {len(inputs)} samples from {source}",
                "clone works on circuit inputs; test inputs encoded as the victim's jobs carry them",
                "cluster names from the best matching: accuracy is up to that permutation",
            ],
        )
        substitute = raw_space(clone, victim)
        result.outputs.update({"clone": clone, "substitute": substitute})
        result.establish(ProxyModel(substitute, source=self.name))
        return result
