"""A circuit's final CNOT/SWAP network, run classically on the measured bits.

CNOT and SWAP gates permute computational basis states: ``CX(c, t)`` maps the bits
``(x_c, x_t)`` to ``(x_c, x_c ^ x_t)``. Gates of that kind that stand after every other
gate on their qubits (the *tail*: the last CNOT ring of a hardware-efficient ansatz, the
last chain of a linear one) therefore commute with a Z-basis measurement into a map of
the measured bitstrings, the matrix over GF(2) of the network: logical bit ``q`` is the
parity of the measured bits in ``rows[q]``. Measuring before the tail and applying that
map gives exactly the distribution of measuring after it, with none of the tail's
two-qubit gates (or their noise, or their routing) on the device. It is the classical
counterpart of Qiskit's ``OptimizeSwapBeforeMeasure`` for CNOTs, and valid only where
every observable is diagonal (I and Z): for those, ``Z_S`` after the tail is
``Z_{S'}`` before it, ``S'`` the parity of the rows of ``S``.

Noise: the tail's gate errors are gone, but a readout error on one qubit now flips every
logical bit whose row includes it, so with shots ``<Z_q>`` is attenuated by the product
of ``1 - 2 p_ro`` over the qubits of ``rows[q]`` (not by that of qubit ``q`` alone). Exact
expectations (``shots=None``) carry no readout error, with or without the tail.

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(3)
    >>> _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.cx(1, 2)
    >>> body, tail = split_tail(qc)
    >>> dict(body.count_ops()), tail.rows, tail.gates
    ({'h': 1}, (1, 3, 7), 2)
    >>> tail.bitstring("001")  # measured x0 = 1: the chain copies it into x1 and x2
    '111'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import PauliList, SparsePauliOp

_TAIL_GATES = frozenset({"cx", "swap"})


@dataclass(frozen=True)
class ClassicalTail:
    """The GF(2) map of a circuit's final CNOT/SWAP network (module docs).

    ``rows[q]``: the measured bits (a mask over qubits) whose parity is logical bit ``q``;
    ``gates``: how many gates the map replaces.
    """

    rows: tuple[int, ...]
    gates: int

    def value(self, x: int) -> int:
        """The logical outcome of the measured outcome ``x`` (bit ``q`` is qubit ``q``)."""
        y = 0
        for q, mask in enumerate(self.rows):
            y |= (bin(x & mask).count("1") & 1) << q
        return y

    def bitstring(self, key: str) -> str:
        """A counts key (qubit 0 last) of the measured circuit as the logical one."""
        return format(self.value(int(key, 2)), f"0{len(self.rows)}b")

    def counts(self, counts: dict[str, int]) -> dict[str, int]:
        """Counts of the measured circuit as counts of the whole one (a relabelling)."""
        out: dict[str, int] = {}
        for key, c in counts.items():
            logical = self.bitstring(key)
            out[logical] = out.get(logical, 0) + c
        return out

    def probabilities(self, p: np.ndarray) -> np.ndarray:
        """``(N, 2**n)`` probabilities of the measured circuit as those of the whole one."""
        index = np.array([self.value(x) for x in range(p.shape[-1])])
        out = np.zeros_like(p)
        out[..., index] = p
        return out

    def inverse(self) -> ClassicalTail:
        """The map back: measured bits from logical ones (the network is invertible)."""
        n = len(self.rows)
        # Gauss-Jordan over GF(2): [R | I] -> [I | R^-1], R the matrix whose row q is rows[q]
        work = [(self.rows[q], 1 << q) for q in range(n)]
        for col in range(n):
            pivot = next(r for r in range(col, n) if work[r][0] >> col & 1)
            work[col], work[pivot] = work[pivot], work[col]
            for r in range(n):
                if r != col and work[r][0] >> col & 1:
                    work[r] = (work[r][0] ^ work[col][0], work[r][1] ^ work[col][1])
        return ClassicalTail(tuple(w[1] for w in work), self.gates)

    def observable(self, op: SparsePauliOp) -> SparsePauliOp:
        """The diagonal ``op`` measured after the tail, as an observable before it."""
        z = op.paulis.z
        n = z.shape[1]
        rows = np.array([[(mask >> b) & 1 for b in range(n)] for mask in self.rows], dtype=bool)
        moved = (z.astype(np.uint8) @ rows.astype(np.uint8)) % 2 == 1
        paulis = PauliList.from_symplectic(moved, np.zeros_like(moved), op.paulis.phase)
        return SparsePauliOp(paulis, op.coeffs.copy())


def readout_qubits(layout: Sequence[int], tail: ClassicalTail | None) -> list[tuple[int, ...]]:
    """Per logical bit ``q``, the physical qubits whose measured parity is that bit:
    ``(layout[q],)`` without a tail, ``layout[j]`` for each ``j`` in ``rows[q]`` with one.

    >>> readout_qubits((5, 7, 9), ClassicalTail((1, 3, 7), 2))
    [(5,), (5, 7), (5, 7, 9)]
    """
    if tail is None:
        return [(int(v),) for v in layout]
    return [
        tuple(int(layout[j]) for j in range(len(layout)) if mask >> j & 1) for mask in tail.rows
    ]


def diagonal(observables: Sequence[SparsePauliOp]) -> bool:
    """Whether every observable is a combination of I/Z strings."""
    return all(not op.paulis.x.any() for op in observables)


def split_tail(circuit: QuantumCircuit) -> tuple[QuantumCircuit, ClassicalTail] | None:
    """``circuit`` without its final CNOT/SWAP network, and that network's map; None
    when it ends otherwise (or has classical bits)."""
    if circuit.num_clbits:
        return None
    closed: set[int] = set()
    tail: list[int] = []
    for i in range(len(circuit.data) - 1, -1, -1):
        inst = circuit.data[i]
        qubits = {circuit.find_bit(q).index for q in inst.qubits}
        if inst.operation.name in _TAIL_GATES and not qubits & closed:
            tail.append(i)
        else:
            closed |= qubits
            if len(closed) == circuit.num_qubits:
                break
    if not tail:
        return None
    rows = [1 << q for q in range(circuit.num_qubits)]
    for i in reversed(tail):
        inst = circuit.data[i]
        a, b = (circuit.find_bit(q).index for q in inst.qubits)
        if inst.operation.name == "cx":
            rows[b] ^= rows[a]
        else:
            rows[a], rows[b] = rows[b], rows[a]
    skip = set(tail)
    body = circuit.copy_empty_like()
    for i, inst in enumerate(circuit.data):
        if i not in skip:
            body.append(inst)
    return body, ClassicalTail(tuple(rows), len(tail))
