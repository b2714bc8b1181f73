"""Parameter tampering by a malicious quantum provider.

After Upadhyay and Ghosh, "Tampering with QAOA on untrusted quantum hardware"
(arXiv:2209.11872), where perturbing the variational angles on the provider side
degraded QAOA by up to ~40%. Here the provider receives the victim's bound, transpiled
inference circuits and, through its ``alter_circuit`` hook, either *perturbs* every
``rz`` angle by Gaussian noise of standard deviation ``size`` (radians) or *replaces* a
fraction ``size`` of them by uniform random angles. On IBM-style native gates every
bound parameter (data and weight) ends up in an ``rz`` angle, so this is what a
provider can tamper with without re-synthesis.

Measured: accuracy of the victim's inference through the tampered provider for each
size (per sample), and the accuracy drop relative to the untampered run.

Not covered: targeted tampering that only hits the weights (it would need the
identification of :mod:`qmlsec.attacks.recon.encoding_inference` first), tampering
during training (the same hook applies, but the training loop is not re-run here), and
re-synthesis of non-``rz`` gates.

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(1); _ = qc.rz(0.5, 0)
    >>> hook = tamper_angles(mode="perturb", size=0.0, rng=np.random.default_rng(0))
    >>> float(hook(qc).data[0].operation.params[0])
    0.5
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.session import ProviderSession
from qmlsec.attacks.hardware.victim import VictimCircuits
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.tampering.base import TamperingAttack
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, rng


def tamper_angles(
    *, mode: str, size: float, rng: np.random.Generator
) -> Callable[[QuantumCircuit], QuantumCircuit]:
    """An ``alter_circuit`` hook that perturbs or replaces ``rz`` angles (pure rewrite)."""

    def hook(circuit: QuantumCircuit) -> QuantumCircuit:
        out = circuit.copy_empty_like()
        for inst in circuit.data:
            op = inst.operation
            if op.name == "rz" and size > 0:
                angle = float(op.params[0])
                if mode == "perturb":
                    angle += float(rng.normal(0.0, size))
                elif rng.random() < size:
                    angle = float(rng.uniform(0.0, 2 * np.pi))
                op = op.copy()
                op.params = [angle]
            out.append(op, inst.qubits, inst.clbits)
        return out

    return hook


class ParameterTamperingParams(FrozenModel):
    """Parameters of :class:`ParameterTampering`."""

    mode: Literal["perturb", "replace"] = "perturb"
    sizes: tuple[float, ...] = Field(default=(0.0, 0.05, 0.1, 0.2, 0.5, 1.0))
    """``perturb``: Gaussian std in radians; ``replace``: fraction of angles replaced."""
    device: str = "fake_manila"
    noisy: bool = False
    shots: int = Field(default=1024, ge=1)
    max_samples: int = Field(default=60, ge=1)


class ParameterTampering(TamperingAttack):
    """Provider perturbs or replaces the bound angles of submitted circuits (QML.T0016)."""

    name: ClassVar[str] = "tampering.parameter"
    technique_id: ClassVar[str] = "QML.T0016"
    requires = frozenset({Capability.PROVIDER_CONTROL})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = ParameterTamperingParams
    check_params: ClassVar[dict] = {"sizes": (0.0, 0.5), "max_samples": 8, "shots": 256}

    def tamper(self, session: ProviderSession, size: float, index: int) -> None:
        """Install the angle-tampering hook of ``size`` on ``session``."""
        hook = tamper_angles(mode=self.params.mode, size=size, rng=rng(self.seed, "tamper", index))
        session.add_circuit_hook(hook)

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        victim = VictimCircuits(self.target.model)
        X, y = ctx.x_test[: p.max_samples], ctx.y_test[: p.max_samples]
        clean_acc, clean_pred = ProviderSession(p.device, noisy=p.noisy).accuracy(
            victim, X, y, shots=p.shots, seed=self.seed
        )
        result = self.new_result()
        result.per_sample = {"label": list(y), "clean_prediction": list(clean_pred)}
        accs = []
        for i, size in enumerate(p.sizes):
            session = ProviderSession(p.device, noisy=p.noisy)
            self.tamper(session, size, i)
            acc, pred = session.accuracy(victim, X, y, shots=p.shots, seed=self.seed)
            accs.append(acc)
            result.per_sample[f"prediction_{i}"] = list(pred)
            ctx.report("tampering", i + 1, len(p.sizes))
        result.curves["accuracy_vs_size"] = {"x": list(p.sizes), "y": accs}
        result.metrics = {
            "clean_accuracy": clean_acc,
            "tampered_accuracy_max_size": accs[-1],
            "max_accuracy_drop": clean_acc - min(accs),
            **{f"accuracy_drop_{s:g}": clean_acc - a for s, a in zip(p.sizes, accs, strict=True)},
        }
        result.provides = ["goal.integrity_lost"] if clean_acc - min(accs) > 0 else []
        return result
