"""QUID: label flipping guided by encoded-state similarity.

Example:
    >>> from qmlsec.attacks import Capability, Position, Target
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=1, epochs=2).fit(train.X, train.y)
    >>> target = Target(Position.SUPPLY_CHAIN, frozenset({Capability.TRAINING_DATA_WRITE}), model=clf)
    >>> _, y_p = QUID(target, seed=0).poison(train.X, train.y, rate=0.2)
    >>> int((y_p != train.y).sum())
    21
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import KnownEncoding
from qmlsec.attacks.poisoning.encoded import centroid_overlaps, encoded_states
from qmlsec.attacks.poisoning.flipping import LabelFlipping
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Target
from qmlsec.exceptions import RequirementError


class QUID(LabelFlipping):
    """Relabels each poisoned sample to the class whose encoded states are farthest.

    The attacker simulates the victim's encoder (pre-processing + data-encoding
    circuit), forms the class-centroid density matrices ``ρ̄_c`` of the clean training
    set and relabels a selected sample ``x`` (label ``y``) to
    ``argmin_{c≠y} Tr(ρ(x) ρ̄_c)``, the class least similar in Hilbert space. Samples are
    selected uniformly at random (the same seeded selection as
    :class:`~qmlsec.attacks.poisoning.label_flip.RandomLabelFlip`, so the two differ only
    in the new label).

    Paper: Kundu & Ghosh, "Adversarial Data Poisoning Attacks on Quantum Machine Learning
    in the NISQ Era" (QUID, arXiv:2411.14412).

    Not covered: the paper's noise-aware variant on hardware, its evaluation against the
    SS-DPA defense, feature (rather than label) poisoning, multi-layer re-uploading
    states (only the first encoding block is simulated).
    """

    name: ClassVar[str] = "poisoning.quid"
    technique_id: ClassVar[str] = "QML.T0012.001"

    @classmethod
    def check_requirements(cls, target: Target) -> None:
        super().check_requirements(target)
        model = target.model
        if model is None or not (hasattr(model, "preprocessing_") and hasattr(model, "spec")):
            raise RequirementError(
                f"attack {cls.name!r} needs knowledge of the victim's encoding "
                "(target.model: the fitted pre-processing and circuit spec)",
                hint="build the target with model=<the victim QNNClassifier>",
            )

    def _run(self, ctx: AttackContext) -> AttackResult:
        known = ctx.facts.get(KnownEncoding)
        self.encoding_ = None if known is None else known.spec
        return super()._run(ctx)

    def overlaps(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """``Tr(ρ(x_i) ρ̄_c)`` for every training sample and class (``unique(y)`` order).

        The encoding is the one an earlier stage inferred (a
        :class:`~qmlsec.attacks.facts.KnownEncoding` fact) when there is one, else the
        victim's own (the classical cloud holds the model).
        """
        spec = getattr(self, "encoding_", None)
        return centroid_overlaps(encoded_states(self.target.model, x, spec=spec), np.asarray(y))

    def relabel(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> np.ndarray:
        classes = np.unique(y)
        fid = self.overlaps(x, y)[idx]
        own = np.searchsorted(classes, y[idx])
        fid[np.arange(len(idx)), own] = np.inf
        return classes[fid.argmin(axis=1)]

    def sample_details(self, x: np.ndarray, y: np.ndarray) -> dict[str, list[Any]]:
        return {"centroid_overlap": self.overlaps(x, y).tolist()}
