"""A malicious transpiler pass: insert X or H gates where they do not change the depth.

After Roy, Das and Ghosh, "trojans inserted by untrusted compilers" (ISQED 2024,
arXiv:2402.01552): a single H or X gate placed at a depth-preserving position degrades
the circuit while leaving its depth (the usual compilation metric) untouched; and after
QTrojan (arXiv:2302.08090), which plants a few gates in a VQC without training data.
:class:`TrojanInsertion` is an ordinary Qiskit ``TransformationPass``; a compromised
toolchain appends it to a preset pass manager's ``post_optimization`` stage, a malicious
provider runs it as its ``alter_circuit`` hook. An optional :class:`TriggerCondition`
keeps it dormant unless an input-dependent ``rz`` angle lies in a window (controllable
trojans, arXiv:2502.08880; QuPTs, arXiv:2507.08202).

A *gap* is a slot where a qubit idles between two of its operations (or before the
final barrier/measurement) in the ASAP layering that ``QuantumCircuit.depth`` uses;
a one-qubit gate placed there leaves the depth unchanged. ``count = 0`` or a trigger
that does not fire returns an identical circuit.

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(2); _ = qc.sx(1); _ = qc.sx(0); _ = qc.sx(0); _ = qc.cx(0, 1)
    >>> out = run_trojan(qc, TrojanInsertion(gate="x", count=1, seed=0))
    >>> out.depth() == qc.depth(), out.count_ops()["x"]
    (True, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.dagcircuit import DAGCircuit
from qiskit.transpiler import PassManager
from qiskit.transpiler.basepasses import TransformationPass

from qmlsec.exceptions import ConfigError


@dataclass(frozen=True)
class TriggerCondition:
    """Fire only if the ``rz_index``-th ``rz`` on logical qubit ``qubit`` is in a window.

    The qubit is located through the circuit's initial layout (where the encoding acts).

    Angles are compared modulo 2π; ``low <= angle <= high`` with ``0 <= low <= high < 2π``.
    """

    qubit: int = 0
    rz_index: int = 1
    low: float = 0.0
    high: float = np.pi

    def angle(self, circuit: QuantumCircuit) -> float | None:
        """The watched angle of ``circuit`` (``None`` if it has no such ``rz``)."""
        physical = _physical(circuit, self.qubit)
        seen = 0
        for inst in circuit.data:
            if inst.operation.name == "rz" and circuit.find_bit(inst.qubits[0]).index == physical:
                if seen == self.rz_index:
                    return float(inst.operation.params[0]) % (2 * np.pi)
                seen += 1
        return None

    def fires(self, circuit: QuantumCircuit) -> bool:
        """Whether the trigger condition holds for ``circuit``."""
        angle = self.angle(circuit)
        return angle is not None and self.low <= angle <= self.high


def _physical(circuit: QuantumCircuit, logical: int) -> int:
    layout = circuit.layout
    if layout is None:
        return logical
    return int(layout.initial_index_layout()[logical])


def depth_gaps(circuit: QuantumCircuit) -> list[tuple[int, int]]:
    """``(instruction index after which to insert, qubit)`` for every depth-preserving gap.

    A qubit's first gap starts after its first operation (a gate before it would
    change the initial state rather than hide in an idle slot).
    """
    level = [0] * circuit.num_qubits
    last = [-1] * circuit.num_qubits
    started = [False] * circuit.num_qubits
    gaps: list[tuple[int, int]] = []
    for i, inst in enumerate(circuit.data):
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if not qubits:
            continue
        directive = getattr(inst.operation, "_directive", False)
        new = max(level[q] for q in qubits) + (0 if directive else 1)
        for q in qubits:
            free = new - level[q] - (0 if directive else 1)
            if started[q] and free >= 1:
                gaps.append((last[q], q))
            level[q] = new
            last[q] = i
            started[q] = True
    return gaps


class TrojanInsertion(TransformationPass):
    """Insert ``count`` gates (``x`` or ``h``) at depth-preserving gaps chosen by ``seed``.

    Args:
        gate: ``"x"`` or ``"h"``.
        count: gates to insert (at most the number of gaps); 0 is the identity.
        seed: which gaps are chosen.
        trigger: optional condition; without it the trojan is always active.
    """

    def __init__(
        self,
        gate: str = "x",
        count: int = 1,
        seed: int = 0,
        trigger: TriggerCondition | None = None,
    ) -> None:
        super().__init__()
        if gate not in ("x", "h"):
            raise ConfigError(f"unknown trojan gate {gate!r}", hint="use 'x' or 'h'")
        if count < 0:
            raise ConfigError(f"count must be >= 0, got {count}")
        self.gate, self.count, self.seed, self.trigger = gate, count, seed, trigger

    def apply(self, circuit: QuantumCircuit) -> QuantumCircuit:
        """The circuit with the trojan inserted (a new circuit; layout kept)."""
        out = circuit.copy()
        if self.count == 0 or (self.trigger is not None and not self.trigger.fires(circuit)):
            return out
        gaps = depth_gaps(circuit)
        if not gaps:
            return out
        gen = np.random.default_rng(self.seed)
        chosen = gen.choice(len(gaps), size=min(self.count, len(gaps)), replace=False)
        after: dict[int, list[int]] = {}
        for k in sorted(int(c) for c in chosen):
            index, qubit = gaps[k]
            after.setdefault(index, []).append(qubit)
        out = circuit.copy_empty_like()
        for i, inst in enumerate(circuit.data):
            out.append(inst.operation, inst.qubits, inst.clbits)
            for q in after.get(i, []):
                getattr(out, self.gate)(q)
        return out

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        return circuit_to_dag(self.apply(dag_to_circuit(dag)))


def run_trojan(circuit: QuantumCircuit, trojan: TrojanInsertion) -> QuantumCircuit:
    """Apply ``trojan`` to one circuit (as a provider's ``alter_circuit`` hook would)."""
    if circuit.layout is not None:
        return trojan.apply(circuit)
    return PassManager([trojan]).run(circuit)


__all__ = ["TriggerCondition", "TrojanInsertion", "depth_gaps", "run_trojan"]
