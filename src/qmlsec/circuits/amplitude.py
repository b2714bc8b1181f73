"""Amplitude encoding (PennyLane ``AmplitudeEmbedding``) with linear circuit angles.

A real vector ``a`` of length ``2**n`` (zero-padded, normalised) is prepared by a tree of
uniformly controlled RY rotations (Möttönen et al., 2004): qubit ``n-1`` splits the norm
between the two halves, then each lower qubit, controlled by the qubits above it, splits
again; the last level uses signed ``atan2`` so negative amplitudes come out right. A
uniformly controlled RY with ``m`` controls is ``2**m`` RY + CNOT pairs whose angles are
a fixed Walsh-Gray linear transform of the tree angles, so the circuit takes the
``2**n - 1`` tree angles as inputs and every gate angle is linear in them.
:func:`amplitude_features` computes the tree angles from the raw features (torch,
differentiable).

Example:
    >>> import numpy as np
    >>> from qiskit.quantum_info import Statevector
    >>> from qiskit.circuit import ParameterVector
    >>> x = ParameterVector("x", 3)
    >>> qc = amplitude_encoding(2, x)
    >>> a = torch.tensor([[1.0, -2.0, 2.0, 4.0]])
    >>> angles = amplitude_features(a, 2)[0].tolist()
    >>> sv = Statevector(qc.assign_parameters(dict(zip(x, angles)))).data
    >>> bool(np.allclose(sv, [0.2, -0.4, 0.4, 0.8]))
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression

from qmlsec.circuits.encoders import _pad
from qmlsec.exceptions import ConfigError

_TINY = 1e-30


def amplitude_inputs(n_qubits: int) -> int:
    """Number of circuit inputs (tree angles) of amplitude encoding on ``n_qubits``."""
    return 2**n_qubits - 1


def amplitude_encoding(n_qubits: int, x: Sequence[ParameterExpression]) -> QuantumCircuit:
    """Amplitude-encoding circuit taking the ``2**n - 1`` tree angles as inputs ``x``.

    Inputs are ordered level by level from qubit ``n-1`` down to qubit 0; within a level,
    by the value of the control qubits above (little-endian).

    Args:
        n_qubits: number of qubits.
        x: the tree-angle parameters (see :func:`amplitude_features`).

    Returns:
        The state-preparation circuit from ``|0...0>``.
    """
    if len(x) != amplitude_inputs(n_qubits):
        raise ConfigError(
            f"amplitude encoding on {n_qubits} qubits takes {amplitude_inputs(n_qubits)} "
            f"tree angles, got {len(x)}",
            hint="compute them with amplitude_features",
        )
    qc = QuantumCircuit(n_qubits, name="amplitude_encoding")
    offset = 0
    for target in range(n_qubits - 1, -1, -1):
        controls = list(range(target + 1, n_qubits))
        alphas = list(x[offset : offset + 2 ** len(controls)])
        offset += len(alphas)
        _multiplexed_ry(qc, alphas, controls, target)
    return qc


def _multiplexed_ry(
    qc: QuantumCircuit, alphas: list[ParameterExpression], controls: list[int], target: int
) -> None:
    """Append RY(alpha_j) on ``target`` conditioned on the controls being ``j``."""
    m = len(controls)
    if m == 0:
        qc.ry(alphas[0], target)
        return
    size = 2**m
    gray = [i ^ (i >> 1) for i in range(size)]
    # alpha_j = sum_i (-1)^{popcount(j & gray_i)} theta_i, and W W^T = size * I.
    weights = np.array([[(-1) ** bin(j & g).count("1") for g in gray] for j in range(size)])
    for i in range(size):
        theta = sum((weights[j, i] / size) * alphas[j] for j in range(size))
        qc.ry(theta, target)
        flipped = gray[i] ^ gray[(i + 1) % size]
        qc.cx(controls[flipped.bit_length() - 1], target)


def amplitude_features(x: torch.Tensor, n_qubits: int) -> torch.Tensor:
    """Tree angles of :func:`amplitude_encoding` for raw features ``x`` (B, n_features).

    Features are zero-padded to ``2**n_qubits`` and normalised (an all-zero row encodes
    ``|0...0>``). Differentiable, with finite gradients at padded zeros.

    Example:
        >>> amplitude_features(torch.tensor([[0.0, 1.0]]), 1)
        tensor([[3.1416]])
    """
    a = _pad(x, 2**n_qubits)
    a = a / torch.sqrt((a * a).sum(dim=1, keepdim=True) + _TINY)
    batch = a.shape[0]
    levels = []
    for target in range(n_qubits - 1, -1, -1):
        parts = a.reshape(batch, 2 ** (n_qubits - target - 1), 2, 2**target)
        if target == 0:
            lo, hi = parts[..., 0, 0], parts[..., 1, 0]
        else:
            lo = torch.sqrt((parts[..., 0, :] ** 2).sum(-1) + _TINY)
            hi = torch.sqrt((parts[..., 1, :] ** 2).sum(-1) + _TINY)
        levels.append(2.0 * torch.atan2(hi, lo))
    return torch.cat(levels, dim=1)
