"""Gradient inversion: rebuild a training batch's features from its shared gradients.

Follows Zhu, Liu, Han, "Deep Leakage from Gradients", NeurIPS 2019, with the label
inference of Zhao, Mopuri, Bilen, "iDLG", 2020, on the hybrid QNN of a QMLaaS deployment
whose classical cloud runs the optimizer and so sees every batch gradient of the loss
w.r.t. the PQC weights ``theta`` and the linear head (Papadopoulos et al.,
arXiv:2504.12806, show the same leak on variational QNNs). The attacker, holding the
weights, optimises dummy pre-processed features with L-BFGS (a quadratic penalty keeps them in the
scaler's box) so that their gradient
matches the shared one (normalised squared distance, several seeded restarts, the best
match kept). Labels are given or inferred from the head's bias gradient: for the mean
cross-entropy ``g_b = mean(p - y)``, so a batch of one has its label at ``argmin g_b``
(iDLG) and larger batches get class counts ``round(B * (p_bar - g_b))`` with ``p_bar``
the model's mean prediction on random features.

Reconstructions are matched to the true samples by the Hungarian algorithm and scored
by mean squared error in feature space (the angles fed to the encoder), by the cosine
similarity of features centred on the box midpoint, and by label accuracy; a uniformly
random guess in the feature box gives the baseline error. Inversion is close to exact
for a batch of one and degrades as the batch grows, since the gradient averages more
samples into the same number of equations.

Not covered: the finite-difference gradients, low-pass and Kalman filtering of
Papadopoulos et al. (shared gradients here are exact), noisy (shot-based) gradients,
and mapping features back to raw inputs through the pre-processing.

Example:
    >>> from qmlsec.testing.victims import small_victim
    >>> result = small_victim().setup("inference.gradient_inversion", n_test=8,
    ...                               params=GradientInversion.check_params).run(seed=0)
    >>> result.metrics["mse_b1"] >= 0.0
    True
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import Field
from scipy.optimize import linear_sum_assignment

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import TrainingInputs
from qmlsec.attacks.inference.base import InferenceAttack
from qmlsec.attacks.metrics import rowwise_cosine
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, rng, torch_generator
from qmlsec.data import PreprocessingConfig
from qmlsec.models.hybrid import HybridQNN


class GradientInversionParams(FrozenModel):
    """Parameters of :class:`GradientInversion`.

    Attributes:
        batch_sizes: batch sizes whose shared gradients are inverted.
        batches_per_size: batches drawn per batch size.
        steps: L-BFGS iterations per restart.
        restarts: seeded random starts; the best gradient match is kept.
        labels: ``infer`` from the bias gradient, or ``known``.
    """

    batch_sizes: tuple[int, ...] = Field((1, 2, 4), min_length=1)
    batches_per_size: int = Field(1, ge=1)
    steps: int = Field(100, ge=1)
    restarts: int = Field(4, ge=1)
    labels: Literal["infer", "known"] = "infer"


class GradientInversion(InferenceAttack):
    """Reconstruct training features by matching the gradients the classical cloud sees."""

    name: ClassVar[str] = "inference.gradient_inversion"
    technique_id: ClassVar[str] = "QML.T0029"
    requires: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.SHARED_GRADIENTS, Capability.WEIGHTS}
    )
    positions: ClassVar[frozenset[Position]] = frozenset({Position.UNTRUSTED_CLASSICAL_CLOUD})
    Params: ClassVar[type[FrozenModel]] = GradientInversionParams
    check_params: ClassVar[dict[str, Any]] = {"batch_sizes": [1], "steps": 10, "restarts": 1}

    @property
    def net(self) -> HybridQNN:
        """An exact, twice-differentiable copy of the victim network."""
        if not hasattr(self, "net_"):
            victim = self.target.model.model_
            twin = HybridQNN(victim.spec, victim.head.out_features, gradient="backprop")
            twin.load_state_dict(victim.state_dict())
            self.net_ = twin
        return self.net_

    def box(self) -> tuple[float, float]:
        """The range of the pre-processed features (the scaler's output range)."""
        model = self.target.model
        cfg = PreprocessingConfig(scaling=model.scaling, feature_range=model.feature_range)
        return cfg.resolved_range() or (-np.pi, np.pi)

    def shared_gradients(self, x_raw: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """The gradients of one training step on raw batch ``(x_raw, y)`` (what leaks)."""
        feats = torch.as_tensor(self.target.model.preprocessing_.transform(x_raw))
        target = torch.as_tensor(self.target.model.class_index(y), dtype=torch.long)
        names, params = zip(*self.net.named_parameters(), strict=True)
        loss = torch.nn.functional.cross_entropy(self.net(feats), target)
        grads = torch.autograd.grad(loss, params)
        return {n: g.detach().numpy() for n, g in zip(names, grads, strict=True)}

    def infer_labels(self, gradients: dict[str, np.ndarray], batch_size: int) -> np.ndarray:
        """Class indices of the batch from the head's bias gradient (iDLG and counts)."""
        bias = gradients["head.bias"]
        if batch_size == 1:
            return np.array([int(np.argmin(bias))])
        lo, hi = self.box()
        gen = torch_generator(self.seed, "gradient-inversion", "label-probe")
        probe = lo + (hi - lo) * torch.rand(256, self.net.spec.n_inputs, generator=gen)
        with torch.no_grad():
            p_bar = torch.softmax(self.net(probe.double()), dim=1).mean(0).numpy()
        est = np.maximum(batch_size * (p_bar - bias), 0.0)
        counts = np.floor(est).astype(int)
        counts[(bias < 0) & (counts == 0)] = 1
        while counts.sum() < batch_size:
            counts[np.argmax(est - counts)] += 1
        while counts.sum() > batch_size:
            counts[np.argmax(counts - est)] -= 1
        return np.repeat(np.arange(len(bias)), counts)

    def _match(self, dummy: torch.Tensor, labels: torch.Tensor, shared: list[torch.Tensor]) -> Any:
        params = list(self.net.parameters())
        loss = torch.nn.functional.cross_entropy(self.net(dummy), labels)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        norm = sum(float((g**2).sum()) for g in shared)
        lo, hi = self.box()
        outside = (torch.relu(dummy - hi) ** 2 + torch.relu(lo - dummy) ** 2).sum()
        mismatch = sum(((g - s) ** 2).sum() for g, s in zip(grads, shared, strict=True)) / norm
        return mismatch + outside

    def infer(
        self, gradients: dict[str, np.ndarray], batch_size: int, labels: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Reconstruct ``(features, class indices)`` of a batch from its shared gradients."""
        if labels is None:
            labels = self.infer_labels(gradients, batch_size)
        names = [n for n, _ in self.net.named_parameters()]
        shared = [torch.as_tensor(gradients[n]) for n in names]
        y = torch.as_tensor(labels, dtype=torch.long)
        lo, hi = self.box()
        best, best_loss = None, np.inf
        for r in range(self.params.restarts):
            gen = torch_generator(self.seed, "gradient-inversion", batch_size, r)
            init = lo + (hi - lo) * torch.rand(batch_size, self.net.spec.n_inputs, generator=gen)
            dummy = init.double().requires_grad_(True)
            opt = torch.optim.LBFGS(
                [dummy],
                max_iter=self.params.steps,
                line_search_fn="strong_wolfe",
                tolerance_grad=1e-12,
                tolerance_change=1e-14,
            )

            def closure(dummy: torch.Tensor = dummy, opt: Any = opt) -> torch.Tensor:
                opt.zero_grad()
                loss = self._match(dummy, y, shared)
                loss.backward()
                return loss

            opt.step(closure)
            final = float(self._match(dummy, y, shared).detach())
            if final < best_loss:
                best, best_loss = dummy.detach().clamp(lo, hi).numpy().copy(), final
        self.match_loss_ = best_loss
        assert best is not None
        return best, np.asarray(labels)

    def _run(self, ctx: AttackContext) -> AttackResult:
        known = ctx.x_train is not None and ctx.y_train is not None
        x = np.asarray(ctx.x_train if known else ctx.x_test, dtype=np.float64)
        y = np.asarray(ctx.y_train if known else ctx.y_test)
        lo, hi = self.box()
        mid = (lo + hi) / 2
        rows: dict[str, list[Any]] = {
            k: [] for k in ("batch_size", "batch", "mse", "cosine", "label_correct", "random_mse")
        }
        metrics: dict[str, Any] = {}
        recovered: list[np.ndarray] = []
        for b in self.params.batch_sizes:
            for j in range(self.params.batches_per_size):
                idx = rng(self.seed, "gradient-inversion", "batch", b, j).choice(
                    len(x), b, replace=False
                )
                truth = self.target.model.preprocessing_.transform(x[idx])
                true_labels = self.target.model.class_index(y[idx])
                grads = self.shared_gradients(x[idx], y[idx])
                given = true_labels if self.params.labels == "known" else None
                rec, rec_labels = self.infer(grads, b, given)
                cost = ((rec[:, None, :] - truth[None, :, :]) ** 2).mean(axis=2)
                r_idx, t_idx = linear_sum_assignment(cost)
                recovered.append(np.asarray(rec, dtype=np.float64))
                guess = lo + (hi - lo) * rng(self.seed, "random-guess", b, j).random(truth.shape)
                g_cost = ((guess[:, None, :] - truth[None, :, :]) ** 2).mean(axis=2)
                rows["batch_size"] += [b] * b
                rows["batch"] += [j] * b
                rows["mse"] += cost[r_idx, t_idx].tolist()
                rows["cosine"] += rowwise_cosine(rec[r_idx] - mid, truth[t_idx] - mid).tolist()
                rows["label_correct"] += (rec_labels[r_idx] == true_labels[t_idx]).tolist()
                rows["random_mse"] += g_cost[linear_sum_assignment(g_cost)].tolist()
        sizes = np.asarray(rows["batch_size"])
        for b in self.params.batch_sizes:
            sel = sizes == b
            for key in ("mse", "cosine", "label_correct", "random_mse"):
                name = "label_accuracy" if key == "label_correct" else key
                metrics[f"{name}_b{b}"] = float(np.mean(np.asarray(rows[key], float)[sel]))
        metrics["mse"] = float(np.mean(rows["mse"]))
        metrics["random_mse"] = float(np.mean(rows["random_mse"]))
        result = self.new_result(
            metrics=metrics,
            per_sample=rows,
            curves={
                "mse_vs_batch_size": {
                    "x": list(self.params.batch_sizes),
                    "y": [metrics[f"mse_b{b}"] for b in self.params.batch_sizes],
                }
            },
            provides=["know.training_inputs", "goal.training_data_exposed"],
            notes=[
                "feature space: pre-processed angles; batches from the "
                + ("training" if known else "test")
                + " split",
                f"labels {self.params.labels}",
            ],
        )
        result.facts[TrainingInputs.id] = TrainingInputs(np.vstack(recovered), space="encoded")
        return result
