"""Data encoders: angle (AngleEmbedding), IQP (IQPEmbedding) and their feature maps.

Every encoder returns a :class:`~qiskit.QuantumCircuit` whose parameters are elements of
the input vector ``x`` and whose gate angles are *linear* in them, so the engine can
compile it. Encoders that need a non-linear function of the raw features (the pair
products of IQP, the rotation tree of amplitude encoding) take those values as extra
circuit inputs and ship a torch ``*_features`` function that computes them
differentiably from the raw features.

Example:
    >>> from qiskit.circuit import ParameterVector
    >>> qc = angle_encoding(2, ParameterVector("x", 2))
    >>> [inst.operation.name for inst in qc.data]
    ['h', 'rz', 'h', 'rz']
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterExpression

from qmlsec.exceptions import ConfigError

ROTATIONS = ("X", "Y", "Z")


def angle_encoding(
    n_qubits: int, x: Sequence[ParameterExpression], rotation: str = "Z"
) -> QuantumCircuit:
    """Angle encoding (PennyLane ``AngleEmbedding``): feature ``i`` on qubit ``i``.

    ``rotation="Z"`` (the QMLaaS paper's choice and the default) applies H then RZ(x_i) on
    every qubit; ``"X"``/``"Y"`` apply RX(x_i)/RY(x_i). Qubits beyond ``len(x)`` get only
    the H of the Z variant.

    Args:
        n_qubits: number of qubits.
        x: the input parameters, at most ``n_qubits`` of them.
        rotation: ``"X"``, ``"Y"`` or ``"Z"``.

    Returns:
        The encoding circuit.

    Example:
        >>> from qiskit.circuit import ParameterVector
        >>> angle_encoding(3, ParameterVector("x", 2), rotation="Y").count_ops()["ry"]
        2
    """
    if rotation not in ROTATIONS:
        raise ConfigError(f"unknown rotation {rotation!r}", hint="use 'X', 'Y' or 'Z'")
    if len(x) > n_qubits:
        raise ConfigError(
            f"angle encoding takes at most one feature per qubit: {len(x)} features for "
            f"{n_qubits} qubits",
            hint="reduce the features (PCA) or use amplitude encoding",
        )
    qc = QuantumCircuit(n_qubits, name="angle_encoding")
    for q in range(n_qubits):
        if rotation == "Z":
            qc.h(q)
        if q < len(x):
            getattr(qc, "r" + rotation.lower())(x[q], q)
    return qc


def iqp_encoding(
    n_qubits: int,
    x: Sequence[ParameterExpression],
    pairs: Sequence[tuple[int, int]],
    reps: int = 1,
) -> QuantumCircuit:
    """IQP encoding (PennyLane ``IQPEmbedding``): H, RZ(x_i), then RZZ on pairs.

    The pair angles are circuit inputs ``x[n + k]`` (``k`` indexes ``pairs``); compute them
    from the raw features with :func:`iqp_features`, which returns ``x_i * x_j`` as
    ``IQPEmbedding`` does. Qiskit's ``zz_feature_map`` is the same structure with other
    angle functions.

    Args:
        n_qubits: number of qubits.
        x: ``n_qubits + len(pairs)`` input parameters.
        pairs: coupled qubit pairs.
        reps: repetitions of the block.

    Returns:
        The encoding circuit.

    Example:
        >>> from qiskit.circuit import ParameterVector
        >>> qc = iqp_encoding(2, ParameterVector("x", 3), [(0, 1)])
        >>> qc.count_ops()["rzz"]
        1
    """
    if len(x) != n_qubits + len(pairs):
        raise ConfigError(
            f"IQP encoding needs {n_qubits + len(pairs)} inputs, got {len(x)}",
            hint="pass n_qubits features plus one per pair (see iqp_features)",
        )
    qc = QuantumCircuit(n_qubits, name="iqp_encoding")
    for _ in range(reps):
        for q in range(n_qubits):
            qc.h(q)
            qc.rz(x[q], q)
        for k, (i, j) in enumerate(pairs):
            qc.rzz(x[n_qubits + k], i, j)
    return qc


def iqp_features(x: torch.Tensor, n_qubits: int, pairs: Sequence[tuple[int, int]]) -> torch.Tensor:
    """Circuit inputs of :func:`iqp_encoding` from raw features ``x`` (B, n_features).

    Missing features (``n_features < n_qubits``) are zero. Differentiable.

    Example:
        >>> iqp_features(torch.tensor([[2.0, 3.0]]), 2, [(0, 1)]).tolist()
        [[2.0, 3.0, 6.0]]
    """
    x = _pad(x, n_qubits)
    if not pairs:
        return x
    i = torch.tensor([p[0] for p in pairs])
    j = torch.tensor([p[1] for p in pairs])
    return torch.cat([x, x[:, i] * x[:, j]], dim=1)


def _pad(x: torch.Tensor, width: int) -> torch.Tensor:
    if x.ndim != 2:
        raise ConfigError(f"features must be 2-D (batch, features), got shape {tuple(x.shape)}")
    if x.shape[1] > width:
        raise ConfigError(f"got {x.shape[1]} features, at most {width} fit")
    if x.shape[1] == width:
        return x
    return torch.nn.functional.pad(x, (0, width - x.shape[1]))
