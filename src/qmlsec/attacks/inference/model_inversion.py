"""Model inversion: reconstruct a representative input of each class from the outputs.

Follows Fredrikson, Jha, Ristenpart, "Model Inversion Attacks that Exploit Confidence
Information and Basic Countermeasures", CCS 2015: starting from a class-agnostic prior
(the mean of the attacker's data from the input distribution), gradient descent on the
raw input minimises ``-log p_c(x) + lambda * ||u - u_prior||^2`` for each class ``c``,
where ``u`` is ``x`` rescaled to the per-feature box ``[min, max]`` of that data, and
``u`` is projected back into the box after every step. With input gradients in hand
(white box) the exact gradient comes from ``QNNClassifier.loss_gradient``; through the
inference API (black box) it is estimated by SPSA from two probability queries per class
and step (Spall 1992), and every query is counted.

The reconstruction is scored against the true class mean of the victim's training data
(or of the test split when the training split is unknown): mean squared error in box
units next to the prior's, whether it lies nearest its own class mean, the cosine between
its move away from the prior and the direction to the class mean, the victim's
confidence in it and whether the victim classifies it as the class it was built for
(``target_class_rate``). :class:`~qmlsec.attacks.inference.model_inversion_proxy.
ProxyModelInversion` runs the same optimisation on a stolen substitute and scores the
result on the victim.

Not covered: image priors (total variation, GAN priors as in Zhang et al., CVPR 2020),
inversion of individual training records, and inversion that exploits auxiliary
attributes; through PCA pre-processing only the retained components are recoverable.

Example:
    >>> from qmlsec.testing.victims import small_victim
    >>> result = small_victim().setup("inference.model_inversion", n_test=8,
    ...                               params=ModelInversion.check_params).run(seed=0)
    >>> est = result.estimates()["identification_rate"]
    >>> est.n, est.method
    (3, 'wilson')
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.inference.base import InferenceAttack
from qmlsec.attacks.metrics import rowwise_cosine
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.exceptions import RequirementError


class ModelInversionParams(FrozenModel):
    """Parameters of :class:`ModelInversion`.

    Attributes:
        steps: optimisation steps per class.
        lr: Adam step size in box units (the box has width 1 per feature).
        prior_weight: ``lambda``, the pull towards the prior.
        gradient: ``white-box`` (input gradients), ``black-box`` (SPSA from queries) or
            ``auto`` (white box when the target grants input gradients).
        spsa_c: SPSA perturbation size in box units.
    """

    steps: int = Field(150, ge=1)
    lr: float = Field(0.05, gt=0)
    prior_weight: float = Field(0.05, ge=0)
    gradient: Literal["auto", "white-box", "black-box"] = "auto"
    spsa_c: float = Field(0.05, gt=0, lt=0.5)


class ModelInversion(InferenceAttack):
    """Reconstruct class-representative inputs by maximising the victim's confidence."""

    name: ClassVar[str] = "inference.model_inversion"
    technique_id: ClassVar[str] = "QML.T0028"
    requires: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.QUERY_ACCESS, Capability.PROBABILITIES}
    )
    positions: ClassVar[frozenset[Position]] = frozenset(
        {Position.API_USER, Position.UNTRUSTED_CLASSICAL_CLOUD}
    )
    Params: ClassVar[type[FrozenModel]] = ModelInversionParams
    check_params: ClassVar[dict[str, Any]] = {"steps": 5}

    def gradient_model(self) -> Any | None:
        """The model in hand whose exact input gradient is used (``None``: none in hand)."""
        if Capability.INPUT_GRADIENTS in self.target.capabilities:
            return self.target.model
        return None

    def attack_probabilities(self, x: np.ndarray, *, seed: int) -> np.ndarray:
        """Probabilities the optimisation reads when it estimates gradients (SPSA)."""
        return self.probabilities(x, seed=seed)

    @property
    def white_box(self) -> bool:
        """Whether the exact input gradient is used."""
        has_grad = hasattr(self.gradient_model(), "loss_gradient")
        if self.params.gradient == "white-box" and not has_grad:
            raise RequirementError(
                "gradient='white-box' needs input gradients of a model in hand",
                hint="use Target.white_box(model) or gradient='black-box'",
            )
        return has_grad and self.params.gradient != "black-box"

    def _objective_grad(self, u: np.ndarray, classes: np.ndarray, step: int) -> np.ndarray:
        """Gradient in box units of ``-log p_c`` (without the prior term) for each row."""
        width = self.hi_ - self.lo_
        model = self.gradient_model()
        if model is not None and self.white_box:
            x = self.lo_ + u * width
            return np.asarray(model.loss_gradient(x, model.classes_[classes])) * width
        gen = rng(self.seed, "inversion", "spsa", step)
        delta = gen.choice([-1.0, 1.0], size=u.shape)
        c = self.params.spsa_c
        both = np.concatenate([u + c * delta, u - c * delta])
        probs = self.attack_probabilities(
            self.lo_ + both * width, seed=derive_seed(self.seed, step)
        )
        nll = -np.log(np.clip(probs[np.arange(len(both)), np.r_[classes, classes]], 1e-12, 1))
        half = len(u)
        return ((nll[:half] - nll[half:]) / (2 * c))[:, None] * delta

    def infer(self, x_aux: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """Reconstruct one raw input per class in ``classes`` using data ``x_aux``."""
        p = self.params
        x_aux = np.asarray(x_aux, dtype=np.float64)
        self.lo_, self.hi_ = x_aux.min(axis=0), x_aux.max(axis=0)
        self.hi_ = np.where(self.hi_ > self.lo_, self.hi_, self.lo_ + 1.0)
        prior = (x_aux.mean(axis=0) - self.lo_) / (self.hi_ - self.lo_)
        classes = np.asarray(classes, dtype=np.int64)
        u = np.tile(prior, (len(classes), 1))
        m, v = np.zeros_like(u), np.zeros_like(u)
        for t in range(1, p.steps + 1):
            g = self._objective_grad(u, classes, t) + 2 * p.prior_weight * (u - prior)
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g**2
            u = u - p.lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
            u = np.clip(u, 0.0, 1.0)
        return self.lo_ + u * (self.hi_ - self.lo_)

    def _run(self, ctx: AttackContext) -> AttackResult:
        known = ctx.x_train is not None and ctx.y_train is not None
        x_ref = np.asarray(ctx.x_train if known else ctx.x_test, dtype=np.float64)
        y_ref = np.asarray(ctx.y_train if known else ctx.y_test, dtype=np.int64)
        classes = np.unique(y_ref)
        recon = self.infer(x_ref, classes)
        width = self.hi_ - self.lo_
        means = np.stack([x_ref[y_ref == c].mean(axis=0) for c in classes]) / width
        prior = x_ref.mean(axis=0) / width
        rec = recon / width
        mse = np.mean((rec - means) ** 2, axis=1)
        mse_prior = np.mean((prior - means) ** 2, axis=1)
        dists = np.linalg.norm(rec[:, None, :] - means[None, :, :], axis=2)
        nearest = classes[dists.argmin(axis=1)]
        cosine = rowwise_cosine(rec - prior, means - prior)
        probs = self.probabilities(recon, seed=derive_seed(self.seed, "inversion", "final"))
        confidence = probs[np.arange(len(classes)), classes]
        target_hit = (probs.argmax(axis=1) == classes).astype(np.int64)
        metrics: dict[str, Any] = {
            "mse_to_class_mean": float(mse.mean()),
            "prior_mse_to_class_mean": float(mse_prior.mean()),
            "mse_reduction": float(1.0 - mse.mean() / max(mse_prior.mean(), 1e-12)),
            "identification_rate": float(np.mean(nearest == classes)),
            "direction_cosine": float(cosine.mean()),
            "confidence": float(confidence.mean()),
            "target_class_rate": float(target_hit.mean()),
        }
        return self.new_result(
            metrics=metrics,
            per_sample={
                "class": classes.tolist(),
                "reconstruction": recon.tolist(),
                "mse_to_class_mean": mse.tolist(),
                "prior_mse_to_class_mean": mse_prior.tolist(),
                "nearest_class": nearest.tolist(),
                "direction_cosine": cosine.tolist(),
                "confidence": confidence.tolist(),
                "victim_class": probs.argmax(axis=1).tolist(),
            },
            provides=["goal.training_data_exposed"],
            notes=[
                "gradient: " + ("white-box" if self.white_box else "black-box (SPSA)"),
                "errors in box units (per-feature range of the reference data)",
                "class means from the " + ("training" if known else "test") + " split",
            ],
        )
