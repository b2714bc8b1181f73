"""Model theft by an honest-but-curious quantum provider from the circuits it runs.

After "Quantum Quandaries" (arXiv:2502.01486), "Quantum Imitation Game"
(arXiv:2407.07237) and arXiv:2408.16929. Two steps:

1. *Architecture*: the provider's classifiers read encoding, ansatz family and layer
   count from the transpiled circuits
   (:class:`~qmlsec.attacks.recon.encoding_inference.EncodingInference`, trained on its
   own corpus of random QNN specs and scored on held-out specs), and the full
   architecture is matched exactly against the logical circuit the victim submits
   (:func:`~qmlsec.attacks.recon.architecture_match.match_architecture`).
2. *Bound parameters*: an observing hook on the victim's honest-but-curious
   :class:`~qmlsec.cloud.providers.QuantumCloud` keeps the victim's jobs as its endpoint
   answers ``n_jobs`` queries; with the matched architecture compiled, the affine angle
   equations are solved for the shared weights
   (:func:`~qmlsec.attacks.recon.job_observer.solve_inputs`).

Measured: identification accuracy per label and joint (held-out specs), whether the
victim was identified (classifier, exact match), and the fraction of its weights
recovered within ``1e-6``. The :class:`~qmlsec.attacks.facts.KnownArchitecture` and
:class:`~qmlsec.attacks.facts.KnownParameters` facts carry the stolen circuit.

Not covered: obfuscated circuits, transpiler settings other than the provider's own,
architectures outside the enumerated family, and the classical
pre-processing and head (never sent to the QPU).
"""

from __future__ import annotations

from typing import ClassVar

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import KnownArchitecture, KnownParameters
from qmlsec.attacks.recon.encoding_inference import EncodingInference
from qmlsec.attacks.result import AttackResult


class ProviderTheft(EncodingInference):
    """Provider identifies the architecture and solves for the weights (QML.T0021)."""

    name: ClassVar[str] = "extraction.provider_theft"
    technique_id: ClassVar[str] = "QML.T0021"
    family: ClassVar[str] = "extraction"

    def _run(self, ctx: AttackContext) -> AttackResult:
        result = super()._run(ctx)
        result.facts, result.provides = {}, ["goal.ip_stolen"]
        spec, theta = result.outputs.get("stolen_spec"), result.outputs.get("stolen_theta")
        if spec is not None and theta is not None and len(theta) == spec.n_weights:
            result.establish(KnownArchitecture(spec=spec), KnownParameters(theta=theta))
            result.provides.append("cap.model_white_box")
        return result
