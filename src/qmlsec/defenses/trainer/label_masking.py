"""Label masking by zero-weight decoys in the training stream the provider sees.

Mitigation QML.M0014, after Upadhyay and Ghosh, "Quantum Data Breach" (ISQED 2025,
arXiv:2407.14687): label masking plus a modified cost function cut an untrusted
provider's label recovery by about 70%. In the QMLaaS model of this testbed the provider
never sees labels; it sees the bound state-preparation circuits of the training inputs
and recovers labels by clustering them (QML.T0024.000). A secret permutation of the
labels alone changes nothing it sees, and a secret orthogonal mixing of the features
does not either (k-means is invariant under rotations of the input space). So the mask
acts on what is submitted:

1. one secret decoy centre per class is drawn as a random convex mixture
   ``lam * x_i + (1 - lam) * x_j`` of two real samples of *different* classes
   (``lam ~ U(0, 1)``), and ``decoy_ratio`` decoys per real sample are drawn around
   those centres with Gaussian spread of ``jitter`` feature standard deviations. The
   decoy mass outweighs the real samples, so k-means spends its centroids on the decoy
   clouds, which straddle the class boundaries, and the real samples are split by them
   rather than by class (mixtures spread uniformly between classes were measured to be
   weaker: 0.92 -> 0.80 recovered fraction on iris at two decoys per sample);
2. real samples and decoys are shuffled into one stream (``stream_``, ``decoy_mask_``),
   whose circuits the provider runs alike (forward and gradient jobs: a decoy without
   gradient jobs would give itself away);
3. the masked cost gives decoys weight zero: ``L = sum_i w_i l(x_i, y_i)`` with
   ``w_i = 0`` for decoys, so their gradient is exactly zero and the deployed model
   equals the one trained on the real samples alone (same seed, same weights).

Measured (:meth:`LabelMasking.defended_run`): the attack runs on the stream the provider
observes, and its recovered fraction and purity are scored on the real samples only
(best cluster-to-label matching among them, as the undefended run). Cost: clean accuracy
change, the decoy circuits and shots per epoch (``extra_circuits_per_epoch``,
``extra_shots``) and the training time. On iris (4 qubits, 2 layers, defaults, seeds
0-2) the recovered fraction drops from 0.92 to 0.37-0.41 (about 57% relative; chance
with best matching is near 0.4), at no clean-accuracy cost (the weights are identical)
and three times the circuits (forward + parameter-shift jobs) per epoch on the provider.

Not covered: an adaptive provider that knows the decoy distribution and filters decoys
by density or by their position between clusters; provider-side analysis of the
gradient results themselves; the clone-accuracy effect on QML.T0026; and the paper's
label permutation (it changes nothing the provider sees here).

Example:
    >>> LabelMasking({"decoy_ratio": 2.0}).params.jitter
    0.6
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.inference.label_clustering import match_clusters
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.setup import AttackSetup
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.trainer.base import TrainerDefense


class LabelMaskingParams(FrozenModel):
    """Parameters of :class:`LabelMasking`."""

    decoy_ratio: float = Field(2.0, ge=0, le=10)
    """Decoys per real training sample."""
    jitter: float = Field(0.6, ge=0)
    """Spread of the decoys around their centres, in per-feature standard deviations
    (on iris at two decoys per sample: 0.02 -> 0.66, 0.3 -> 0.66, 0.6 -> 0.40 recovered
    fraction, mean of three seeds)."""
    shots: int = Field(256, ge=1)
    """Shots per decoy circuit on the provider (for the cost)."""


def cross_class_decoys(
    X: np.ndarray, y: np.ndarray, n: int, jitter: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` convex mixtures of two samples of different classes, with Gaussian jitter.

    Returns the decoys and the label of each one's dominant partner (never trained on).
    """
    i = rng.integers(len(y), size=n)
    j = rng.integers(len(y), size=n)
    for _ in range(100):  # redraw partners of the same class
        same = y[i] == y[j]
        if not same.any():
            break
        j[same] = rng.integers(len(y), size=int(same.sum()))
    lam = rng.uniform(size=(n, 1))
    noise = rng.normal(size=(n, X.shape[1])) * X.std(axis=0) * jitter
    nearest = np.where(lam[:, 0] >= 0.5, y[i], y[j])
    return lam * X[i] + (1.0 - lam) * X[j] + noise, nearest


