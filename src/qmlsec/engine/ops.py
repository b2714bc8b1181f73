"""Fused state operations: the engine's fast kernels.

An operation turns the angles (and the chunk matrices its bank built, see
:mod:`qmlsec.engine.bank`) into state kernels (``steps``, see :mod:`qmlsec.engine.kernels`)
that act on a batch of states stored column-major, ``(2**n, B)``. Tensors have a leading
batch dimension ``b`` that is 1 when the operation depends on weights only (shared by the
whole batch) and ``B`` otherwise.

- :class:`ProductState` builds a product state in closed form (kron of per-qubit
  2-vectors), e.g. angle encoding plus the first rotation layer.
- :class:`KronLayer` applies single-qubit unitaries on many qubits as a few matmuls of
  kron-ed chunk matrices (one GEMM per chunk when the weights are shared).
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
    >>> state = torch.tensor([[1], [0], [0], [0]], dtype=torch.complex128)
    >>> run(state, op.steps(torch.zeros(1, 0), [])).real.flatten().tolist()
    [0.0, 0.0, 1.0, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from qmlsec.engine.bank import OneQubitBank
from qmlsec.engine.gates import KERNELS
from qmlsec.engine.kernels import (
    Chunk,
    DenseStep,
    FusedStep,
    MonomialStep,
    Outer,
    RealChunk,
    Step,
)
from qmlsec.engine.lowering import PrimitiveGate

Steps = list[tuple[Step, torch.Tensor | None]]


def run(state: torch.Tensor, steps: Steps) -> torch.Tensor:
    """Apply kernel steps in order."""
    for step, p in steps:
        state = step.apply(state, p)
    return state


class Op:
    """Base class: a state operation with angle-dependent tensors.

    Attributes:
        angles: indices of the angles it uses.
        data_dependent: whether any of them depends on the inputs x.
        bank: ``"shared"`` or ``"data"``, the bank holding its single-qubit matrices.
    """

    angles: tuple[int, ...] = ()
    data_dependent: bool = False
    bank: str = "shared"

    def steps(self, angles: torch.Tensor, chunks: Sequence[torch.Tensor]) -> Steps:
        """State kernels with their tensors, for angles (b, G) and the bank's chunks."""
        raise NotImplementedError


