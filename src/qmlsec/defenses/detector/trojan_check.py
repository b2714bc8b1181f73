"""Trojan check: the circuit the provider executes must equal the circuit the user submitted.

Mitigation QML.M0017, after Roy, Das, Ghosh, "Hidden in Plain Sight: trojans inserted
by untrusted compilers into quantum circuits" (ISQED 2024, arXiv:2402.01552): the user
compares the compiled circuit the untrusted compiler returns (and the provider then
executes) with the circuit it submitted. The paper trains a CNN detector (TrojanNet,
about 90 % accuracy); for the small circuits of a QMLaaS model this check is exact
instead: equivalence checking by unitary comparison. For every job, the submitted and
the executed circuit are bound to the job's own parameter values (its first row) and to
one seeded random parameter point, final measurements and barriers are removed, and
their unitaries are compared up to a global phase
(:meth:`qiskit.quantum_info.Operator.equiv`, tolerance ``atol``). Any inserted gate that
changes the unitary is flagged, including gates that leave ``|0...0>`` unchanged (a
statevector check from ``|0>`` would miss those). A flagged job is refused and re-run
from the verified circuit, so the trojan's effect on that job is removed.

Measured against ``circuit.trojan`` (always-on insertion) and ``circuit.qupt`` (dormant
until its input condition holds): the detection rate over tampered jobs and the
false-positive rate over untampered jobs, each with its Wilson interval, and the
attack's metric with the refused jobs re-run.

Cost: the equivalence checks' wall time (two ``2^n x 2^n`` unitaries per job).

Not covered: circuits too wide for unitaries (``max_qubits``), equivalence under the
provider's own layout and routing (the check sees the logical circuit the trojan pass
rewrote; after routing a layout-aware check is needed), trojans that are unitary
no-ops for the job's parameters and active only for others, and the ML detector of the
paper.

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1)
    >>> bad = qc.copy(); _ = bad.x(1)
    >>> TrojanCheck().equivalent(qc, qc), TrojanCheck().equivalent(qc, bad)
    (True, False)
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator

from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.endpoint import Alert
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.config import FrozenModel, rng
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.detector.base import DetectorDefense
from qmlsec.exceptions import CircuitError
from qmlsec.stats import Estimate, wilson


def _rate(flags: list[bool]) -> Estimate:
    """The share of ``True`` with its Wilson interval (no interval without trials)."""
    return wilson(sum(flags), len(flags)) if flags else Estimate(0.0, 0, None, "none")


class TrojanCheckParams(FrozenModel):
    """Parameters of :class:`TrojanCheck`."""

    atol: float = Field(1e-8, gt=0)
    """Tolerance of the unitary comparison."""
    max_qubits: int = Field(10, ge=1, le=14)
    """Widest circuit checked (a ``2^n x 2^n`` unitary)."""


def _bound(circuit: QuantumCircuit, values: np.ndarray) -> QuantumCircuit:
    """``circuit`` with its parameters bound (in ``circuit.parameters`` order), no measurements."""
    out = circuit.remove_final_measurements(inplace=False)
    if out.parameters:
        out = out.assign_parameters(dict(zip(out.parameters, values, strict=True)))
    return out


class CheckedTranspilation(ProviderHook):
    """Wraps the provider's ``transform_circuit``: every executed circuit is checked.

    A flagged job is refused and runs the submitted circuit instead. Other attributes
    are the wrapped hook's.
    """

    def __init__(self, inner: Any, check: TrojanCheck) -> None:
        self.inner, self.check = inner, check

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def transform_circuit(self, job: Any, circuit: QuantumCircuit) -> QuantumCircuit:
        executed = self.inner.transform_circuit(job, circuit)
        values = np.atleast_2d(np.asarray(job.parameter_values, dtype=np.float64))
        alert = self.check.check(circuit, executed, values[0] if values.size else np.zeros(0),
                                 tampered=executed is not circuit, key_id=job.tenant)  # fmt: skip
        return circuit if alert is not None else executed


class TrojanCheck(DetectorDefense):
    """Flag jobs whose executed circuit is not equivalent to the submitted one."""

    name: ClassVar[str] = "detector.trojan_check"
    mitigation_id: ClassVar[str] = "QML.M0017"
    counters: ClassVar[tuple[str, ...]] = ("circuit.trojan", "circuit.qupt")
    Params = TrojanCheckParams
    check_params: ClassVar[dict[str, Any]] = {}

    def reset(self) -> None:
        """Forget every checked job."""
        self.checked_: list[tuple[bool, bool]] = []  # (tampered, flagged) per job

    def observe(self, key_id: str, model_id: str, X: np.ndarray) -> Alert | None:
        """Query streams carry no circuit: the check runs on compiled jobs (:meth:`check`)."""
        return None

    def equivalent(
        self, submitted: QuantumCircuit, executed: QuantumCircuit, values: np.ndarray | None = None
    ) -> bool:
        """Whether both circuits implement the same unitary at ``values`` and a random point."""
        if max(submitted.num_qubits, executed.num_qubits) > self.params.max_qubits:
            raise CircuitError(
                f"circuit of {max(submitted.num_qubits, executed.num_qubits)} qubits is too "
                f"wide for the unitary check (max_qubits={self.params.max_qubits})",
                hint="raise max_qubits (memory grows as 4^n) or check a smaller model")  # fmt: skip
        if submitted.num_qubits != executed.num_qubits:
            return False
        if submitted.parameters != executed.parameters:
            return False
        n = len(submitted.parameters)
        points = [np.zeros(n) if values is None or len(values) != n else np.asarray(values)]
        if n:
            points.append(rng(self.seed, "trojan-check", n).uniform(-np.pi, np.pi, n))
        for point in points:
            a, b = Operator(_bound(submitted, point)), Operator(_bound(executed, point))
            if not a.equiv(b, atol=self.params.atol):
                return False
        return True

    def check(
        self,
        submitted: QuantumCircuit,
        executed: QuantumCircuit,
        values: np.ndarray,
        *,
        tampered: bool,
        key_id: str = "provider",
    ) -> Alert | None:
        """Check one job; ``tampered`` (ground truth) is recorded for the rates."""
        if not hasattr(self, "checked_"):
            self.reset()
        same = executed is submitted or self.equivalent(submitted, executed, values)
        self.checked_.append((tampered, not same))
        if same:
            return None
        return Alert("trojan_check", key_id, "model", 1.0, 0.0,
                     "executed circuit is not equivalent to the submitted one")  # fmt: skip

    def rates(self) -> dict[str, Any]:
        """Detection and false-positive rates over the checked jobs, with Wilson intervals."""
        rows = getattr(self, "checked_", [])
        pos = [flag for tampered, flag in rows if tampered]
        neg = [flag for tampered, flag in rows if not tampered]
        det, fpr = _rate(pos), _rate(neg)
        return {"detection_rate": det, "false_positive_rate": fpr,
                "tampered_jobs": len(pos), "clean_jobs": len(neg)}  # fmt: skip

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Run the trojan attack with every executed circuit checked before it runs."""
        self.reset()
        start = time.perf_counter()
        result = setup.replace(attack_cls=checked(setup.attack_cls, self)).run(seed)
        rates = self.rates()
        det, fpr = rates["detection_rate"], rates["false_positive_rate"]
        for key in ("detection_rate", "false_positive_rate"):
            est = rates[key]
            result.metrics[f"trojan_check_{key}"] = float(est.value) if est.n else 0.0
            result.metrics[f"trojan_check_{key}_n"] = float(est.n)
            if est.ci is not None:
                result.metrics[f"trojan_check_{key}_lo"] = float(est.ci[0])
                result.metrics[f"trojan_check_{key}_hi"] = float(est.ci[1])
        flagged = sum(flag for _, flag in self.checked_)
        result.notes.append(
            f"{self.name}: {flagged} of {len(self.checked_)} jobs flagged "
            f"(detection {det.value:.2f} of {det.n} tampered, "
            f"false positives {fpr.value:.2f} of {fpr.n} clean)")  # fmt: skip
        return result, DefenseCost(seconds=time.perf_counter() - start, extra={
            "detected": float(flagged > 0), "flagged_jobs": float(flagged),
            "detection_rate": float(det.value) if det.n else 0.0,
            "false_positive_rate": float(fpr.value) if fpr.n else 0.0,
            "tampered_jobs": float(det.n), "clean_jobs": float(fpr.n)})  # fmt: skip


def checked(attack_cls: type, check: TrojanCheck) -> type:
    """``attack_cls`` whose provider hook runs behind the user's equivalence check."""

    class Checked(attack_cls):  # type: ignore[misc, valid-type]
        def tamper(self, *args: Any, **kwargs: Any) -> Any:
            return CheckedTranspilation(super().tamper(*args, **kwargs), check)

    Checked.__name__ = attack_cls.__name__
    return Checked
