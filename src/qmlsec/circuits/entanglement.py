"""Entangling patterns: which qubit pairs an entangling block couples.

Example:
    >>> from qmlsec.circuits.entanglement import entangling_pairs
    >>> entangling_pairs(3, "ring")
    [(0, 1), (1, 2), (2, 0)]
"""

from __future__ import annotations

from typing import Literal

from qmlsec.exceptions import ConfigError

Entanglement = Literal["linear", "ring", "full"]

#: Our pattern names mapped onto Qiskit's n-local ``entanglement`` strings.
QISKIT_ENTANGLEMENT: dict[str, str] = {"linear": "linear", "ring": "circular", "full": "full"}


def entangling_pairs(n_qubits: int, pattern: str) -> list[tuple[int, int]]:
    """Return the (control, target) pairs of one entangling block.

    Args:
        n_qubits: number of qubits.
        pattern: ``linear`` (nearest neighbours), ``ring`` (linear plus the wrap-around
            pair ``(n-1, 0)`` when ``n > 2``) or ``full`` (every pair ``i < j``).

    Returns:
        The pairs in application order.

    Example:
        >>> entangling_pairs(3, "full")
        [(0, 1), (0, 2), (1, 2)]
    """
    if pattern == "linear":
        return [(i, i + 1) for i in range(n_qubits - 1)]
    if pattern == "ring":
        pairs = [(i, i + 1) for i in range(n_qubits - 1)]
        return pairs + [(n_qubits - 1, 0)] if n_qubits > 2 else pairs
    if pattern == "full":
        return [(i, j) for i in range(n_qubits) for j in range(i + 1, n_qubits)]
    raise ConfigError(
        f"unknown entanglement pattern {pattern!r}", hint="use 'linear', 'ring' or 'full'"
    )
