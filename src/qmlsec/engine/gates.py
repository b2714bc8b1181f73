"""Gate kernels: torch matrices of one-angle gates and the shift rule of each.

Every one-angle gate of Qiskit's standard set has the form
``U(a) = A + cos(w a) B + sin(w a) C`` with constant matrices ``A, B, C`` and frequency
``w`` (1/2 for rotations, 1 for phase gates). The constants are read off Qiskit's own
matrices at import, so conventions (qubit order, signs) match Qiskit by construction.
Diagonal gates additionally expose ``h`` with ``U(a) = diag(exp(i a h))``, which the engine
uses to fuse them into phase vectors.

Example:
    >>> import math
    >>> k = KERNELS["ry"]
    >>> m = k.matrix(torch.tensor([math.pi], dtype=torch.float64), torch.complex128)
    >>> m[0].real.round().tolist()
    [[0.0, -1.0], [1.0, 0.0]]
    >>> k.shift_rule
    ((0.5, 1.5707963267948966), (-0.5, -1.5707963267948966))
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from qiskit.circuit.library import get_standard_gate_name_mapping

ShiftRule = tuple[tuple[float, float], ...]

_HALF_PI = math.pi / 2
TWO_TERM: ShiftRule = ((0.5, _HALF_PI), (-0.5, -_HALF_PI))
_C1 = (math.sqrt(2) + 1) / (4 * math.sqrt(2))
_C2 = (math.sqrt(2) - 1) / (4 * math.sqrt(2))
FOUR_TERM: ShiftRule = (
    (_C1, _HALF_PI),
    (-_C1, -_HALF_PI),
    (-_C2, 3 * _HALF_PI),
    (_C2, -3 * _HALF_PI),
)

#: One-angle gates with a kernel, and their Qiskit aliases.
ONE_ANGLE = ("rx", "ry", "rz", "p", "rxx", "ryy", "rzz", "rzx", "crx", "cry", "crz", "cp")
ALIASES = {"u1": "p", "cu1": "cp"}


@dataclass(frozen=True)
class GateKernel:
    """Matrix builder and shift rule of one one-angle gate.

    Attributes:
        name: Qiskit gate name.
        num_qubits: qubits it acts on.
        freq: ``w`` in ``U(a) = A + cos(w a) B + sin(w a) C``.
        consts: ``A, B, C`` (numpy, Qiskit's little-endian order over the gate's qubits).
        diag: ``h`` with ``U(a) = diag(exp(i a h))`` for diagonal gates, else None.
        shift_rule: ``(coefficient, shift)`` terms, ``dU/da`` exact for expectations.
    """

    name: str
    num_qubits: int
    freq: float
    consts: tuple[np.ndarray, np.ndarray, np.ndarray]
    diag: np.ndarray | None
    shift_rule: ShiftRule

    def matrix(self, a: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """Matrices ``(*a.shape, K, K)`` for angles ``a``."""
        A, B, C = _torch_consts(self.name, dtype, a.device)
        wa = (self.freq * a)[..., None, None]
        return A + torch.cos(wa) * B + torch.sin(wa) * C

    def numpy_matrix(self, a: float) -> np.ndarray:
        """Matrix at a numeric angle (for constant occurrences)."""
        A, B, C = self.consts
        return A + math.cos(self.freq * a) * B + math.sin(self.freq * a) * C


def _kernel(name: str) -> GateKernel:
    gate_cls = type(get_standard_gate_name_mapping()[name])
    freq = 1.0 if name in ("p", "cp") else 0.5

    def u(a: float) -> np.ndarray:
        return np.asarray(gate_cls(a).to_matrix(), dtype=complex)

    u0, upi = u(0.0), u(math.pi / freq)
    A = (u0 + upi) / 2
    B = (u0 - upi) / 2
    C = u(math.pi / (2 * freq)) - A
    num_qubits = int(round(math.log2(u0.shape[0])))
    diag = None
    probe = u(1.0)
    if np.allclose(probe, np.diag(np.diag(probe))):
        diag = np.angle(np.diag(probe))
    pauli_rotation = freq == 0.5 and np.allclose(A, 0)
    rule = TWO_TERM if (pauli_rotation or freq == 1.0) else FOUR_TERM
    return GateKernel(name, num_qubits, freq, (A, B, C), diag, rule)


KERNELS: dict[str, GateKernel] = {name: _kernel(name) for name in ONE_ANGLE}


@functools.cache
def _torch_consts(name: str, dtype: torch.dtype, device: torch.device) -> tuple[torch.Tensor, ...]:
    return tuple(torch.as_tensor(m, dtype=dtype, device=device) for m in KERNELS[name].consts)
