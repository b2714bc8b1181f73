"""Planning: primitive gates to a short list of fused operations.

Walks the gates once, in order:

- single-qubit gates on a qubit no multi-qubit gate has touched yet go to the closed-form
  :class:`~qmlsec.engine.ops.ProductState` (angle encoding, first rotation layer);
- runs of later single-qubit gates become one :class:`~qmlsec.engine.ops.KronLayer`;
- runs of permutation/phase gates (CNOT chains, CZ, RZZ, CP, CRZ...) become one
  :class:`~qmlsec.engine.ops.Monomial`;
- any other multi-qubit gate is a :class:`~qmlsec.engine.ops.Dense`.

For small registers a second list fuses runs of weight-only operations into
:class:`~qmlsec.engine.ops.Fused` unitaries, used when the weights are shared by the batch.

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine.lowering import lower_circuit
    >>> low = lower_circuit(QNNSpec(n_qubits=4, layers=2).build())
    >>> p = make_plan(low, torch.complex128, fuse_max_qubits=0)
    >>> [type(op).__name__ for op in p.row_ops]
    ['Monomial', 'KronLayer', 'Monomial']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from qmlsec.engine.bank import OneQubitBank
from qmlsec.engine.gates import KERNELS
from qmlsec.engine.lowering import Lowered, PrimitiveGate
from qmlsec.engine.ops import Dense, Fused, KronLayer, Monomial, Op, ProductState, Steps


@dataclass
class Plan:
    """Operations of a compiled circuit.

    Attributes:
        prefix: closed-form product state.
        row_ops: operations for per-row angles.
        shared_ops: same, with weight-only runs fused (used when weights are shared).
        banks: single-qubit matrices of the weight-only (``shared``) and the
            input-dependent (``data``) operations.
        phase_angles: angle indices adding to the global phase.
        phase_const: constant global phase.
    """

    prefix: ProductState
    row_ops: list[Op]
    shared_ops: list[Op]
    banks: dict[str, OneQubitBank]
    phase_angles: list[int]
    phase_const: float

    def instantiate(
        self, rows: torch.Tensor, shared: torch.Tensor | None
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], Steps]:
        """Factors of the initial product state and the kernel steps for the angles.

        The initial state (2**n, B) is ``Outer.build(*factors, B)``.

        Args:
            rows: per-row angles (B, G).
            shared: weight-only angles (1, G) when the weights are shared, else None.
        """
        ops = self.shared_ops if shared is not None else self.row_ops
        built: dict[str, tuple[torch.Tensor, list[torch.Tensor]]] = {}
        for key, bank in self.banks.items():
            use = shared if key == "shared" and shared is not None else rows
            built[key] = (use, bank.build(use)[1] if bank.chunks else [])
        use, _ = built[self.prefix.bank]
        columns = self.banks[self.prefix.bank].first_columns(use, shared)
        factors = self.prefix.factors_from(columns)
        steps: Steps = []
        for op in ops:
            angles, chunks = built[op.bank]
            steps.extend(op.steps(angles, chunks))
        return factors, steps


def _local_index(n: int, qubits: tuple[int, ...]) -> np.ndarray:
    idx = np.arange(2**n)
    return sum(((idx >> q) & 1) << t for t, q in enumerate(qubits))  # type: ignore[return-value]


class _MonomialBuilder:
    def __init__(self, n: int, pre: dict[int, list[PrimitiveGate]] | None = None) -> None:
        self.n = n
        self.pre = pre or {}
        self.perm = np.arange(2**n)
        self.const = np.zeros(2**n)
        self.rows: list[np.ndarray] = []
        self.idx: list[int] = []

    def add(self, gate: PrimitiveGate) -> None:
        local = _local_index(self.n, gate.qubits)
        if gate.angle is not None:
            self.idx.append(gate.angle)
            self.rows.append(KERNELS[gate.name].diag[local])  # type: ignore[index]
            return
        m = np.asarray(gate.matrix)
        src_local = np.abs(m).argmax(axis=1)
        phase = np.angle(m[np.arange(len(m)), src_local])
        src = np.arange(2**self.n)
        for t, q in enumerate(gate.qubits):
            src = (src & ~(1 << q)) | (((src_local[local] >> t) & 1) << q)
        self.perm = self.perm[src]
        self.const = self.const[src] + phase[local]
        self.rows = [r[src] for r in self.rows]

    def build(
        self,
        real: torch.dtype,
        dtype: torch.dtype,
        banks: dict[str, OneQubitBank],
        input_dep: np.ndarray,
    ) -> Monomial:
        coeffs = np.stack(self.rows) if self.rows else np.zeros((0, 2**self.n))
        key = "data" if any(input_dep[self.idx]) else "shared"
        pre = None
        if self.pre:
            entry = {q: banks[key].add_entry(seq) for q, seq in self.pre.items()}
            pre = banks[key].add_diagonal([entry.get(q) for q in range(self.n - 1, -1, -1)])
        angles = tuple(g.angle for seq in self.pre.values() for g in seq if g.angle is not None)
        return Monomial(self.perm, self.idx, coeffs, self.const, real, dtype, pre, angles)


def _is_diagonal(gate: PrimitiveGate) -> bool:
    if gate.angle is not None:
        return KERNELS[gate.name].diag is not None
    m = np.asarray(gate.matrix)
    return bool(np.all(m[~np.eye(len(m), dtype=bool)] == 0))


def _peel_diagonals(
    pending: dict[int, list[PrimitiveGate]], input_dep: np.ndarray
) -> dict[int, list[PrimitiveGate]]:
    """Take each qubit's trailing weight-only diagonal gates out of ``pending``.

    Diagonal single-qubit gates at the end of a layer commute with the rest of the
    layer (other qubits) and move into the next permutation/phase operation's phase;
    what remains of the layer is often real (RY), which halves its cost.
    """
    pre: dict[int, list[PrimitiveGate]] = {}
    for q in list(pending):
        seq = pending[q]
        while (
            seq
            and _is_diagonal(seq[-1])
            and (seq[-1].angle is None or not input_dep[seq[-1].angle])
        ):
            pre.setdefault(q, []).insert(0, seq.pop())
        if not seq:
            del pending[q]
    return pre


def is_monomial(gate: PrimitiveGate) -> bool:
    """Whether ``gate`` is a permutation times a diagonal phase."""
    if gate.angle is not None:
        return KERNELS[gate.name].diag is not None
    m = np.abs(gate.matrix)  # type: ignore[arg-type]
    return bool(np.all((m < 1e-12) | (np.abs(m - 1) < 1e-12)) and np.all((m > 0.5).sum(1) == 1))


def make_plan(
    low: Lowered, dtype: torch.dtype, *, chunk_qubits: int = 4, fuse_max_qubits: int = 4
) -> Plan:
    """Plan the operations of a lowered circuit (see module docs)."""
    n = low.n_qubits
    real = torch.float64 if dtype == torch.complex128 else torch.float32
    input_dep = np.abs(low.a_x).sum(axis=1) > 0 if low.rows else np.zeros(0, bool)
    banks = {"shared": OneQubitBank(dtype), "data": OneQubitBank(dtype, input_dep)}

    def bank_of(gates: list[PrimitiveGate]) -> str:
        return (
            "data" if any(g.angle is not None and input_dep[g.angle] for g in gates) else "shared"
        )

    prefix: list[list[PrimitiveGate]] = [[] for _ in range(n)]
    touched: set[int] = set()
    ops: list[Op] = []
    pending: dict[int, list[PrimitiveGate]] = {}
    mono: _MonomialBuilder | None = None
    phase_angles: list[int] = []
    phase_const = 0.0

    def flush() -> None:
        nonlocal mono, pending
        if pending:
            key = bank_of([g for seq in pending.values() for g in seq])
            layer = KronLayer(n, pending, chunk_qubits, banks[key])
            layer.bank = key
            ops.append(layer)
            pending = {}
        if mono is not None:
            op = mono.build(real, dtype, banks, input_dep)
            if not op.is_identity:
                ops.append(op)
            mono = None

    for g in low.gates:
        if g.name == "global_phase":
            if g.angle is None:
                phase_const += g.phase
            else:
                phase_angles.append(g.angle)
        elif len(g.qubits) == 1 and g.qubits[0] not in touched:
            prefix[g.qubits[0]].append(g)
        elif len(g.qubits) == 1:
            if mono is not None:
                flush()
            pending.setdefault(g.qubits[0], []).append(g)
        else:
            touched.update(g.qubits)
            if is_monomial(g):
                pre = _peel_diagonals(pending, input_dep) if pending else {}
                if pending or pre:
                    flush()
                mono = mono or _MonomialBuilder(n, pre)
                mono.add(g)
            else:
                flush()
                ops.append(Dense(n, g, dtype))
    flush()
    for op in ops:
        op.data_dependent = bool(any(input_dep[list(op.angles)]))
        if not isinstance(op, KronLayer):
            op.bank = "data" if op.data_dependent else "shared"
    key = bank_of([g for seq in prefix for g in seq])
    entries = [banks[key].add_entry(seq) for seq in prefix]
    head = ProductState(
        n, entries, tuple(g.angle for s in prefix for g in s if g.angle is not None)
    )
    head.bank = key
    shared = _fuse(n, ops, dtype) if n <= fuse_max_qubits else list(ops)
    return Plan(head, ops, shared, banks, phase_angles, phase_const)


def _fuse(n: int, ops: list[Op], dtype: torch.dtype) -> list[Op]:
    out: list[Op] = []
    run: list[Op] = []
    for op in [*ops, None]:
        if op is not None and op.bank == "shared":
            run.append(op)
            continue
        out.extend([Fused(n, run, dtype)] if len(run) > 1 else run)
        run = []
        if op is not None:
            out.append(op)
    return out
