"""SPSA: black-box L∞ evasion from the probabilities a shot-noisy endpoint returns.

Example:
    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> from qmlsec.attacks import QueryCounter, Target
    >>> class Linear:  # a 2-class toy endpoint: p(1) grows with the feature sum
    ...     n_features, n_classes = 2, 2
    ...     def query(self, X, *, output="probabilities", shots=None, seed=None):
    ...         p1 = 1 / (1 + np.exp(-(X.sum(axis=1) - 1.0) * 4))
    ...         return SimpleNamespace(values=np.c_[1 - p1, p1], shots=0, circuits=len(X))
    >>> counter = QueryCounter(Linear())
    >>> attack = SPSA(Target.black_box(counter), {"steps": 20, "lr": 0.05}, seed=0)
    >>> x_adv = attack.generate(np.array([[0.3, 0.3]]), np.array([0]), eps=0.5, box=(0.0, 1.0))
    >>> bool(x_adv.sum() > 1.0), counter.stats.samples > 0
    (True, True)
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from qmlsec.attacks.evasion.base import EvasionAttack, EvasionParams
from qmlsec.attacks.evasion.oracle import VictimOracle
from qmlsec.attacks.targets import Capability
from qmlsec.config import derive_seed, rng
from qmlsec.exceptions import DataError

_FLOOR = 1e-6


class SPSAParams(EvasionParams):
    """SPSA parameters (Uesato et al. 2018 defaults scaled to a small budget).

    Attributes:
        norm: only ``"inf"``.
        steps: Adam steps per ε.
        samples: Rademacher directions per step; each costs two queries per input.
        delta: finite-difference size, as a fraction of the box width.
        lr: Adam learning rate, as a fraction of the box width.
        early_stop: freeze an input once its estimated margin is negative.
    """

    norm: Literal["inf"] = "inf"
    steps: int = Field(20, ge=1)
    samples: int = Field(16, ge=1)
    delta: float = Field(0.01, gt=0)
    lr: float = Field(0.01, gt=0)
    early_stop: bool = True


def margin(probs: np.ndarray, y_idx: np.ndarray) -> np.ndarray:
    """``log p_y − max_{j≠y} log p_j`` (negative once misclassified); probs ``(..., C)``."""
    logp = np.log(np.clip(probs, _FLOOR, None))
    true = np.take_along_axis(logp, y_idx[..., None], axis=-1)[..., 0]
    others = logp.copy()
    np.put_along_axis(others, y_idx[..., None], -np.inf, axis=-1)
    return true - others.max(axis=-1)


class SPSA(EvasionAttack):
    """Black-box evasion by SPSA gradient estimates and Adam (L∞).

    Each step estimates the gradient of the margin loss at ``x`` from ``2·samples``
    queries ``x ± δ·v`` with Rademacher ``v``:
    ``ĝ = mean_v (f(x+δv) − f(x−δv)) / (2δ) · v``, takes an Adam step that lowers the
    margin, projects onto the ε-ball and clips into the box. Every query goes through
    the target's :class:`~qmlsec.attacks.queries.QueryCounter` (calls, samples, shots,
    circuits are counted), and shot noise in the returned probabilities enters the
    estimate as it would against a real QMLaaS endpoint.

    Paper: Uesato, O'Donoghue, van den Oord, Kohli, "Adversarial Risk and the Dangers of
    Evaluating Against Weak Attacks", ICML 2018 (arXiv:1802.05666).

    Not covered: L2, label-only endpoints (decision-based attacks such as HopSkipJump),
    query-efficient priors (bandits, NES), per-sample query budgets (use the counter's
    budget).
    """

    name: ClassVar[str] = "evasion.spsa"
    technique_id: ClassVar[str] = "QML.T0011.001"
    requires: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.QUERY_ACCESS, Capability.PROBABILITIES}
    )
    Params: ClassVar[type[SPSAParams]] = SPSAParams
    check_params: ClassVar[dict[str, object]] = {"eps": [0.1], "steps": 3, "samples": 4}

    def generate(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        eps: float,
        box: tuple[float, float] | None = None,
    ) -> np.ndarray:
        x = np.array(x, dtype=np.float64)
        box = self.box_for(x, box)
        oracle = VictimOracle(self.target)
        classes = oracle.classes()
        y = np.asarray(y)
        y_idx = np.searchsorted(classes, y)
        if np.any(y_idx >= len(classes)) or np.any(
            classes[np.minimum(y_idx, len(classes) - 1)] != y
        ):
            raise DataError(
                "labels outside the endpoint's classes", hint=f"classes: {classes.tolist()}"
            )
        out = np.empty_like(x)
        for b, sl in enumerate(self.batches(len(x))):
            out[sl] = self._attack_batch(oracle, x[sl], y_idx[sl], eps, box, b)
        return out

    def _attack_batch(
        self,
        oracle: VictimOracle,
        x0: np.ndarray,
        y_idx: np.ndarray,
        eps: float,
        box: tuple[float, float],
        batch: int,
    ) -> np.ndarray:
        p = self.params
        width = box[1] - box[0]
        radius, sigma, lr = self.radius(eps, box), p.delta * width, p.lr * width
        tag = f"{float(eps):g}"
        gen = rng(self.seed, self.name, "directions", tag, batch)
        x = x0.copy()
        m, v = np.zeros_like(x), np.zeros_like(x)
        active = np.ones(len(x), dtype=bool)
        for step in range(p.steps):
            idx = np.flatnonzero(active)
            if len(idx) == 0:
                break
            dirs = gen.choice([-1.0, 1.0], size=(len(idx), p.samples, x.shape[1]))
            plus, minus = x[idx, None] + sigma * dirs, x[idx, None] - sigma * dirs
            queries = np.concatenate([plus, minus], axis=1).reshape(-1, x.shape[1])
            seed = derive_seed(self.seed, self.name, "shots", tag, batch, step)
            probs = oracle.probabilities(queries, seed=seed).reshape(len(idx), 2 * p.samples, -1)
            f = margin(probs, np.repeat(y_idx[idx, None], 2 * p.samples, axis=1))
            diff = (f[:, : p.samples] - f[:, p.samples :]) / (2 * sigma)
            grad = (diff[:, :, None] * dirs).mean(axis=1)
            if p.early_stop:
                done = f.mean(axis=1) < 0
                active[idx[done]] = False
                idx, grad = idx[~done], grad[~done]
            m[idx] = 0.9 * m[idx] + 0.1 * grad
            v[idx] = 0.999 * v[idx] + 0.001 * grad**2
            m_hat, v_hat = m[idx] / (1 - 0.9 ** (step + 1)), v[idx] / (1 - 0.999 ** (step + 1))
            x[idx] = x[idx] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
            x[idx] = np.clip(np.clip(x[idx], x0[idx] - radius, x0[idx] + radius), *box)
        return x