class LabelMasking(TrainerDefense):
    """Mix zero-weight cross-class decoys into the training stream the provider sees."""

    name: ClassVar[str] = "trainer.label_masking"
    mitigation_id: ClassVar[str] = "QML.M0014"
    counters: ClassVar[tuple[str, ...]] = ("inference.label_clustering",)
    Params = LabelMaskingParams
    check_params: ClassVar[dict[str, Any]] = {"decoy_ratio": 0.5}

    def masked_stream(
        self, X: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The shuffled stream of real samples and decoys, its labels and its decoy mask."""
        p = self.params
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        rng = np.random.default_rng(derive_seed(self.seed, "label_masking"))
        n = int(round(p.decoy_ratio * len(y)))
        centres, nearest = cross_class_decoys(X, y, len(np.unique(y)), 0.0, rng)
        which = rng.integers(len(centres), size=n)
        decoys = centres[which] + rng.normal(size=(n, X.shape[1])) * X.std(axis=0) * p.jitter
        nearest = nearest[which]
        stream = np.concatenate([X, decoys])
        labels = np.concatenate([y, nearest])
        mask = np.concatenate([np.zeros(len(y), dtype=bool), np.ones(n, dtype=bool)])
        order = rng.permutation(len(stream))
        return stream[order], labels[order], mask[order]

    def fit(self, X: np.ndarray, y: np.ndarray) -> Any:
        X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
        self.stream_, self.stream_labels_, self.decoy_mask_ = self.masked_stream(X, y)
        # The masked cost: decoys weigh zero, so their gradient vanishes and the loss over
        # the stream is the loss over the real samples, which is what is minimised here.
        return self.classifier().fit(X, y)

    def protect(self, setup: AttackSetup) -> tuple[AttackSetup, DefenseCost]:
        protected, cost = super().protect(setup)
        ctx, p = protected.ctx, self.params
        stream, labels, mask = self.stream_, self.stream_labels_, self.decoy_mask_
        observed = protected.params.get("max_samples", 60)
        params = {**protected.params,
                  "max_samples": int(math.ceil(observed * (1 + p.decoy_ratio)))}  # fmt: skip
        protected = protected.replace(
            ctx=type(ctx)(x_test=ctx.x_test, y_test=ctx.y_test, x_train=stream, y_train=labels,
                          train_victim=ctx.train_victim, facts=ctx.facts.copy(),
                          progress=ctx.progress),
            params=params,
        )  # fmt: skip
        self.observed_mask_ = mask[: params["max_samples"]]
        n_weights = int(protected.model.model_.compiled.n_weights)
        circuits = int(mask.sum()) * (1 + 2 * n_weights)
        cost.extra_shots = circuits * p.shots * int(self.recipe.get("epochs", 15))
        cost.extra.update({"decoys": float(mask.sum()),
                           "extra_circuits_per_epoch": float(circuits),
                           "stream_multiplier": len(stream) / max(1, int((~mask).sum()))})  # fmt: skip
        # Locally the decoys cost nothing (zero weight); on a provider every decoy runs its
        # forward and gradient jobs, so cloud training time scales with the stream.
        cost.extra["projected_cloud_time_multiplier"] = cost.extra["stream_multiplier"]
        protected.notes.append(f"{int(mask.sum())} zero-weight decoys mixed into the training "
                               "stream the provider observes")  # fmt: skip
        return protected, cost

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[AttackResult, DefenseCost]:
        protected, cost = self.protect(setup)
        result = protected.run(seed)
        result.notes.extend(protected.notes)
        if "recovered_label" in result.per_sample:
            real = ~self.observed_mask_[: len(result.per_sample["label"])]
            named = np.asarray(result.per_sample["recovered_label"])[real]
            truth = np.asarray(result.per_sample["label"])[real]
            rematched, purity = match_clusters(named, truth)
            result.per_sample = {"label": truth.tolist(), "recovered_label": rematched.tolist()}
            result.metrics.update({"recovered_fraction": float(np.mean(rematched == truth)),
                                   "purity": purity, "decoys_observed": float((~real).sum())})  # fmt: skip
            result.notes.append("scored on the real samples of the observed stream")
        return result, cost
