"""Fused state operations: the engine's fast kernels.

An operation builds its tensors from the angles once per call (``build``) and turns them
into state kernels (``steps``, see :mod:`qmlsec.engine.kernels`) that act on a batch of
states ``(B, 2**n)``. Tensors have a leading batch dimension ``b`` that is 1 when
the operation depends on weights only (shared by the whole batch) and ``B`` otherwise.

- :class:`ProductState` builds a product state in closed form (kron of per-qubit
  2-vectors), e.g. angle encoding plus the first rotation layer.
- :class:`KronLayer` applies single-qubit unitaries on many qubits as a few matmuls of
  kron-ed chunk matrices.
- :class:`Monomial` applies permutation/phase gates (CNOT chains, CZ, RZZ, CP, CRZ...) as
  one gather plus one phase multiply.
- :class:`Dense` applies any k-qubit matrix (the generic path).
- :class:`Fused` applies a run of weight-only operations as one dense unitary.

Example:
    >>> import torch
    >>> from qmlsec.engine.lowering import PrimitiveGate
    >>> import numpy as np
    >>> x = np.array([[0, 1], [1, 0]], dtype=complex)
    >>> op = Dense(2, PrimitiveGate("x", (1,), matrix=x), torch.complex128)
    >>> state = torch.tensor([[1, 0, 0, 0]], dtype=torch.complex128)
    >>> run(state, op.steps(op.build(torch.zeros(1, 0)))).real.tolist()
    [[0.0, 0.0, 1.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from qmlsec.engine.gates import KERNELS
from qmlsec.engine.kernels import Chunk, DenseStep, FusedStep, MonomialStep, RotChunk, Step
from qmlsec.engine.lowering import PrimitiveGate

Params = tuple[torch.Tensor, ...]
Steps = list[tuple[Step, torch.Tensor | None]]


def run(state: torch.Tensor, steps: Steps) -> torch.Tensor:
    """Apply kernel steps in order."""
    for step, p in steps:
        state = step.apply(state, p)
    return state


class Op:
    """Base class: a state operation with angle-dependent tensors."""

    angles: tuple[int, ...] = ()
    data_dependent: bool = False

    def build(self, angles: torch.Tensor) -> Params:
        """Tensors of this operation for angles (b, G)."""
        raise NotImplementedError

    def steps(self, params: Params) -> Steps:
        """State kernels with their tensors."""
        raise NotImplementedError


class QubitMatrices:
    """Per-qubit products of single-qubit gates, built batched slot by slot."""

    def __init__(self, gates: Sequence[Sequence[PrimitiveGate]], dtype: torch.dtype) -> None:
        self.m, self.dtype = len(gates), dtype
        depth = max((len(g) for g in gates), default=0)
        self.slots: list[list[tuple[str, list[int], torch.Tensor]]] = []
        for s in range(depth):
            groups: dict[str, tuple[list[int], list]] = {}
            for i, seq in enumerate(gates):
                if s < len(seq):
                    g = seq[s]
                    key = g.name if g.angle is not None else "const"
                    groups.setdefault(key, ([], []))
                    groups[key][0].append(i)
                    groups[key][1].append(g.angle if g.angle is not None else g.matrix)
            slot: list[tuple[str, list[int], torch.Tensor]] = []
            for key, (pos, items) in groups.items():
                if key == "const":
                    slot.append((key, pos, torch.as_tensor(np.stack(items), dtype=dtype)[None]))
                else:
                    slot.append((key, pos, torch.tensor(items, dtype=torch.long)))
            self.slots.append(slot)
        self.angles = tuple(
            int(a) for slot in self.slots for key, _, t in slot if key != "const" for a in t
        )
        self.eye = torch.eye(2, dtype=dtype)

    def build(self, angles: torch.Tensor) -> torch.Tensor:
        """(b, m, 2, 2) products (identity where a qubit has no gate)."""
        b = angles.shape[0]
        acc: torch.Tensor | None = None
        for slot in self.slots:
            parts = []
            for key, pos, items in slot:
                if key == "const":
                    parts.append((pos, items))
                else:
                    parts.append((pos, KERNELS[key].matrix(angles[:, items], self.dtype)))
            if len(parts) == 1 and len(parts[0][0]) == self.m:
                mats = parts[0][1]
            else:
                mats = self.eye.repeat(b, self.m, 1, 1)
                for pos, part in parts:
                    mats[:, pos] = part
            acc = mats if acc is None else mats @ acc
        return self.eye.expand(1, self.m, 2, 2) if acc is None else acc


class ProductState(Op):
    """Closed-form product state from per-qubit single-qubit gates on ``|0...0>``."""

    def __init__(
        self, n: int, gates: Sequence[Sequence[PrimitiveGate]], dtype: torch.dtype
    ) -> None:
        self.n = n
        self.mats = QubitMatrices(gates, dtype)
        self.angles = self.mats.angles

    def build(self, angles: torch.Tensor) -> Params:
        return (self.mats.build(angles)[..., 0],)  # first columns: (b, n, 2)

    def state(self, params: Params, batch: int) -> torch.Tensor:
        """The product state (batch, 2**n)."""
        (v,) = params
        s = v[:, self.n - 1]
        for q in range(self.n - 2, -1, -1):
            s = (s[:, :, None] * v[:, q, None, :]).reshape(s.shape[0], -1)
        return s.expand(batch, -1).contiguous() if s.shape[0] != batch else s


class KronLayer(Op):
    """Single-qubit gates on several qubits, applied chunk by chunk as kron matrices.

    A layer touching at least half the qubits tiles all of them from the top with
    rotating chunks (:class:`~qmlsec.engine.kernels.RotChunk`, identity on untouched
    qubits); a sparser layer uses in-place chunks around the touched qubits.
    """

    def __init__(
        self, n: int, gates: dict[int, list[PrimitiveGate]], chunk: int, dtype: torch.dtype
    ) -> None:
        qubits = sorted(gates)
        self.mats = QubitMatrices([gates[q] for q in qubits], dtype)
        self.angles = self.mats.angles
        where = {q: i for i, q in enumerate(qubits)}
        self.chunks: list[tuple[Step, list[int | None]]] = []
        if 2 * len(qubits) >= n:
            top = n
            while top > 0:
                k = min(chunk, top)
                span = range(top - k, top)
                self.chunks.append((RotChunk(n, k), [where.get(q) for q in span]))
                top -= k
        else:
            i = 0
            while i < len(qubits):
                lo = qubits[i]
                inside = [q for q in qubits[i:] if q < lo + chunk]
                k = inside[-1] - lo + 1
                span = range(lo, lo + k)
                self.chunks.append((Chunk(n, lo, k), [where.get(q) for q in span]))
                i += len(inside)
        self.eye = torch.eye(2, dtype=dtype)

    def build(self, angles: torch.Tensor) -> Params:
        mats = self.mats.build(angles)
        out = []
        for _, positions in self.chunks:
            m: torch.Tensor | None = None
            for pos in reversed(positions):  # most significant qubit first
                f = self.eye[None] if pos is None else mats[:, pos]
                m = f if m is None else _kron(m, f)
            assert m is not None
            out.append(m)
        return tuple(out)

    def steps(self, params: Params) -> Steps:
        return [(c, m) for (c, _), m in zip(self.chunks, params, strict=True)]


def _kron(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    ka, kb = a.shape[-1], b.shape[-1]
    return (a[:, :, None, :, None] * b[:, None, :, None, :]).reshape(-1, ka * kb, ka * kb)


class Monomial(Op):
    """``out[i] = phase[i] * state[perm[i]]``: fused permutation and diagonal gates.

    ``phase = exp(i (angles[:, idx] @ coeffs + const))``.
    """

    def __init__(
        self,
        perm: np.ndarray,
        idx: list[int],
        coeffs: np.ndarray,
        const: np.ndarray,
        real: torch.dtype,
        dtype: torch.dtype,
    ) -> None:
        ident = np.array_equal(perm, np.arange(len(perm)))
        self.step = MonomialStep(
            None if ident else torch.as_tensor(perm, dtype=torch.long),
            None if ident else torch.as_tensor(np.argsort(perm), dtype=torch.long),
        )
        self.angles = tuple(idx)
        self.idx = torch.tensor(idx, dtype=torch.long)
        self.coeffs = torch.as_tensor(coeffs, dtype=real)
        self.const = torch.as_tensor(const, dtype=real)
        self.has_const = bool(np.any(const != 0))
        self.fixed = torch.polar(torch.ones_like(self.const), self.const).to(dtype)[None]
        self.dtype = dtype

    @property
    def is_identity(self) -> bool:
        """True when the operation does nothing."""
        return self.step.perm is None and not self.angles and not self.has_const

    def build(self, angles: torch.Tensor) -> Params:
        if not self.angles:
            return (self.fixed,) if self.has_const else ()
        arg = angles[:, self.idx] @ self.coeffs + self.const
        return (torch.polar(torch.ones_like(arg), arg).to(self.dtype),)

    def steps(self, params: Params) -> Steps:
        return [(self.step, params[0] if params else None)]


class Dense(Op):
    """Any k-qubit gate applied by its matrix (the generic path)."""

    def __init__(self, n: int, gate: PrimitiveGate, dtype: torch.dtype) -> None:
        self.gate, self.dtype = gate, dtype
        self.angles = () if gate.angle is None else (gate.angle,)
        if gate.matrix is not None:
            self.fixed = torch.as_tensor(gate.matrix, dtype=dtype)[None]
        self.step = DenseStep(n, gate.qubits)

    def build(self, angles: torch.Tensor) -> Params:
        if self.gate.angle is None:
            return (self.fixed,)
        return (KERNELS[self.gate.name].matrix(angles[:, self.gate.angle], self.dtype),)

    def steps(self, params: Params) -> Steps:
        return [(self.step, params[0])]


class Fused(Op):
    """A run of weight-only operations applied as one dense unitary (small n)."""

    def __init__(self, n: int, ops: Sequence[Op], dtype: torch.dtype) -> None:
        self.ops = list(ops)
        self.angles = tuple(a for op in ops for a in op.angles)
        self.eye = torch.eye(2**n, dtype=dtype)
        self.step = FusedStep()

    def build(self, angles: torch.Tensor) -> Params:
        r = self.eye  # row i becomes U e_i, so r = U^T
        for op in self.ops:
            r = run(r, op.steps(op.build(angles)))
        return (r,)

    def steps(self, params: Params) -> Steps:
        return [(self.step, params[0])]
