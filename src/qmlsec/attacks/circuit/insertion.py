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

**Where the gates go** (``position``, ``wire``, ``gate``):

- ``gap`` (default): depth-preserving gaps chosen by the seed, as in Roy et al.;
  with ``wire`` only the gaps of that logical qubit (located through the initial
  layout).
- ``pre_measure``: just before the final measurement of the wire (appended at its
  end when the circuit is not measured yet, as a submitted logical circuit is): the
  readout-wire trojan of the trojan literature (an X there flips that output bit, a
  Z/S/T before a Z measurement does nothing, an H randomises it). The wire is located
  through the final layout; without ``wire`` the seed picks ``count`` distinct wires,
  one gate each; with ``wire`` all ``count`` gates go on it. May add one layer of depth.
- ``start``: before the wire's first operation, i.e. on the input state ahead of the
  data encoding (the encoding-layer placement of QTrojan, arXiv:2302.08090).

``gate`` is any of ``x``, ``y``, ``z``, ``h``, ``s``, ``t``, ``sx`` (the two-gate
choice of the ISQED paper is ``x``/``h``).

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(2); _ = qc.sx(1); _ = qc.sx(0); _ = qc.sx(0); _ = qc.cx(0, 1)
    >>> out = run_trojan(qc, TrojanInsertion(gate="x", count=1, seed=0))
    >>> out.depth() == qc.depth(), out.count_ops()["x"]
    (True, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


GATES = ("x", "y", "z", "h", "s", "t", "sx")
POSITIONS = ("gap", "pre_measure", "start")
Placement = Literal["gap", "pre_measure", "start"]


def _final_physical(circuit: QuantumCircuit, logical: int) -> int:
    layout = circuit.layout
    if layout is None:
        return logical
    return int(layout.final_index_layout()[logical])


def _logical_wires(circuit: QuantumCircuit) -> int:
    layout = circuit.layout
    if layout is None:
        return circuit.num_qubits
    return len(layout.initial_index_layout(filter_ancillas=True))


class TrojanInsertion(TransformationPass):
    """Insert ``count`` one-qubit gates at the chosen position (see the module docstring).

    Args:
        gate: one of :data:`GATES` (``x`` or ``h`` in Roy et al.).
        count: gates to insert (``gap``: at most the number of gaps); 0 is the identity.
        seed: which gaps (or wires) are chosen.
        trigger: optional condition; without it the trojan is always active.
        wire: the logical qubit to attack (``None``: any).
        position: ``gap`` (depth-preserving), ``pre_measure`` or ``start``.
    """

    def __init__(
        self,
        gate: str = "x",
        count: int = 1,
        seed: int = 0,
        trigger: TriggerCondition | None = None,
        *,
        wire: int | None = None,
        position: str = "gap",
    ) -> None:
        super().__init__()
        if gate not in GATES:
            raise ConfigError(f"unknown trojan gate {gate!r}", hint=f"use one of {GATES}")
        if count < 0:
            raise ConfigError(f"count must be >= 0, got {count}")
        if position not in POSITIONS:
            raise ConfigError(f"unknown trojan position {position!r}", hint=f"use {POSITIONS}")
        if wire is not None and wire < 0:
            raise ConfigError(f"wire must be a logical qubit index >= 0, got {wire}")
        self.gate, self.count, self.seed, self.trigger = gate, count, seed, trigger
        self.wire, self.position = wire, position

    def apply(self, circuit: QuantumCircuit) -> QuantumCircuit:
        """The circuit with the trojan inserted (a new circuit; layout kept).

        Raises:
            ConfigError: ``wire`` is not a qubit of the circuit.
        """
        out = circuit.copy()
        if self.count == 0 or (self.trigger is not None and not self.trigger.fires(circuit)):
            return out
        if self.wire is not None and self.wire >= _logical_wires(circuit):
            raise ConfigError(
                f"trojan wire {self.wire} is not a qubit of the {_logical_wires(circuit)}-qubit "
                "circuit",
                hint="pick a logical qubit index of the victim's circuit",
            )
        before, after = self._placements(circuit)
        out = circuit.copy_empty_like()
        for q in before.get(-1, []):
            getattr(out, self.gate)(q)
        for i, inst in enumerate(circuit.data):
            for q in before.get(i, []):
                getattr(out, self.gate)(q)
            out.append(inst.operation, inst.qubits, inst.clbits)
            for q in after.get(i, []):
                getattr(out, self.gate)(q)
        for q in after.get(len(circuit.data), []):
            getattr(out, self.gate)(q)
        return out

    def _placements(
        self, circuit: QuantumCircuit
    ) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """Physical qubits to insert on, keyed by instruction index (before / after it)."""
        gen = np.random.default_rng(self.seed)
        before: dict[int, list[int]] = {}
        after: dict[int, list[int]] = {}
        if self.position == "gap":
            gaps = depth_gaps(circuit)
            if self.wire is not None:
                physical = _physical(circuit, self.wire)
                gaps = [g for g in gaps if g[1] == physical]
            if not gaps:
                return before, after
            chosen = gen.choice(len(gaps), size=min(self.count, len(gaps)), replace=False)
            for k in sorted(int(c) for c in chosen):
                index, qubit = gaps[k]
                after.setdefault(index, []).append(qubit)
            return before, after
        n = _logical_wires(circuit)
        if self.wire is not None:
            wires = [self.wire] * self.count
        else:
            picks = gen.choice(n, size=min(self.count, n), replace=False)
            wires = sorted(int(w) for w in picks)
        for w in wires:
            if self.position == "pre_measure":
                q = _final_physical(circuit, w)
                last = [i for i, inst in enumerate(circuit.data)
                        if inst.operation.name == "measure"
                        and circuit.find_bit(inst.qubits[0]).index == q]  # fmt: skip
                if last:
                    before.setdefault(last[-1], []).append(q)
                else:
                    after.setdefault(len(circuit.data), []).append(q)
            else:  # start: ahead of the wire's first operation
                before.setdefault(-1, []).append(_physical(circuit, w))
        return before, after

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        return circuit_to_dag(self.apply(dag_to_circuit(dag)))


def run_trojan(circuit: QuantumCircuit, trojan: TrojanInsertion) -> QuantumCircuit:
    """Apply ``trojan`` to one circuit (as a provider's ``alter_circuit`` hook would)."""
    if circuit.layout is not None:
        return trojan.apply(circuit)
    return PassManager([trojan]).run(circuit)


__all__ = ["GATES", "POSITIONS", "TriggerCondition", "TrojanInsertion", "depth_gaps", "run_trojan"]
