"""The bank's diagonal chunks: phases for one-angle diagonal entries, a kron otherwise."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from qiskit.circuit.library import PhaseGate, RZGate
from qiskit.quantum_info import Operator

from qmlsec.engine.bank import OneQubitBank
from qmlsec.engine.lowering import PrimitiveGate

S = np.diag([1, 1j])


def _diagonal_chunks(entries: list[list[PrimitiveGate] | None], angles: torch.Tensor):
    bank = OneQubitBank(torch.complex128)
    ids = [None if seq is None else bank.add_entry(seq) for seq in entries]
    c = bank.add_diagonal(ids)
    return bank, bank.build(angles)[1][c]


def _reference(entries: list[list[PrimitiveGate] | None], angles: np.ndarray) -> np.ndarray:
    """Kron of the entries' diagonals from Qiskit's matrices, entry 0 most significant."""
    out = np.ones(1, dtype=complex)
    for seq in entries:
        m = np.eye(2, dtype=complex)
        for g in seq or []:
            if g.angle is None:
                u = g.matrix
            else:
                gate = {"rz": RZGate, "p": PhaseGate}[g.name](angles[g.angle])
                u = Operator(gate).data
            m = u @ m
        out = np.kron(out, np.diag(m))
    return out


@pytest.mark.parametrize(
    "entries",
    [
        [[PrimitiveGate("rz", (0,), angle=0)], [PrimitiveGate("rz", (0,), angle=2)]],
        [[PrimitiveGate("p", (0,), angle=1)], None, [PrimitiveGate("rz", (0,), angle=0)]],
        [[PrimitiveGate("rz", (0,), angle=1)]],
        [[PrimitiveGate("rz", (0,), angle=j % 3)] for j in range(5)],
        # not one one-angle gate per entry: the kron of diagonals
        [[PrimitiveGate("rz", (0,), angle=0), PrimitiveGate("rz", (0,), angle=1)], None],
        [[PrimitiveGate("s", (0,), matrix=S)], [PrimitiveGate("rz", (0,), angle=2)]],
    ],
)
def test_diagonal_chunks_match_qiskit_with_gradients(entries):
    rng = np.random.default_rng(3)
    values = rng.uniform(-np.pi, np.pi, (4, 3))
    angles = torch.tensor(values, requires_grad=True)
    bank, diag = _diagonal_chunks(entries, angles)
    for row, v in zip(diag.detach().numpy(), values, strict=True):
        np.testing.assert_allclose(row, _reference(entries, v), atol=1e-12)
    phased = all(seq is None or (len(seq) == 1 and seq[0].angle is not None) for seq in entries)
    assert (bank._phase_maps[-len(entries)] is not None) == phased
    assert torch.autograd.gradcheck(
        lambda a: torch.view_as_real(_diagonal_chunks(entries, a)[1]), (angles,)
    )


def test_wide_diagonal_chunks_split_into_halves_match_the_kron():
    """Past 12 qubits the phase is the broadcast sum of its high and low halves' tables;
    values and gradients equal the kron of the diagonals (the bank's general path)."""
    entries = [[PrimitiveGate("rz" if j % 2 else "p", (0,), angle=j % 4)] for j in range(13)]
    values = np.random.default_rng(5).uniform(-np.pi, np.pi, (2, 4))
    weights = torch.randn(
        2, 2**13, dtype=torch.complex128, generator=torch.Generator().manual_seed(1)
    )
    out = []
    for phased in (True, False):
        angles = torch.tensor(values, requires_grad=True)
        bank, _ = _diagonal_chunks(entries, angles.detach())
        if not phased:
            bank._phase_maps[-13] = None
        else:
            assert bank._phase_maps[-13][3].shape == (6, 2**6)  # the high half's table
        diag = bank.build(angles)[1][0]
        (diag * weights).real.sum().backward()
        out.append((diag.detach(), angles.grad))
    np.testing.assert_allclose(out[0][0].numpy(), out[1][0].numpy(), atol=1e-12)
    np.testing.assert_allclose(out[0][1].numpy(), out[1][1].numpy(), atol=1e-9)
    np.testing.assert_allclose(out[0][0][0].numpy(), _reference(entries, values[0]), atol=1e-12)
