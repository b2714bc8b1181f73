"""Parameter tampering by a malicious quantum provider.

After Upadhyay and Ghosh, "Tampering with QAOA on untrusted quantum hardware"
(arXiv:2209.11872), where perturbing the variational angles on the provider side
degraded QAOA by up to ~40%. Here a malicious :class:`~qmlsec.cloud.providers.QuantumCloud`
carries an :class:`AngleTamperHook` (``transform_circuit``): every circuit the victim's
endpoint submits (one angle per rotation, data and weight angles alike) has each
rotation angle either *perturbed* by Gaussian noise of standard deviation ``size``
(radians, one draw per gate and job) or, for a fraction ``size`` of the gates,
*replaced* by a uniform random angle.

Measured: accuracy of the victim's inference through the tampered provider for each
size (per sample), and the accuracy drop relative to the untampered run.

Not covered: targeted tampering that only hits the weights (it would need the
identification of :mod:`qmlsec.attacks.recon.encoding_inference` first), tampering
during training (the same hook applies, but the training loop is not re-run here), and
re-synthesis of non-``rz`` gates.

Example:
    >>> qc = QuantumCircuit(1); _ = qc.rz(0.5, 0)
    >>> out = tamper_angles(qc, mode="replace", size=1.0, rng=np.random.default_rng(0))
    >>> [inst.operation.name for inst in out.data]
    ['rz', 'rz']
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.access import ProviderRunParams
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.tampering.base import TamperingAttack
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.config import rng

ROTATIONS = frozenset(
    {"rx", "ry", "rz", "p", "crx", "cry", "crz", "cp", "rxx", "ryy", "rzz", "rzx"}
)
"""One-angle gates whose angles add when repeated: ``g(a) g(b) = g(a + b)``."""


def tamper_angles(
    circuit: QuantumCircuit, *, mode: str, size: float, rng: np.random.Generator
) -> QuantumCircuit:
    """A copy of ``circuit`` with its rotation angles perturbed or replaced (pure rewrite).

    ``perturb`` adds Gaussian noise of std ``size`` to every rotation angle; ``replace``
    sets a fraction ``size`` of them to uniform random angles ``c`` by appending
    ``g(c - a)`` after ``g(a)``, which keeps every parameter of the circuit bound by the
    victim's values.
    """
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        op = inst.operation
        extra = None
        if op.name in ROTATIONS and size > 0:
            angle = op.params[0]
            if mode == "perturb":
                op = op.copy()
                op.params = [angle + float(rng.normal(0.0, size))]
            elif rng.random() < size:
                extra = op.copy()
                extra.params = [float(rng.uniform(0.0, 2 * np.pi)) - angle]
        out.append(op, inst.qubits, inst.clbits)
        if extra is not None:
            out.append(extra, inst.qubits, inst.clbits)
    return out


class AngleTamperHook(ProviderHook):
    """``transform_circuit``: every submitted circuit has its angles tampered with."""

    def __init__(self, *, mode: str, size: float, gen: np.random.Generator) -> None:
        self.mode, self.size, self.gen = mode, size, gen

    def transform_circuit(self, job: QuantumJob, circuit: QuantumCircuit) -> QuantumCircuit:
        """The tampered circuit (unchanged when ``size`` is 0)."""
        if self.size <= 0:
            return circuit
        return tamper_angles(circuit, mode=self.mode, size=self.size, rng=self.gen)


class ParameterTamperingParams(ProviderRunParams):
    """Parameters of :class:`ParameterTampering`."""

    mode: Literal["perturb", "replace"] = "perturb"
    sizes: tuple[float, ...] = Field(default=(0.0, 0.05, 0.1, 0.2, 0.5, 1.0))
    """``perturb``: Gaussian std in radians; ``replace``: fraction of angles replaced."""


class ParameterTampering(TamperingAttack):
    """Provider perturbs or replaces the bound angles of submitted circuits (QML.T0016)."""

    name: ClassVar[str] = "tampering.parameter"
    technique_id: ClassVar[str] = "QML.T0016"
    requires = frozenset({Capability.PROVIDER_CONTROL})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = ParameterTamperingParams
    check_params: ClassVar[dict] = {"sizes": (0.0, 0.5), "max_samples": 8, "shots": 256}

    def tamper(self, level: float, index: int) -> AngleTamperHook:
        """The provider hook tampering with angles at size ``level``."""
        gen = rng(self.seed, "tamper", index)
        return AngleTamperHook(mode=self.params.mode, size=level, gen=gen)

    def _run(self, ctx: AttackContext) -> AttackResult:
        result = self.sweep(ctx, self.params.sizes, "size")
        result.metrics["tampered_accuracy_max_size"] = result.curves["accuracy_vs_size"]["y"][-1]
        return result
