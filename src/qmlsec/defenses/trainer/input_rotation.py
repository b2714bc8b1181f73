"""Secret input rotation: the clouds see and encode randomly rotated data, never the user's.

Mitigation QML.M0022, after rotation perturbation for outsourced classification (Chen,
Liu, "Privacy Preserving Data Classification with Rotation Perturbation", ICDM 2005;
random multiplicative perturbation, Liu, Kargupta, Ryan, IEEE TKDE 18(1), 2006). The
user draws a secret Haar-random orthogonal matrix ``R`` (QR of a Gaussian matrix with
the sign fix of Mezzadri, arXiv:math-ph/0609050) and a secret centre ``mu`` (the
training mean), and sends every training and query row as ``x' = R (x - mu) + mu``. The
classical cloud pre-processes ``x'``, the quantum provider encodes it: the bound data
angles of every state-preparation circuit are those of rotated rows. A provider that
solves the angles for the circuit inputs (``inference.state_prep_theft``) recovers the
rotated rows exactly, but cannot map them back to the user's data without ``R``.

Measured against ``inference.state_prep_theft``: the attack's own recovery of the circuit
inputs it saw (``encoded_recovered_fraction``, unchanged) and the recovery of the
user's training inputs in the encoded space the undefended victim uses
(``recovered_fraction``, the attack's headline: the rows whose victim circuit inputs the
stolen rows match within the attack's ``tol``), with Wilson intervals.

Cost: clean accuracy lost (angle encodings are not rotation-invariant, so the QNN
trains on a harder or easier problem) and the training-time multiplier.

Not covered: known-plaintext attacks (``d`` known pairs ``(x, x')`` solve for ``R``;
Liu, Giannella, Kargupta, PKDD 2006), distance-based inference (rotations preserve
distances, so clustering the stolen rows still groups them by label, QML.T0024.000),
and blind quantum computation, which hides the angles themselves.

Example:
    >>> import numpy as np
    >>> rot = InputRotation(seed=3)
    >>> x = np.arange(12.0).reshape(4, 3)
    >>> _ = rot.fit_transform_key(x)
    >>> bool(np.allclose(np.linalg.norm(rot.rotate(x) - x.mean(0), axis=1),
    ...                  np.linalg.norm(x - x.mean(0), axis=1)))
    True
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, ClassVar

import numpy as np

from qmlsec.attacks.inference.state_prep_theft import circuit_inputs
from qmlsec.attacks.setup import AttackSetup
from qmlsec.config import rng
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.trainer.base import TrainerDefense
from qmlsec.exceptions import ConfigError
from qmlsec.stats import wilson


def haar_orthogonal(d: int, gen: np.random.Generator) -> np.ndarray:
    """A Haar-random ``d x d`` orthogonal matrix (QR with the diagonal sign fix)."""
    q, r = np.linalg.qr(gen.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


class InputRotation(TrainerDefense):
    """Train and query on secretly rotated inputs; the key stays with the user."""

    name: ClassVar[str] = "trainer.input_rotation"
    mitigation_id: ClassVar[str] = "QML.M0022"
    counters: ClassVar[tuple[str, ...]] = ("inference.state_prep_theft",)
    check_params: ClassVar[dict[str, Any]] = {}

    def fit_transform_key(self, X: np.ndarray) -> np.ndarray:
        """Draw the secret key for rows like ``X`` (its rotation and centre); return ``R``."""
        X = np.asarray(X, dtype=np.float64)
        self.rotation_ = haar_orthogonal(X.shape[1], rng(self.seed, "input-rotation"))
        self.center_ = X.mean(axis=0)
        return self.rotation_

    def rotate(self, X: np.ndarray) -> np.ndarray:
        """The rows the clouds see: ``R (x - mu) + mu``."""
        if not hasattr(self, "rotation_"):
            raise ConfigError("the rotation key is not drawn yet", hint="call fit first")
        X = np.asarray(X, dtype=np.float64)
        return (X - self.center_) @ self.rotation_.T + self.center_

    def fit(self, X: np.ndarray, y: np.ndarray) -> Any:
        """Draw the key and train the recipe on the rotated rows."""
        self.fit_transform_key(X)
        return self.classifier().fit(self.rotate(X), np.asarray(y))

    def protect(self, setup: AttackSetup) -> tuple[AttackSetup, DefenseCost]:
        ctx = setup.ctx
        if ctx.x_train is None or ctx.y_train is None:
            raise ConfigError(f"defense {self.name!r} needs the training split in the context",
                              hint="build the setup with AttackSetup.from_deployment")  # fmt: skip
        self.for_model(setup.model)
        start = time.perf_counter()
        model = self.fit(ctx.x_train, ctx.y_train)
        seconds = time.perf_counter() - start
        x_test = self.rotate(ctx.x_test)
        protected = setup.with_model(model)
        protected = protected.replace(ctx=dataclasses.replace(
            ctx, x_train=self.rotate(ctx.x_train), x_test=x_test, facts=ctx.facts.copy(),
            train_victim=lambda X, y: self.classifier().fit(X, y)))  # fmt: skip
        protected.notes.append(f"{self.name}: the clouds see rows rotated by the user's secret")
        base_acc = float(setup.model.score(ctx.x_test, ctx.y_test))
        acc = float(model.score(x_test, ctx.y_test))
        return protected, DefenseCost(accuracy_drop=base_acc - acc, seconds=seconds, extra={
            "clean_accuracy_without": base_acc, "clean_accuracy_with": acc})  # fmt: skip

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Run the attack on the rotated deployment; score what it stole against the user's data."""
        protected, cost = self.protect(setup)
        result = protected.run(seed)
        result.notes.extend(protected.notes)
        rows = result.per_sample.get("recovered_inputs")
        if rows is None or setup.ctx.x_train is None:
            return result, cost
        stolen = np.asarray(rows, dtype=np.float64)
        truth = circuit_inputs(setup.model, np.asarray(setup.ctx.x_train)[: len(stolen)])
        tol = float(getattr(setup.attack_cls.Params(**setup.params), "tol", 1e-6))
        error = np.abs(stolen - truth).max(axis=1)
        hits = error < tol
        result.metrics["encoded_recovered_fraction"] = result.metrics.get("recovered_fraction", 0.0)
        result.metrics["recovered_fraction"] = float(hits.mean())
        result.metrics["mean_input_error"] = float(error.mean())
        result.intervals["recovered_fraction"] = wilson(int(hits.sum()), len(hits))
        result.per_sample["max_input_error"] = error.tolist()
        result.notes.append(
            f"{self.name}: the provider recovered the rotated rows it saw "
            f"({result.metrics['encoded_recovered_fraction']:.2f}); of the user's own rows "
            f"{int(hits.sum())}/{len(hits)} (mean angle error {error.mean():.3f})")  # fmt: skip
        return result, cost
