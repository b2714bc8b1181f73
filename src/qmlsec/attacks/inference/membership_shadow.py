"""Membership inference with shadow models and a learned attack classifier.

Follows Shokri, Stronati, Song, Shmatikov, "Membership Inference Attacks against Machine
Learning Models", S&P 2017: the attacker trains ``k`` shadow models the way the victim was
trained, each on its own "in" sample of auxiliary data from the same distribution, with a
disjoint "out" sample held back; the shadows' outputs on in/out samples, labelled member
and non-member, train an attack classifier, which then scores the victim's outputs. The
attack classifier here is one logistic regression over the loss, confidence, entropy and
correctness of an output (Shokri et al. train one network per class on the full
probability vector; with the few samples a QNN victim affords, one model over these
summary features is the stable choice). Shadows are trained by ``ctx.train_victim``
when the context offers it (the victim's own recipe), else by a ``QNNClassifier`` built
from ``shadow_model``.

Not covered: per-class attack models, data synthesis when no auxiliary data exists,
and label-only or calibrated (LiRA) variants.

Example:
    >>> from qmlsec.testing.victims import small_victim
    >>> result = small_victim().setup("inference.membership_shadow",
    ...                               params=MembershipShadow.check_params).run(seed=0)
    >>> est = result.estimates()["auc"]
    >>> est.n, est.method
    (46, 'bootstrap')
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.inference.base import InferenceAttack
from qmlsec.attacks.inference.membership_data import membership_split
from qmlsec.attacks.inference.membership_threshold import membership_scores
from qmlsec.attacks.metrics import membership_metrics
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.exceptions import ConfigError
from qmlsec.models.classifier import QNNClassifier


def attack_features(probs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-sample attack features: log true-class probability, confidence, entropy, correct."""
    probs = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    scores = membership_scores(probs, labels)
    entropy = -np.sum(probs * np.log(probs), axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(labels)).astype(np.float64)
    return np.column_stack([scores["loss"], scores["confidence"], entropy, correct])


class MembershipShadowParams(FrozenModel):
    """Parameters of :class:`MembershipShadow`.

    Attributes:
        shadows: number of shadow models.
        shadow_size: "in" samples per shadow (as many "out"); default the number of
            evaluated members, capped by half the auxiliary pool.
        aux_fraction: share of the test split reserved as auxiliary data before the
            non-members are drawn.
        max_per_side: cap on the number of members (and non-members) evaluated.
        shadow_model: ``QNNClassifier`` parameters of the shadows when the context has
            no ``train_victim``.
    """

    shadows: int = Field(4, ge=1)
    shadow_size: int | None = Field(None, ge=2)
    aux_fraction: float = Field(0.5, ge=0.0, lt=1.0)
    max_per_side: int | None = Field(None, ge=2)
    shadow_model: dict[str, Any] = Field(
        default_factory=lambda: {"n_qubits": 4, "layers": 2, "epochs": 30, "lr": 0.1}
    )


class MembershipShadow(InferenceAttack):
    """Learn membership from shadow QNNs trained on auxiliary data."""

    name: ClassVar[str] = "inference.membership_shadow"
    technique_id: ClassVar[str] = "QML.T0027"
    requires: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.QUERY_ACCESS, Capability.PROBABILITIES}
    )
    positions: ClassVar[frozenset[Position]] = frozenset(
        {Position.API_USER, Position.UNTRUSTED_CLASSICAL_CLOUD}
    )
    Params: ClassVar[type[FrozenModel]] = MembershipShadowParams
    check_params: ClassVar[dict[str, Any]] = {
        "shadows": 1,
        "shadow_model": {"n_qubits": 4, "layers": 1, "epochs": 3, "lr": 0.1},
    }

    def _train_shadow(self, ctx: AttackContext, x: np.ndarray, y: np.ndarray, i: int) -> Any:
        if ctx.train_victim is not None:
            return ctx.train_victim(x, y)
        params = {**self.params.shadow_model, "random_state": derive_seed(self.seed, "shadow", i)}
        return QNNClassifier().set_params(**params).fit(x, y)

    def fit_attack_model(
        self, ctx: AttackContext, x_aux: np.ndarray, y_aux: np.ndarray, size: int
    ) -> Any:
        """Train the shadows on ``(x_aux, y_aux)`` and fit the attack classifier."""
        n_classes = int(max(np.max(y_aux), np.max(ctx.y_test))) + 1
        feats, labels = [], []
        for i in range(self.params.shadows):
            order = rng(self.seed, "shadow", i).permutation(len(x_aux))
            inside, outside = order[:size], order[size : 2 * size]
            shadow = self._train_shadow(ctx, x_aux[inside], y_aux[inside], i)
            for part, flag in ((inside, 1), (outside, 0)):
                probs = self._shadow_probs(shadow, x_aux[part], n_classes)
                feats.append(attack_features(probs, y_aux[part]))
                labels.append(np.full(len(part), flag))
        self.shadow_samples_ = int(sum(len(lab) for lab in labels))
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        return model.fit(np.concatenate(feats), np.concatenate(labels))

    @staticmethod
    def _shadow_probs(shadow: Any, x: np.ndarray, n_classes: int) -> np.ndarray:
        """Shadow probabilities in the victim's column order (labels ``0..C-1``)."""
        probs = np.asarray(shadow.predict_proba(x))
        full = np.full((len(x), n_classes), 1e-12)
        full[:, np.asarray(shadow.classes_, dtype=np.int64)] = probs
        return full

    def infer(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Membership probability of each candidate ``(x, y)`` from the victim's outputs."""
        if not hasattr(self, "attack_model_"):
            raise ConfigError("the attack classifier is not fitted", hint="call run(ctx) first")
        probs = self.probabilities(x, seed=derive_seed(self.seed, "membership", "queries"))
        return self.attack_model_.predict_proba(attack_features(probs, y))[:, 1]

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        split = membership_split(
            ctx, seed=self.seed, max_per_side=p.max_per_side, aux_fraction=p.aux_fraction
        )
        n_members = int(split.is_member.sum())
        size = min(p.shadow_size or n_members, len(split.x_aux) // 2)
        if size < 2:
            raise ConfigError(
                f"auxiliary pool of {len(split.x_aux)} samples is too small for shadow models",
                hint="raise aux_fraction or use a larger test split",
            )
        self.attack_model_ = self.fit_attack_model(ctx, split.x_aux, split.y_aux, size)
        scores = self.infer(split.x, split.y)
        metrics: dict[str, Any] = dict(membership_metrics(scores, split.is_member))
        metrics.update(shadows=p.shadows, shadow_size=size, shadow_samples=self.shadow_samples_)
        return self.new_result(
            metrics=metrics,
            per_sample={"is_member": split.is_member.tolist(), "score": scores.tolist()},
            provides=["goal.training_data_exposed"],
            notes=[
                "members: training split; non-members: test split; balanced",
                f"shadow data: {len(split.x_aux)} test-split samples not used as candidates",
                "shadows trained by "
                + ("ctx.train_victim" if ctx.train_victim else "shadow_model"),
            ],
        )
