"""QuantumLeak: a bagged ensemble of varied substitute QNNs trained with a Huber loss.

Follows Fu, Yang, Chu, Xu, Huang, Chen, "QuantumLeak: Stealing Quantum Neural Networks
from Cloud-based NISQ Machines", IJCNN 2024 (arXiv:2403.10790): (1) the attacker queries
unlabelled inputs over several rounds (to stay under monitors that watch bursts), building
``D = {S, Q_V(S)}``; (2) it draws bootstrap resamples of ``D`` (bagging) and trains one
substitute VQC of a different architecture (layers, entanglement, ansatz) on each, with a
Huber loss that is robust to the shot and device noise in the answers; (3) it fuses the
committee by averaging the members' probabilities. The defaults (3 rounds, 3 members,
``delta = 0.5``) follow the third-party reimplementation noted in our literature review.
For comparison, a single substitute of the first architecture is trained on all of ``D``
with the same loss; its metrics are reported next to the ensemble's.

Not covered: timing of the rounds (they are sent back to back; a real attacker spaces
them in time), label-noise injection beyond what the endpoint itself adds (shots, noisy
backend), and the original paper's exact architectures and budgets, which we could not
read.

Example:
    >>> from qmlsec.testing.victims import small_victim
    >>> result = small_victim().setup("extraction.quantumleak", n_test=8,
    ...                               params=QuantumLeak.check_params).run(seed=0)
    >>> est = result.estimates()["ensemble_agreement"]
    >>> est.n, est.method
    (8, 'wilson')
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.extraction.base import ExtractionAttack, PoolSource
from qmlsec.attacks.extraction.ensemble import SubstituteEnsemble
from qmlsec.attacks.extraction.substitute_fit import SubstituteArch, fit_substitute
from qmlsec.attacks.facts import ProxyModel
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed, rng

DEFAULT_ARCHITECTURES = (
    SubstituteArch(layers=2, ansatz="hardware_efficient", entanglement="ring"),
    SubstituteArch(layers=3, ansatz="real_amplitudes", entanglement="linear"),
    SubstituteArch(layers=2, ansatz="strongly_entangling", entanglement="full"),
)


class QuantumLeakParams(FrozenModel):
    """Parameters of :class:`QuantumLeak`.

    Attributes:
        queries: total query budget in samples, spread evenly over ``rounds``.
        rounds: query rounds.
        members: committee size; member ``i`` uses ``architectures[i % len]``.
        architectures: the varied substitute architectures.
        bootstrap: resample ``D`` with replacement per member (bagging); else each
            member sees all of ``D``.
        huber_delta: the Huber loss threshold on probability differences.
        pool: where the unlabelled query inputs come from.
        epochs, lr, batch_size: member training.
        compare_single: also train one substitute on all of ``D`` for comparison.
    """

    queries: int = Field(120, ge=4)
    rounds: int = Field(3, ge=1)
    members: int = Field(3, ge=1)
    architectures: tuple[SubstituteArch, ...] = Field(DEFAULT_ARCHITECTURES, min_length=1)
    bootstrap: bool = True
    huber_delta: float = Field(0.5, gt=0)
    pool: PoolSource = "auto"
    epochs: int = Field(30, ge=1)
    lr: float = Field(0.1, gt=0)
    batch_size: int = Field(16, ge=0)
    compare_single: bool = True


class QuantumLeak(ExtractionAttack):
    """Steal the victim with a bagged, architecture-diverse committee of QNNs."""

    name: ClassVar[str] = "extraction.quantumleak"
    technique_id: ClassVar[str] = "QML.T0025"
    requires: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.QUERY_ACCESS, Capability.LABELS}
    )
    positions: ClassVar[frozenset[Position]] = frozenset({Position.API_USER})
    Params: ClassVar[type[FrozenModel]] = QuantumLeakParams
    check_params: ClassVar[dict[str, Any]] = {"queries": 24, "members": 2, "epochs": 3}

    def collect(self, x_query: np.ndarray, n_classes: int) -> tuple[np.ndarray, list[int]]:
        """Query ``x_query`` in rounds; return the answers and the per-round sizes."""
        chunks = np.array_split(np.arange(len(x_query)), self.params.rounds)
        answers, sizes = [], []
        for r, chunk in enumerate(c for c in chunks if len(c)):
            seed = derive_seed(self.seed, "round", r)
            answers.append(self.ask(x_query[chunk], n_classes, seed=seed))
            sizes.append(len(chunk))
        return np.concatenate(answers), sizes

    def train_member(self, x: np.ndarray, targets: np.ndarray, i: int) -> Any:
        """Fit committee member ``i`` on a bootstrap resample of ``(x, targets)``."""
        p = self.params
        idx = np.arange(len(x))
        if p.bootstrap:
            idx = rng(self.seed, "bag", i).choice(len(x), len(x), replace=True)
        return fit_substitute(
            x[idx],
            targets[idx],
            p.architectures[i % len(p.architectures)],
            loss="huber",
            huber_delta=p.huber_delta,
            epochs=p.epochs,
            lr=p.lr,
            batch_size=p.batch_size,
            seed=derive_seed(self.seed, "member", i),
        )

    def extract(self, x_query: np.ndarray, n_classes: int) -> SubstituteEnsemble:
        """Query ``x_query`` over the rounds and return the fused committee."""
        x_query = np.asarray(x_query, dtype=np.float64)
        targets, self.round_sizes_ = self.collect(x_query, n_classes)
        self.queried_ = (x_query, targets)
        members = [self.train_member(x_query, targets, i) for i in range(self.params.members)]
        return SubstituteEnsemble(members)

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        x_pool, x_eval, y_eval, source = self.query_pool(ctx, p.pool)
        x_query = self.budgeted(x_pool, p.queries)
        ensemble = self.extract(x_query, self.n_classes(ctx))
        victim = self.victim_labels(x_eval)
        metrics: dict[str, Any] = {"victim_accuracy": float(np.mean(victim == y_eval))}
        ens_metrics, ens_pred = self.score(ensemble, x_eval, y_eval, victim, "ensemble")
        metrics.update(ens_metrics)
        member_agreement = [
            self.score(m, x_eval, y_eval, victim, "m")[0]["m_agreement"] for m in ensemble.members
        ]
        metrics["member_agreement_mean"] = float(np.mean(member_agreement))
        per_sample: dict[str, list[Any]] = {
            "y_true": y_eval.tolist(),
            "victim": victim.tolist(),
            "ensemble": ens_pred,
        }
        outputs: dict[str, Any] = {"substitute": ensemble}
        if p.compare_single:
            x, targets = self.queried_
            single = fit_substitute(
                x,
                targets,
                p.architectures[0],
                loss="huber",
                huber_delta=p.huber_delta,
                epochs=p.epochs,
                lr=p.lr,
                batch_size=p.batch_size,
                seed=derive_seed(self.seed, "single"),
            )
            single_metrics, per_sample["single"] = self.score(
                single, x_eval, y_eval, victim, "single"
            )
            metrics.update(single_metrics)
            metrics["ensemble_gain"] = metrics["ensemble_agreement"] - metrics["single_agreement"]
            outputs["single"] = single
        metrics.update(self.spent())
        metrics["rounds"] = len(self.round_sizes_)
        result = self.new_result(
            metrics=metrics,
            per_sample=per_sample,
            curves={"members": {"x": list(range(p.members)), "y": member_agreement}},
            provides=["know.proxy_model", "goal.model_stolen"],
            notes=[
                f"endpoint output: {getattr(self.endpoint, 'output', 'probabilities')}",
                f"query pool: {source} split; rounds of {self.round_sizes_} queries",
                "victim labels on the evaluation set come from an uncounted oracle",
            ],
        )
        result.outputs.update(outputs)
        result.establish(ProxyModel(outputs["substitute"], source=self.name))
        return result