class ProductState(Op):
    """Closed-form product state from per-qubit single-qubit gates on ``|0...0>``."""

    def __init__(self, n: int, entries: list[int], angles: tuple[int, ...]) -> None:
        self.n, self.entries, self.angles = n, torch.tensor(entries, dtype=torch.long), angles

    def factors(self, mats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Product states (2**h, b) of the high and (2**l, b) of the low qubits.

        The state is ``Outer.build(*factors)``: both halves are small, so the full
        state is only ever built a block of columns at a time.
        """
        return self.factors_from(mats[:, :, :, 0])

    def factors_from(self, columns: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``factors`` from the entries' first columns (b, E, 2) (``first_columns``)."""
        v = columns[:, self.entries, :].permute(1, 2, 0)  # (n, 2, b)
        low = self.n // 2
        return _kron(v[low:]), _kron(v[:low]) if low else torch.ones_like(v[0, :1])

    def state(self, mats: torch.Tensor, batch: int) -> torch.Tensor:
        """The product state (2**n, batch) from the bank's entry matrices."""
        return Outer.build(*self.factors(mats), batch)


def _kron(v: torch.Tensor) -> torch.Tensor:
    """Kron of per-qubit 2-vectors ``v`` (k, 2, b), qubit ``k - 1`` most significant."""
    s = v[-1]
    for q in range(v.shape[0] - 2, -1, -1):
        s = (s[:, None, :] * v[q, None, :, :]).reshape(-1, s.shape[-1])
    return s


class KronLayer(Op):
    """Single-qubit gates on several qubits, applied chunk by chunk as kron matrices.

    Chunks of up to ``chunk`` contiguous qubits cover the touched qubits (identity on
    untouched qubits inside a chunk).
    """

    def __init__(
        self, n: int, gates: dict[int, list[PrimitiveGate]], chunk: int, bank: OneQubitBank
    ) -> None:
        entry = {q: bank.add_entry(seq) for q, seq in sorted(gates.items())}
        self.angles = tuple(g.angle for seq in gates.values() for g in seq if g.angle is not None)
        self.chunks: list[tuple[Step, int]] = []
        qubits = sorted(gates)
        i = 0
        while i < len(qubits):
            lo = qubits[i]
            inside = [q for q in qubits[i:] if q < lo + chunk]
            k = inside[-1] - lo + 1
            members = [entry.get(q) for q in range(lo + k - 1, lo - 1, -1)]
            real = all(_is_real(gates[q]) for q in inside)
            step = RealChunk(n, lo, k) if real else Chunk(n, lo, k)
            self.chunks.append((step, bank.add_chunk(members)))
            i += len(inside)

    def steps(self, angles: torch.Tensor, chunks: Sequence[torch.Tensor]) -> Steps:
        return [
            (step, chunks[c].real.contiguous() if isinstance(step, RealChunk) else chunks[c])
            for step, c in self.chunks
        ]


#: One-angle gates whose matrices are real at every angle.
REAL_GATES = ("ry",)


def _is_real(gates: Sequence[PrimitiveGate]) -> bool:
    """Whether the product of ``gates`` is a real matrix at every angle."""
    return all(
        g.name in REAL_GATES
        if g.angle is not None
        else g.matrix is not None and bool(np.all(np.imag(g.matrix) == 0))
        for g in gates
    )


class Monomial(Op):
    """``out[i] = phase[i] * state[perm[i]]``: fused permutation and diagonal gates.

    ``phase = exp(i (angles[:, idx] @ coeffs + const)) * D[perm]`` where ``D`` is the
    kron of the diagonals of the single-qubit diagonal gates (RZ, P, S...) applied
    before the operation: the bank's diagonal chunk ``pre``, built with every other
    operation's in a few products, so it costs no (angles x 2**n) table.
    """

    def __init__(
        self,
        perm: np.ndarray,
        idx: list[int],
        coeffs: np.ndarray,
        const: np.ndarray,
        real: torch.dtype,
        dtype: torch.dtype,
        pre: int | None = None,
        pre_angles: tuple[int, ...] = (),
    ) -> None:
        ident = np.array_equal(perm, np.arange(len(perm)))
        self.n = int(len(perm)).bit_length() - 1
        self.step = MonomialStep(
            None if ident else torch.as_tensor(perm, dtype=torch.long),
            None if ident else torch.as_tensor(np.argsort(perm), dtype=torch.long),
        )
        self.pre = pre
        self.angles = tuple(idx) + pre_angles
        self.phase_angles = tuple(idx)
        self.idx = torch.tensor(idx, dtype=torch.long)
        self.coeffs = torch.as_tensor(coeffs, dtype=real)
        self.const = torch.as_tensor(const, dtype=real)
        self.has_const = bool(np.any(const != 0))
        self.fixed = torch.polar(torch.ones_like(self.const), self.const).to(dtype)[None]
        self.dtype = dtype

    @property
    def is_identity(self) -> bool:
        """True when the operation does nothing."""
        return (
            self.step.perm is None and not self.angles and not self.has_const and self.pre is None
        )

    def steps(self, angles: torch.Tensor, chunks: Sequence[torch.Tensor]) -> Steps:
        phase: torch.Tensor | None = None
        if self.phase_angles:
            arg = angles[:, self.idx] @ self.coeffs + self.const
            phase = torch.polar(torch.ones_like(arg), arg).to(self.dtype)
        elif self.has_const:
            phase = self.fixed
        if self.pre is not None:
            d = chunks[self.pre]
            d = d if self.step.perm is None else d[:, self.step.perm]
            phase = d if phase is None else phase * d
        return [(self.step, phase)]


class Dense(Op):
    """Any k-qubit gate applied by its matrix (the generic path)."""

    def __init__(self, n: int, gate: PrimitiveGate, dtype: torch.dtype) -> None:
        self.gate, self.dtype = gate, dtype
        self.angles = () if gate.angle is None else (gate.angle,)
        if gate.matrix is not None:
            self.fixed = torch.as_tensor(gate.matrix, dtype=dtype)[None]
        self.step = DenseStep(n, gate.qubits)

    def steps(self, angles: torch.Tensor, chunks: Sequence[torch.Tensor]) -> Steps:
        if self.gate.angle is None:
            return [(self.step, self.fixed)]
        return [(self.step, KERNELS[self.gate.name].matrix(angles[:, self.gate.angle], self.dtype))]


class Fused(Op):
    """A run of weight-only operations applied as one dense unitary (small n)."""

    def __init__(self, n: int, ops: Sequence[Op], dtype: torch.dtype) -> None:
        self.ops = list(ops)
        self.angles = tuple(a for op in ops for a in op.angles)
        self.eye = torch.eye(2**n, dtype=dtype)
        self.step = FusedStep()

    def steps(self, angles: torch.Tensor, chunks: Sequence[torch.Tensor]) -> Steps:
        r = self.eye  # column i becomes U e_i, so r = U
        for op in self.ops:
            r = run(r, op.steps(angles, chunks))
        return [(self.step, r)]
