"""Pulse-level fault injection: the provider mis-scales the drive amplitude of chosen gates.

After Ghosh, Upadhyay and Saki, "A Primer on Security of Quantum Computing Hardware"
(arXiv:2305.02505: a malicious calibration service or provider mis-calibrates qubits to
degrade the computation) and "Jailbreaking Quantum Computers" (arXiv:2406.05941: the
pulse that implements a gate can be changed behind its gate-level description, e.g.
its waveform or amplitude). Whoever controls the control stack (the provider, or an
insider at the control electronics) scales the amplitude of the pulses that implement
chosen native gates on chosen physical qubits by ``factor`` for the victim's jobs.

Physics. For a resonant drive with a fixed envelope the rotation angle is proportional
to the pulse area, so scaling the amplitude by ``f`` turns ``sx = RX(pi/2)`` into
``RX(f pi/2)`` and ``x`` into ``RX(f pi)``: a *coherent over-rotation* ``RX((f-1) theta)``
after the calibrated gate. For ``cx`` the cross-resonance pulse's area sets the ``ZX``
angle (``cx`` = local rotations times ``RZX(pi/2)``), so the fault is
``RZX((f-1) pi/2)`` on (control, target). :class:`PulseFaultContributor` adds these
unitaries as Aer noise terms on the instructions and physical qubits chosen (default:
every qubit the victim's job occupies, which the provider knows from its own
placement); ``f = 1`` adds nothing. Pulse shapes, durations and DRAG are unchanged, as in
:mod:`qmlsec.cloud.pulses`.

Measured, for each factor of ``factors``: the victim's accuracy (per sample), the
accuracy drop from the fault-free run (MOVER interval), the *attack success rate* (the
share of test inputs whose predicted class changes; Wilson interval), and the mean
absolute shift of the victim's ``<Z_i>`` outputs; curves of the three against the
amplitude error ``|f - 1|``.

Not covered: the physical-insider variant's access path (the implementation acts through
the provider's execution of the victim's jobs; an insider at the controller produces the
same fault), frequency and phase mismatch, leakage out of the qubit subspace at large
amplitudes, and detection by the victim (a calibration or canary check is a defense).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field
from qiskit.circuit.library import RXGate, RZXGate
from qiskit.quantum_info import Operator
from qiskit_aer.noise import coherent_unitary_error

from qmlsec.attacks.access import predict, provider_cloud, serve
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.base import FaultInjectionAttack
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.noise import NoiseContext, NoiseTerm
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.config import FrozenModel
from qmlsec.stats import wilson

Gate = Literal["sx", "x", "cx"]
ANGLE = {"sx": np.pi / 2, "x": np.pi, "cx": np.pi / 2}


class PulseFaultContributor:
    """Coherent over-rotation of ``gates`` on ``qubits`` (``None``: the job's active qubits)."""

    def __init__(
        self, factor: float, gates: Sequence[str], qubits: Sequence[int] | None = None
    ) -> None:
        self.factor = float(factor)
        self.gates = tuple(gates)
        self.qubits = None if qubits is None else tuple(int(q) for q in qubits)

    def terms(self, context: NoiseContext) -> list[NoiseTerm]:
        """One unitary error per targeted gate and qubit (pair) the job uses."""
        if self.factor == 1.0:
            return []
        chosen = set(context.active if self.qubits is None else self.qubits) & set(context.active)
        out = []
        for gate in self.gates:
            delta = (self.factor - 1.0) * ANGLE[gate]
            if gate == "cx":
                error = coherent_unitary_error(Operator(RZXGate(delta)))
                pairs = _pairs(context.circuit)
                out += [NoiseTerm(error, ("cx",), p) for p in pairs if set(p) <= chosen]
            else:
                error = coherent_unitary_error(Operator(RXGate(delta)))
                out += [NoiseTerm(error, (gate,), (q,)) for q in sorted(chosen)]
        return out


def _pairs(circuit: object) -> list[tuple[int, int]]:
    """The (control, target) pairs of the transpiled circuit's ``cx`` gates."""
    found: set[tuple[int, int]] = set()
    for inst in getattr(circuit, "data", ()):
        if inst.operation.name == "cx":
            a, b = (circuit.find_bit(q).index for q in inst.qubits)  # type: ignore[attr-defined]
            found.add((a, b))
    return sorted(found)


class PulseFaultParams(FrozenModel):
    """Parameters of :class:`PulseFault`."""

    factors: tuple[float, ...] = Field(default=(1.0, 1.05, 1.1, 1.2, 1.3, 1.5), min_length=1)
    """Amplitude scale factors of the targeted pulses (1: calibrated)."""
    gates: tuple[Gate, ...] = Field(default=("sx", "x"), min_length=1)
    qubits: tuple[int, ...] | None = None
    """Physical qubits whose pulses are altered (``None``: every qubit of the victim's job)."""
    device: str | None = None
    """The device the victim's jobs run on (default: the provider's first)."""
    noisy: bool = True
    """The device's calibrated noise as well (else the fault alone on a noiseless device)."""
    shots: int | None = Field(default=1024, ge=1)
    max_samples: int = Field(default=40, ge=1)


class PulseFault(FaultInjectionAttack):
    """The control stack over-rotates chosen gates of the victim's jobs (QML.T0039)."""

    name: ClassVar[str] = "hardware.pulse_fault"
    technique_id: ClassVar[str] = "QML.T0039"
    requires = frozenset({Capability.PROVIDER_CONTROL})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = PulseFaultParams
    check_params: ClassVar[dict] = {"factors": (1.0, 1.5), "max_samples": 6, "shots": 256}

    def device(self) -> str:
        """The device the victim's jobs run on."""
        if self.params.device is not None:
            return self.params.device
        cloud = getattr(self.target, "cloud", None)
        return cloud.pool[0].name if cloud is not None else "fake_manila"

    def inject(self, factor: float) -> QuantumCloud:
        """The provider with the victim's pulses scaled by ``factor``."""
        p = self.params
        fault = PulseFaultContributor(factor, p.gates, p.qubits)
        return provider_cloud(self.target, device=self.device(), seed=self.seed,
                              noise_scale=1.0 if p.noisy else 0.0, contributors=[fault])  # fmt: skip

    def _outputs(self, cloud: QuantumCloud, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        endpoint = serve(self.target.model, cloud, device=self.device(), shots=p.shots,
                         seed=self.seed)  # fmt: skip
        exp = np.asarray(endpoint.query(X, output="expectations", seed=self.seed).values)
        return exp, predict(endpoint, X, seed=self.seed)

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        get_device(self.device())  # an unknown device fails before any work
        X, y = ctx.x_test[: p.max_samples], np.asarray(ctx.y_test[: p.max_samples])
        base_exp, base_pred = self._outputs(self.inject(1.0), X)
        base_acc = float(np.mean(base_pred == y))
        result = self.new_result()
        result.per_sample = {"label": y.tolist(), "baseline_prediction": base_pred.tolist()}
        result.metrics = {"baseline_accuracy": base_acc}
        accs, rates, shifts = [], [], []
        for i, f in enumerate(p.factors):
            exp, pred = self._outputs(self.inject(f), X)
            changed = pred != base_pred
            accs.append(float(np.mean(pred == y)))
            rates.append(float(changed.mean()))
            shifts.append(float(np.abs(exp - base_exp).mean()))
            tag = f"f{f:g}"
            result.per_sample[f"prediction_{tag}"] = pred.tolist()
            result.metrics.update({
                f"accuracy_{tag}": accs[-1], f"accuracy_drop_{tag}": base_acc - accs[-1],
                f"attack_success_rate_{tag}": rates[-1], f"output_shift_{tag}": shifts[-1],
            })  # fmt: skip
            result.intervals[f"attack_success_rate_{tag}"] = wilson(int(changed.sum()), len(y))
            ctx.report("pulse_fault", i + 1, len(p.factors))
        errors = [abs(f - 1.0) for f in p.factors]
        result.curves["accuracy_vs_amplitude_error"] = {"x": errors, "y": accs}
        result.curves["success_rate_vs_amplitude_error"] = {"x": errors, "y": rates}
        result.curves["output_shift_vs_amplitude_error"] = {"x": errors, "y": shifts}
        result.metrics["max_accuracy_drop"] = max(base_acc - a for a in accs)
        result.metrics["max_attack_success_rate"] = max(rates)
        result.provides = ["goal.integrity_lost"] if max(rates) > 0 else []
        result.notes.append(
            f"pulses of {', '.join(p.gates)} on "
            + ("every qubit of the victim's job" if p.qubits is None else f"qubits {p.qubits}")
            + f" of {self.device()} scaled by {', '.join(f'{f:g}' for f in p.factors)}"
        )
        return result
