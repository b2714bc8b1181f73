"""Recover the victim's training inputs from the state-preparation circuits it submits.

After the SoK on QMLaaS security (the quantum cloud sees every encoded input in plain
form during training) and the parameter-recovery analysis of arXiv:2408.16929. An
honest-but-curious :class:`~qmlsec.cloud.providers.QuantumCloud` carries a
:class:`~qmlsec.attacks.recon.job_observer.JobObserver` (``on_submit``) while the
victim's training-set forward jobs run through its endpoint on that cloud (the jobs a
cloud-trained QNN submits for every training input). With the architecture known
(``extraction.provider_theft`` identifies it), each observed angle row is affine in the
circuit inputs and the shared weights; one least-squares solve returns both.

Measured: the fraction of training samples whose circuit inputs are recovered within
``tol`` (and the weights), and the maximal residual of the angle equations. Outputs for
later stages: ``stolen_inputs`` (the recovered circuit inputs, in the encoded space the
provider sees, rows in the order of ``ctx.x_train``) and ``stolen_weights``.

Not covered: mapping circuit inputs back to raw features through a non-invertible
pre-processing (PCA keeps only its components), gradient-shifted jobs (the same rows
plus known shifts), and obfuscated circuits.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import Field

from qmlsec.attacks.access import installed, predict, provider_cloud, serve
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import KnownParameters, TrainingInputs
from qmlsec.attacks.inference.base import InferenceAttack
from qmlsec.attacks.recon.job_observer import JobObserver, solve_inputs
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel
from qmlsec.exceptions import DataError


def circuit_inputs(model: Any, X: np.ndarray) -> np.ndarray:
    """The circuit inputs ``x`` the victim encodes for raw features ``X``."""
    features = torch.as_tensor(model.preprocessing_.transform(np.asarray(X, dtype=float)))
    with torch.no_grad():
        return model.model_.spec.feature_map(features.to(torch.float64)).numpy()


class StatePrepTheftParams(FrozenModel):
    """Parameters of :class:`StatePrepTheft`."""

    max_samples: int = Field(default=60, ge=1)
    shots: int = Field(default=256, ge=1)
    tol: float = Field(default=1e-6, gt=0)
    device: str | None = None


class StatePrepTheft(InferenceAttack):
    """Provider solves the observed angles for the training inputs (QML.T0024)."""

    name: ClassVar[str] = "inference.state_prep_theft"
    technique_id: ClassVar[str] = "QML.T0024"
    requires = frozenset({Capability.CIRCUIT_ACCESS})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = StatePrepTheftParams
    check_params: ClassVar[dict] = {"max_samples": 10, "shots": 64}

    def infer(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Observe the victim's jobs on ``X``; return recovered inputs, weights, residual."""
        p, model = self.params, self.target.model
        cloud = provider_cloud(
            self.target, device=p.device, trust="honest-but-curious", seed=self.seed
        )
        observer = JobObserver()
        with installed(cloud, observer):
            predict(
                serve(model, cloud, device=p.device, shots=p.shots, seed=self.seed),
                X,
                seed=self.seed,
            )
        compiled = model.model_.compiled
        n_inputs = circuit_inputs(model, X[:1]).shape[1]
        return solve_inputs(compiled, observer.rows(), n_inputs, compiled.n_weights)

    def _run(self, ctx: AttackContext) -> AttackResult:
        p, model = self.params, self.target.model
        if ctx.x_train is None:
            raise DataError(
                "state-preparation theft needs the victim's training split in the context"
            )
        X = ctx.x_train[: p.max_samples]
        recovered, theta, residual = self.infer(X)
        truth = circuit_inputs(model, X)
        error = np.abs(recovered - truth).max(axis=1)
        weights = model.model_.theta.detach().numpy()
        result = self.new_result()
        result.per_sample = {
            "max_input_error": error.tolist(),
            "recovered_inputs": recovered.tolist(),
        }
        result.metrics = {
            "recovered_fraction": float(np.mean(error < p.tol)),
            "weights_recovered_fraction": float(np.mean(np.abs(theta - weights) < p.tol)),
            "angle_residual": residual,
        }
        if result.metrics["recovered_fraction"] > 0:
            result.establish(TrainingInputs(inputs=recovered, space="encoded"))
        if result.metrics["weights_recovered_fraction"] > 0:
            result.establish(KnownParameters(theta=theta))
        return result
