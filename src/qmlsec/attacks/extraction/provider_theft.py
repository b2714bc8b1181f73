"""Model theft by an honest-but-curious quantum provider from the circuits it runs.

After "Quantum Quandaries" (arXiv:2502.01486), "Quantum Imitation Game"
(arXiv:2407.07237) and arXiv:2408.16929. Two steps:

1. *Architecture*: encoding, ansatz family and layer count are identified from the
   transpiled circuits by the random-forest classifiers of
   :class:`~qmlsec.attacks.recon.encoding_inference.EncodingInference` (trained on the
   provider's own corpus of random QNN specs; identification accuracy is scored on
   held-out specs, then the victim is identified).
2. *Bound parameters*: a :class:`~qmlsec.attacks.recon.job_observer.JobObserver`
   (``on_submit``) on an honest-but-curious :class:`~qmlsec.cloud.providers.QuantumCloud`
   records the victim's jobs as its endpoint answers ``n_jobs`` queries; with the
   identified architecture compiled, the affine angle equations are solved for the
   shared weights (:func:`~qmlsec.attacks.recon.job_observer.solve_inputs`).

Measured: identification accuracy per label and joint (held-out specs), whether the
victim was identified, and the fraction of its weights recovered within ``1e-6``.

Not covered: obfuscated circuits, transpiler settings other than the provider's own,
entanglement-pattern identification, and the classical head (never sent to the QPU).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.foothold import installed, predict, provider_cloud, serve
from qmlsec.attacks.inference.state_prep_theft import circuit_inputs
from qmlsec.attacks.recon.encoding_inference import EncodingInference
from qmlsec.attacks.recon.job_observer import JobObserver, solve_inputs
from qmlsec.attacks.result import AttackResult
from qmlsec.engine import compile_circuit


class ProviderTheft(EncodingInference):
    """Provider identifies the architecture and solves for the weights (QML.T0021)."""

    name: ClassVar[str] = "extraction.provider_theft"
    technique_id: ClassVar[str] = "QML.T0021"
    family: ClassVar[str] = "extraction"

    def extract(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        """Observe the victim's jobs on ``X``; the weights solved with its architecture."""
        model = self.target.model
        cloud = provider_cloud(self.target, trust="honest-but-curious", seed=self.seed)
        observer = JobObserver()
        with installed(cloud, observer):
            predict(serve(model, cloud, shots=256, seed=self.seed), X, seed=self.seed)
        spec = model.model_.spec
        compiled = compile_circuit(spec.build(), spec.observables())
        n_inputs = circuit_inputs(model, X[:1]).shape[1]
        _, theta, residual = solve_inputs(compiled, observer.rows(), n_inputs, compiled.n_weights)
        return theta, residual

    def _run(self, ctx: AttackContext) -> AttackResult:
        result = super()._run(ctx)
        model: Any = self.target.model
        if model is not None and result.metrics.get("victim_identified", 0.0) == 1.0:
            theta, residual = self.extract(ctx.x_test[: self.params.n_jobs])
            err = np.abs(theta - model.model_.theta.detach().numpy())
            result.metrics["victim_weights_recovered"] = float(np.mean(err < 1e-6))
            result.metrics["angle_residual"] = residual
        result.provides = ["know.encoding", "know.architecture", "goal.ip_stolen"]
        return result
