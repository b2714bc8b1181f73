"""Finite-shot estimates: seeded multinomial sampling of measurement outcomes.

Observables are measured in qubit-wise commuting groups: each group fixes a basis per
qubit (X, Y or Z), the state is rotated into it (H for X, S^dagger then H for Y), and
``shots`` outcomes are drawn per circuit from the resulting probabilities with a
``torch.Generator``. A term's estimate is the mean of its parity over the outcomes.
Identical generators give identical estimates.

Example:
    >>> import torch
    >>> from qiskit.quantum_info import SparsePauliOp
    >>> plan = MeasurementPlan([SparsePauliOp("ZZ")], 2)
    >>> bell = torch.tensor([[1, 0, 0, 1]], dtype=torch.complex128) / 2**0.5
    >>> gen = torch.Generator().manual_seed(0)
    >>> plan.estimate(bell, 100, gen).tolist()
    [[1.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from qiskit.quantum_info import SparsePauliOp

from qmlsec.engine.observables import parity, pauli_terms
from qmlsec.exceptions import ConfigError

_H = np.array([[1, 1], [1, -1]], dtype=complex) / np.sqrt(2)
_BASIS = {"X": _H, "Y": _H @ np.diag([1, -1j])}


def _letter(x: int, z: int, q: int) -> str:
    xb, zb = (x >> q) & 1, (z >> q) & 1
    return "Y" if xb and zb else "X" if xb else "Z"


def sample_counts(
    probs: torch.Tensor, shots: int, generator: torch.Generator | None
) -> torch.Tensor:
    """Outcome counts (B, 2**n) of ``shots`` draws per row of ``probs`` (B, 2**n)."""
    if shots < 1:
        raise ConfigError(f"shots must be >= 1, got {shots}")
    p = probs.detach().clamp_min(0).to("cpu", torch.float64)  # CPU draws: same on any device
    draws = torch.multinomial(p, shots, replacement=True, generator=generator)
    counts = torch.zeros(p.shape, dtype=torch.int64)
    return counts.scatter_add_(1, draws, torch.ones_like(draws))


class MeasurementPlan:
    """Qubit-wise commuting measurement groups for a list of observables."""

    def __init__(self, observables: Sequence[SparsePauliOp], n: int) -> None:
        self.n, self.n_obs = n, len(observables)
        self.groups: list[tuple[dict[int, str], list[tuple[int, int, float]]]] = []
        self.constant = np.zeros(len(observables))
        for k, op in enumerate(observables):
            for x, z, f in pauli_terms(op):
                support = x | z
                if support == 0:
                    self.constant[k] += f.real
                    continue
                basis = {q: _letter(x, z, q) for q in range(n) if (support >> q) & 1}
                # the rotated measurement reads Pauli parity on the support; Y's i absorbed
                weight = (f * (-1j) ** bin(x & z).count("1")).real
                self._add(basis, (k, support, weight))

    def _add(self, basis: dict[int, str], term: tuple[int, int, float]) -> None:
        for group_basis, terms in self.groups:
            if all(group_basis.get(q, b) == b for q, b in basis.items()):
                group_basis.update(basis)
                terms.append(term)
                return
        self.groups.append((dict(basis), [term]))

    @property
    def n_circuits(self) -> int:
        """Circuits executed per sample (one per measurement group, at least one)."""
        return max(1, len(self.groups))

    def rotate(self, state: torch.Tensor, basis: dict[int, str]) -> torch.Tensor:
        """Rotate states (B, 2**n) so the group's bases read out in Z."""
        batch = state.shape[0]
        for q, b in basis.items():
            if b == "Z":
                continue
            m = torch.as_tensor(_BASIS[b], dtype=state.dtype)
            s = state.reshape(batch, 2 ** (self.n - q - 1), 2, 2**q)
            state = torch.einsum("ij,bhjl->bhil", m, s).reshape(batch, -1)
        return state

    def estimate(
        self, state: torch.Tensor, shots: int, generator: torch.Generator | None
    ) -> torch.Tensor:
        """(B, n_obs) shot estimates for states (B, 2**n), drawn on the CPU."""
        state = state.detach().cpu()
        out = torch.as_tensor(self.constant, dtype=torch.float64).repeat(state.shape[0], 1)
        for basis, terms in self.groups:
            rotated = self.rotate(state, basis)
            counts = sample_counts(rotated.real**2 + rotated.imag**2, shots, generator)
            freq = counts.to(torch.float64) / shots
            for k, support, weight in terms:
                sign = torch.as_tensor(parity(support, self.n))
                out[:, k] += weight * (freq @ sign)
        return out
