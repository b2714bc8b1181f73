"""Transfer evasion: PGD crafted on a substitute model, evaluated on the victim.

Example:
    >>> from qmlsec.attacks import AttackContext, Target
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> victim = QNNClassifier(n_qubits=4, layers=2, epochs=10, lr=0.1).fit(train.X, train.y)
    >>> attack = Transfer(Target.white_box(victim), {"eps": [0.2], "substitute": {"epochs": 5}})
    >>> result = attack.run(AttackContext(x_test=test.X, y_test=test.y, x_train=train.X))
    >>> 0.0 <= result.metrics["success_rate@0.2"] <= 1.0
    True
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.evasion.base import EvasionAttack, EvasionParams
from qmlsec.attacks.evasion.curve import CurveRecord, eps_key
from qmlsec.attacks.evasion.oracle import VictimOracle
from qmlsec.attacks.evasion.pgd import PGD
from qmlsec.attacks.facts import ProxyModel
from qmlsec.attacks.pools import PoolSource, attacker_pool
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Target
from qmlsec.config import derive_seed
from qmlsec.exceptions import ConfigError, RequirementError
from qmlsec.models.classifier import QNNClassifier

SUBSTITUTE: dict[str, Any] = {"n_qubits": 4, "layers": 2, "epochs": 20, "lr": 0.1}
"""Default recipe of a substitute the attack trains itself."""


class TransferParams(EvasionParams):
    """Transfer parameters.

    Attributes:
        steps, step_ratio, random_start: the PGD run on the substitute.
        substitute: ``QNNClassifier`` parameters of the substitute the attacker trains
            when no :class:`~qmlsec.attacks.facts.ProxyModel` is handed over, on top of
            :data:`SUBSTITUTE` (4 qubits, 2 layers, 20 epochs, lr 0.1).
        labels: train the substitute on the victim's answers (``"victim"``, counted
            queries) or on the true labels of the attacker's data (``"true"``, the
            ``train`` pool only).
        pool: the attacker's query inputs the substitute is trained on
            (:mod:`qmlsec.attacks.pools`; default ``train``: ``ctx.x_train``, as
            Papernot et al.'s initial substitute set drawn from the task
            distribution; ``dataset:NAME``, ``file:PATH``, ``uniform``... for the
            attacker's own data).
    """

    steps: int = Field(10, ge=1)
    step_ratio: float = Field(2.5, gt=0)
    random_start: bool = False
    substitute: dict[str, Any] = Field(default_factory=dict)
    labels: Literal["victim", "true"] = "victim"
    pool: PoolSource = "train"


class Transfer(EvasionAttack):
    """Black-box transfer: craft PGD adversarials on a substitute, send them to the victim.

    The substitute is the :class:`~qmlsec.attacks.facts.ProxyModel` fact when an earlier stage (model
    extraction) produced one, else a ``QNNClassifier`` trained on the attacker's data
    ``ctx.x_train`` labelled by the victim's answers. The victim is only queried for
    labels. Metrics: the victim's robust-accuracy curve, plus the substitute's own
    success rate and its agreement with the victim.

    Paper: Papernot, McDaniel, Goodfellow, Jha, Celik, Swami, "Practical Black-Box
    Attacks against Machine Learning", AsiaCCS 2017 (arXiv:1602.02697); transfer to QNNs:
    Lu, Duan, Deng, PRR 2, 033212 (2020) and Wendlinger, Tscharke, Debus (arXiv:2404.16154).

    Not covered: Jacobian-based dataset augmentation of the substitute, ensembles of
    substitutes, classical (non-QNN) substitutes.
    """

    name: ClassVar[str] = "evasion.transfer"
    technique_id: ClassVar[str] = "QML.T0011.002"
    requires: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.QUERY_ACCESS, Capability.LABELS}
    )
    Params: ClassVar[type[TransferParams]] = TransferParams
    check_params: ClassVar[dict[str, Any]] = {
        "eps": [0.1],
        "steps": 3,
        "substitute": {"n_qubits": 2, "layers": 1, "epochs": 3, "lr": 0.1},
    }

    def prepare(self, ctx: AttackContext) -> None:
        """Take the handed-over substitute or train one on the attacker's data."""
        proxy = ctx.facts.get(ProxyModel)
        if proxy is not None:
            self.substitute_, self.pool_source_ = proxy.model, None
            return
        p = self.params
        if ctx.x_train is None and p.pool == "train":
            raise RequirementError(
                "transfer needs a substitute model or data to train one",
                hint="hand it a ProxyModel fact (e.g. from extraction), ctx.x_train, or a "
                "pool of the attacker's own (pool=dataset:NAME, file:PATH, uniform)",
            )
        pool = attacker_pool(p.pool, ctx.x_train, ctx.x_test, ctx.y_test, seed=self.seed)
        self.pool_source_ = pool.source
        oracle = VictimOracle(self.target)
        if p.labels == "victim":
            labels = oracle.labels(pool.x, seed=derive_seed(self.seed, "transfer", "label"))
        elif ctx.y_train is None or pool.source != "train":
            raise RequirementError(
                "labels='true' needs the train pool and ctx.y_train", hint="or use labels='victim'"
            )
        else:
            labels = np.asarray(ctx.y_train)
        try:
            seed = derive_seed(self.seed, "substitute") % 2**31
            sub = QNNClassifier(**{"random_state": seed, **SUBSTITUTE, **self.params.substitute})
        except TypeError as err:
            raise ConfigError(f"invalid substitute parameters: {err}") from None
        ctx.report("training substitute", 0, 1)
        self.substitute_ = sub.fit(pool.x, labels)

    def _run(self, ctx: AttackContext) -> AttackResult:
        result = super()._run(ctx)
        result.outputs["substitute"] = self.substitute_
        if getattr(self, "pool_source_", None):
            result.notes.append(f"substitute trained on the {self.pool_source_} query pool")
        return result

    def _pgd(self) -> PGD:
        p = self.params
        return PGD(
            Target.white_box(self.substitute_),
            {
                "norm": p.norm,
                "eps_units": p.eps_units,
                "clip": p.clip,
                "batch_size": p.batch_size,
                "steps": p.steps,
                "step_ratio": p.step_ratio,
                "random_start": p.random_start,
            },
            seed=derive_seed(self.seed, "transfer", "pgd"),
        )

    def generate(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        eps: float,
        box: tuple[float, float] | None = None,
    ) -> np.ndarray:
        if not hasattr(self, "substitute_"):
            raise RequirementError(
                "no substitute model yet", hint="call run(ctx) or prepare(ctx) first"
            )
        x = np.array(x, dtype=np.float64)
        y = np.asarray(y)
        known = np.isin(y, self.substitute_.classes_)
        y_sub = np.where(known, y, self.substitute_.predict(x))
        return self._pgd().generate(x, y_sub, eps=eps, box=self.box_for(x, box))

    def extra_metrics(
        self, record: CurveRecord, x: np.ndarray, adversarials: list[np.ndarray]
    ) -> dict[str, float]:
        sub_clean = self.substitute_.predict(x)
        out = {
            "substitute_accuracy": float(np.mean(sub_clean == record.labels)),
            "substitute_agreement": float(np.mean(sub_clean == record.clean)),
        }
        correct = sub_clean == record.labels
        for eps, x_adv in zip(record.eps, adversarials, strict=True):
            broken = (self.substitute_.predict(x_adv) != record.labels) & correct
            out[eps_key("substitute_success_rate", eps)] = (
                float(broken[correct].mean()) if correct.any() else 0.0
            )
        return out
