"""STIQ: two QNNs on two providers, each obfuscated alone, correct only when summed.

Mitigation QML.M0012 (multi-provider execution), after Kundu and Ghosh, "STIQ:
Safeguarding Training and Inferencing of Quantum Neural Networks from Untrusted Cloud"
(arXiv:2405.18746). Two QNNs ``f1``, ``f2`` of the victim's recipe are trained jointly
with ``loss = CE(f1 + f2, y) - lam * min(CE(f1, y) + CE(f2, y), clip)``: the summed
logits classify, while each member alone is pushed away from the labels (the penalty is
clipped so it cannot diverge). Each member runs on a different provider; the user adds
the two outputs locally, so a provider that steals or watches its member
(``extraction.provider_theft``) holds a model that alone is poor.

Measured: the accuracy of each member alone (what one provider can steal) against the
ensemble's and against an undefended single model; cost: 2x the circuits (one per
provider per input) and the clean accuracy lost.

Against ``extraction.provider_theft`` (:meth:`STIQ.defended_run`): the ensemble is
trained on the victim's recipe and training split, each member is served by its own
provider, and the theft runs on each provider against the member it serves; the
headline (``victim_identified``) is the worst case over the two providers. Both members
share the victim's architecture, so identification is not prevented; what STIQ takes
away is the value of what is stolen: each member's accuracy alone
(``member_accuracy_alone``, the better of the two) against the ensemble's and the
undefended model's, added to the result.

Not covered: two colluding providers, a provider that retrains its member's head on a
few labelled samples, and STIQ's per-layer weight obfuscation variants.

Example:
    >>> STIQ().params.lam
    0.5
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import Field

from qmlsec.attacks.setup import AttackSetup
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.provider.base import ProviderDefense
from qmlsec.defenses.trainer.base import DEFAULT_RECIPE
from qmlsec.exceptions import ConfigError
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.imported import classifier_from_params
from qmlsec.models.training import train_module


class STIQParams(FrozenModel):
    """Parameters of :class:`STIQ`."""

    lam: float = Field(0.5, ge=0)
    clip: float = Field(3.0, gt=0)
    epochs: int | None = Field(None, ge=1)


class Pair(torch.nn.Module):
    """``f1 + f2`` as one module; the members' logits of the last call are kept."""

    def __init__(self, f1: Any, f2: Any) -> None:
        super().__init__()
        self.f1, self.f2 = f1, f2
        self.last: tuple[torch.Tensor, torch.Tensor] | None = None

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        a, b = self.f1(features), self.f2(features)
        self.last = (a, b)
        return a + b


class STIQEnsemble:
    """The user's view: two fitted members whose logits are summed locally."""

    def __init__(self, members: tuple[QNNClassifier, QNNClassifier]) -> None:
        self.members = members
        self.classes_ = members[0].classes_

    def member_logits(self, X: np.ndarray, i: int) -> np.ndarray:
        """Logits of member ``i`` (what provider ``i`` returns, before the sum)."""
        return self.members[i].decision_function(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        logits = self.member_logits(X, 0) + self.member_logits(X, 1)
        return np.asarray(self.classes_)[logits.argmax(1)]

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def member_score(self, X: np.ndarray, y: np.ndarray, i: int) -> float:
        """Accuracy of member ``i`` alone."""
        pred = np.asarray(self.classes_)[self.member_logits(X, i).argmax(1)]
        return float(np.mean(pred == np.asarray(y)))


class STIQ(ProviderDefense):
    """Split the model into two individually obfuscated QNNs on two providers."""

    name: ClassVar[str] = "provider.stiq"
    mitigation_id: ClassVar[str] = "QML.M0012"
    counters: ClassVar[tuple[str, ...]] = ("extraction.provider_theft",)
    Params = STIQParams
    check_params: ClassVar[dict[str, Any]] = {"epochs": 1}

    def apply(self, session: Any) -> int:
        """Each member goes to its own provider; returns the number of providers (2)."""
        return 2

    def fit(self, X: np.ndarray, y: np.ndarray, recipe: dict[str, Any] | None = None) -> Any:
        """Train the two members jointly; returns a :class:`STIQEnsemble`."""
        p = self.params
        params = {**(recipe or DEFAULT_RECIPE)}
        epochs = p.epochs or int(params.get("epochs", 15))
        members = tuple(classifier_from_params(**{**params, "epochs": 1,
                                         "random_state": derive_seed(self.seed, "member", i)})
                        .fit(X, y) for i in range(2))  # fmt: skip
        feats = torch.as_tensor(members[0].preprocessing_.transform(X), dtype=torch.float64)
        for m in members[1:]:
            m.preprocessing_ = members[0].preprocessing_
        labels = torch.as_tensor(members[0].class_index(np.asarray(y)), dtype=torch.long)
        pair = Pair(members[0].model_, members[1].model_)
        ce = torch.nn.functional.cross_entropy

        def loss(summed: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
            a, b = pair.last  # type: ignore[misc]
            return ce(summed, target) - p.lam * torch.clamp(ce(a, target) + ce(b, target),
                                                            max=p.clip)  # fmt: skip

        config = members[0].training_config().model_copy(update={"epochs": epochs})
        train_module(pair, feats, labels, config, seed=derive_seed(self.seed, "joint"),
                     loss_fn=loss)  # fmt: skip
        return STIQEnsemble(members)  # type: ignore[arg-type]

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Train the pair, run the theft on each member's provider, keep the worst case."""
        ctx = setup.ctx
        if ctx.x_train is None or ctx.y_train is None:
            raise ConfigError("STIQ retrains the victim as two members and needs its training split",
                              hint="give the attack context x_train and y_train")  # fmt: skip
        start = time.perf_counter()
        ensemble = self.fit(ctx.x_train, ctx.y_train, setup.model.get_params())
        seconds = time.perf_counter() - start
        runs = [setup.with_model(member).run(seed) for member in ensemble.members]
        key = "victim_identified"
        worst = max(range(2), key=lambda i: (runs[i].metrics.get(key, 0.0), -i))
        result = runs[worst]
        X, y = ctx.x_test, np.asarray(ctx.y_test)
        alone = [ensemble.member_score(X, y, i) for i in (0, 1)]
        single, joint = float(np.mean(setup.model.predict(X) == y)), ensemble.score(X, y)
        for i, run in enumerate(runs):
            result.metrics[f"{key}_provider_{i}"] = float(run.metrics.get(key, 0.0))
            result.metrics[f"member_accuracy_alone_{i}"] = alone[i]
        result.metrics.update({"member_accuracy_alone": max(alone), "ensemble_accuracy": joint,
                               "single_model_accuracy": single})  # fmt: skip
        result.notes.append(f"{self.name}: each provider served one member (alone "
                            f"{alone[0]:.2f} / {alone[1]:.2f}; ensemble {joint:.2f}, "
                            f"single model {single:.2f})")  # fmt: skip
        return result, DefenseCost(
            accuracy_drop=single - joint,
            seconds=seconds,
            extra={"circuit_multiplier": 2.0, "providers": 2.0},
        )
