"""Pauli expectation values from state vectors, without building matrices.

A Pauli string acts as ``P|j> = i^{nY} (-1)^{popcount(j & z)} |j ^ x>`` (``x``: qubits with
X or Y, ``z``: qubits with Z or Y). Diagonal terms (``x = 0``) of all observables collapse
into one (2**n, n_obs) sign matrix applied to the probabilities; other terms are grouped
by ``x`` and evaluated with one bit-flip gather and one matmul per group.

Example:
    >>> import torch
    >>> from qiskit.quantum_info import SparsePauliOp
    >>> table = PauliTable([SparsePauliOp("Z"), SparsePauliOp("X")], 1, torch.complex128)
    >>> plus = torch.tensor([[1], [1]], dtype=torch.complex128) / 2**0.5  # (2**n, B)
    >>> table.expectations(plus).round(decimals=12).tolist()
    [[0.0, 1.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from qiskit.quantum_info import Pauli, SparsePauliOp

from qmlsec.exceptions import ConfigError

_PREFIX = {"": 1, "-": -1, "i": 1j, "-i": -1j}


def as_observables(observables: Sequence[object] | None, n: int) -> list[SparsePauliOp]:
    """Normalise observables (labels, Paulis, SparsePauliOps); default Z on each qubit."""
    if observables is None:
        return [SparsePauliOp("I" * (n - 1 - q) + "Z" + "I" * q) for q in range(n)]
    out = []
    for o in observables:
        op = o if isinstance(o, SparsePauliOp) else SparsePauliOp(o)  # type: ignore[arg-type]
        if op.num_qubits != n:
            raise ConfigError(f"observable on {op.num_qubits} qubits for a {n}-qubit circuit")
        if not np.allclose(op.simplify().coeffs.imag, 0, atol=1e-12):
            raise ConfigError(f"observable {op} is not Hermitian", hint="use real coefficients")
        out.append(op)
    return out


def pauli_terms(op: SparsePauliOp) -> list[tuple[int, int, complex]]:
    """``(xmask, zmask, factor)`` of every term, factor including ``i^{nY}`` and phase."""
    terms = []
    for pauli, coeff in zip(op.paulis, op.coeffs, strict=True):
        label = Pauli(pauli).to_label()
        body = label.lstrip("-i")
        factor = complex(coeff) * _PREFIX[label[: len(label) - len(body)]]
        x = z = 0
        for q, ch in enumerate(reversed(body)):
            x |= (ch in "XY") << q
            z |= (ch in "ZY") << q
            factor *= 1j if ch == "Y" else 1
        terms.append((x, z, factor))
    return terms


def parity(z: int, n: int) -> np.ndarray:
    """``(-1)^{popcount(j & z)}`` for every basis index ``j``."""
    j = np.arange(2**n)
    bits = np.zeros(2**n, dtype=np.int64)
    for q in range(n):
        if (z >> q) & 1:
            bits ^= (j >> q) & 1
    return 1.0 - 2.0 * bits


class PauliTable:
    """Precomputed tables giving ``<psi|O_k|psi>`` for a list of observables."""

    def __init__(self, observables: Sequence[SparsePauliOp], n: int, dtype: torch.dtype) -> None:
        real = torch.float64 if dtype == torch.complex128 else torch.float32
        diag = np.zeros((2**n, len(observables)))
        groups: dict[int, np.ndarray] = {}
        for k, op in enumerate(observables):
            for x, z, f in pauli_terms(op):
                if x == 0:
                    diag[:, k] += f.real * parity(z, n)
                else:
                    groups.setdefault(x, np.zeros((2**n, len(observables)), complex))
                    groups[x][:, k] += f * parity(z, n)
        self.diag = torch.as_tensor(diag, dtype=real) if np.any(diag) else None
        idx = np.arange(2**n)
        self.groups = [
            (
                torch.as_tensor(idx ^ x),
                torch.as_tensor(c.real, dtype=real),
                torch.as_tensor(c.imag, dtype=real),
            )
            for x, c in groups.items()
        ]
        self.n_obs = len(observables)

    def expectations(self, state: torch.Tensor) -> torch.Tensor:
        """(B, n_obs) real expectations for states stored column-major (2**n, B)."""
        out = None
        if self.diag is not None:
            out = _DiagonalExpectation.apply(state, self.diag)
        for flip, re, im in self.groups:
            prod = state.index_select(0, flip).conj() * state
            part = re.T @ prod.real - im.T @ prod.imag
            out = part if out is None else out + part
        if out is None:
            return state.real.new_zeros(state.shape[1], self.n_obs)
        return out.T


_WHOLE = 2**20  # amplitudes: larger batched states get their probabilities in parts


class _DiagonalExpectation(torch.autograd.Function):
    """``diag^T |psi|^2`` (n_obs, B) with a one-pass backward ``2 psi (diag g)``."""

    @staticmethod
    def forward(ctx: Any, state: torch.Tensor, diag: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(state, diag)
        if state.numel() <= _WHOLE or state.stride(0) != 1:
            probs = state.real.square().addcmul_(state.imag, state.imag)  # half a state
            return diag.T @ probs
        # columns contiguous (the blocked evolution's output): an eighth of the batch at
        # a time, so the probabilities never take half a batched state of memory
        out = state.real.new_empty(state.shape[1], diag.shape[1])  # rows: contiguous parts
        step = max(1, state.shape[1] // 8)
        for c in range(0, state.shape[1], step):
            part = state[:, c : c + step]
            probs = part.real.square().addcmul_(part.imag, part.imag)
            torch.mm(probs.T, diag, out=out[c : c + step])
        return out.T

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, None]:  # type: ignore[override]
        state, diag = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None
        if torch.is_grad_enabled():
            # a double backward (create_graph=True, e.g. gradient inversion) records
            # this pass, so it takes differentiable operations without out= buffers
            return state * (2 * (diag @ grad)), None
        # the weights in the state's own memory layout (the adjoint evolution returns
        # states whose columns are contiguous), so the product runs at memory speed
        if state.stride(0) != 1:
            weights = diag @ grad
            # real x complex as a real product: no complex copy of the weights
            lam = torch.view_as_real(state) * weights.mul_(2)[..., None]
            return torch.view_as_complex(lam), None
        # rows (B, 2**n) contiguous: the weights a few rows at a time (an eighth of a
        # state's memory at most alive next to the co-state)
        rows = state.T
        out = torch.empty_like(rows)
        step = max(1, rows.shape[0] // 8)
        for r in range(0, rows.shape[0], step):
            w = (grad.T[r : r + step] @ diag.T).mul_(2)
            torch.mul(
                torch.view_as_real(rows[r : r + step]),
                w[..., None],
                out=torch.view_as_real(out[r : r + step]),
            )
        return out.T, None
