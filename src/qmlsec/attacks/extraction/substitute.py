"""Substitute-model extraction through the inference API (label-only or probabilities).

The attacker sends unlabelled inputs from the input distribution to the victim's
endpoint, within a query budget, and trains a substitute QNN of its own architecture on
the answers: with probabilities it fits them with a soft-label cross-entropy (knowledge
distillation, Hinton et al. 2015, the standard in Papernot et al., AsiaCCS 2017, and
Orekondy et al., "Knockoff Nets", CVPR 2019); with labels only it fits the hard labels.
Kundu and Ghosh report QNN clones reaching 0.9x (labels) and 0.99x (probabilities) of the
victim's accuracy; here the same ordering is measured as agreement with the victim.

Not covered: adaptive query synthesis (Jacobian augmentation, active learning), queries
beyond the attacker's pool (the budget is capped at the pool size), and noise-aware data
cleaning (CopyQNN). See :class:`~qmlsec.attacks.extraction.quantumleak.QuantumLeak` for
the bagged ensemble.

Example:
    >>> from qmlsec.testing.victims import small_victim
    >>> setup = small_victim().setup("extraction.substitute", n_test=20,
    ...                              params={"queries": 30, "epochs": 3})
    >>> result = setup.run(seed=0)
    >>> result.queries["samples"], result.estimates()["substitute_agreement"].n
    (30, 20)
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.extraction.base import ExtractionAttack, PoolSource
from qmlsec.attacks.extraction.substitute_fit import ResponseLoss, SubstituteArch, fit_substitute
from qmlsec.attacks.facts import ProxyModel
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.models.classifier import QNNClassifier


class SubstituteParams(FrozenModel):
    """Parameters of :class:`SubstituteExtraction`.

    Attributes:
        queries: query budget in samples (capped by the endpoint's remaining budget and
            the pool size).
        pool: where the unlabelled query inputs come from (see
            :meth:`ExtractionAttack.query_pool`).
        arch: the substitute's architecture.
        loss: loss on probability answers; label answers always use cross-entropy.
        epochs, lr, batch_size: substitute training.
    """

    queries: int = Field(100, ge=2)
    pool: PoolSource = "auto"
    arch: SubstituteArch = SubstituteArch()
    loss: ResponseLoss = "cross_entropy"
    epochs: int = Field(30, ge=1)
    lr: float = Field(0.1, gt=0)
    batch_size: int = Field(16, ge=0)


class SubstituteExtraction(ExtractionAttack):
    """Train a substitute QNN on the victim's answers to budgeted queries."""

    name: ClassVar[str] = "extraction.substitute"
    technique_id: ClassVar[str] = "QML.T0025"
    requires: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.QUERY_ACCESS, Capability.LABELS}
    )
    positions: ClassVar[frozenset[Position]] = frozenset({Position.API_USER})
    Params: ClassVar[type[FrozenModel]] = SubstituteParams
    check_params: ClassVar[dict[str, Any]] = {"queries": 20, "epochs": 3}

    def extract(self, x_query: np.ndarray, n_classes: int) -> QNNClassifier:
        """Query ``x_query`` (raw inputs) and return the fitted substitute."""
        p = self.params
        targets = self.ask(x_query, n_classes, seed=derive_seed(self.seed, "queries"))
        return fit_substitute(
            x_query,
            targets,
            p.arch,
            loss=p.loss,
            epochs=p.epochs,
            lr=p.lr,
            batch_size=p.batch_size,
            seed=derive_seed(self.seed, "substitute"),
        )

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        x_pool, x_eval, y_eval, source = self.query_pool(ctx, p.pool)
        x_query = self.budgeted(x_pool, p.queries)
        substitute = self.extract(x_query, self.n_classes(ctx))
        victim = self.victim_labels(x_eval)
        metrics: dict[str, Any] = {"victim_accuracy": float(np.mean(victim == y_eval))}
        sub_metrics, sub_pred = self.score(substitute, x_eval, y_eval, victim, "substitute")
        metrics.update(sub_metrics)
        metrics.update(self.spent())
        result = self.new_result(
            metrics=metrics,
            per_sample={
                "y_true": y_eval.tolist(),
                "victim": victim.tolist(),
                "substitute": sub_pred,
                "agrees": (np.asarray(sub_pred) == victim).tolist(),
            },
            provides=["know.proxy_model", "goal.model_stolen"],
            notes=[
                f"endpoint output: {getattr(self.endpoint, 'output', 'probabilities')}",
                f"query pool: {source} split ({len(x_pool)} inputs, {len(x_query)} queried)",
                "victim labels on the evaluation set come from an uncounted oracle",
            ],
        )
        result.outputs["substitute"] = substitute
        result.establish(ProxyModel(substitute, source=self.name))
        return result
