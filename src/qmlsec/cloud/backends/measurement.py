"""Pauli observables from shots: measurement bases, basis rotations, parities.

Every Pauli term of every observable is assigned to a qubit-wise commuting group; each
group is one measured circuit (basis rotations then a measurement of every logical
qubit into clbit ``i``). Because clbit ``i`` always holds logical qubit ``i``, counts
need no layout bookkeeping after transpilation.

Example:
    >>> from qiskit.quantum_info import SparsePauliOp
    >>> groups = measurement_bases([SparsePauliOp("ZI"), SparsePauliOp("IX")], 2)
    >>> [g.basis for g in groups]
    ['ZX']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from qiskit import ClassicalRegister, QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qmlsec.cloud.transpile import basis_rotation
from qmlsec.exceptions import ConfigError


@dataclass
class MeasurementBasis:
    """A measurement basis (Qiskit label order: last char is qubit 0) and its terms.

    ``terms`` holds ``(observable index, coefficient, Z-mask)``: the term's value on a
    shot is ``coefficient * (-1) ** popcount(outcome & mask)``.
    """

    basis: str
    terms: list[tuple[int, complex, int]] = field(default_factory=list)


def _compatible(basis: str, label: str) -> bool:
    return all(b == "I" or p == "I" or b == p for b, p in zip(basis, label, strict=True))


def _merge(basis: str, label: str) -> str:
    return "".join(p if b == "I" else b for b, p in zip(basis, label, strict=True))


def measurement_bases(
    observables: Sequence[SparsePauliOp], num_qubits: int
) -> list[MeasurementBasis]:
    """Group all Pauli terms greedily into qubit-wise commuting bases.

    Raises:
        ConfigError: an observable's width differs from the circuit's.
    """
    groups: list[MeasurementBasis] = []
    for k, obs in enumerate(observables):
        if obs.num_qubits != num_qubits:
            raise ConfigError(
                f"observable {k} acts on {obs.num_qubits} qubits, circuit has {num_qubits}",
                hint="build observables with the circuit's qubit count",
            )
        for label, coeff in obs.to_list():
            mask = sum(1 << q for q, p in enumerate(reversed(label)) if p != "I")
            for group in groups:
                if _compatible(group.basis, label):
                    group.basis = _merge(group.basis, label)
                    group.terms.append((k, complex(coeff), mask))
                    break
            else:
                groups.append(MeasurementBasis(label, [(k, complex(coeff), mask)]))
    for group in groups:
        group.basis = group.basis.replace("I", "Z")
    return groups or [MeasurementBasis("Z" * num_qubits)]


def measured_circuit(circuit: QuantumCircuit, basis: str) -> QuantumCircuit:
    """``circuit`` with rotations into ``basis`` and logical qubit ``i`` measured into clbit ``i``.

    Example:
        >>> qc = measured_circuit(QuantumCircuit(2), "XZ")
        >>> qc.count_ops()["measure"], qc.count_ops()["h"]
        (2, 1)
    """
    out = circuit.remove_final_measurements(inplace=False) if circuit.num_clbits else circuit.copy()
    n = out.num_qubits
    for q, p in enumerate(reversed(basis)):
        if p in "XY":
            out.compose(basis_rotation(p), [q], inplace=True)
    creg = ClassicalRegister(n, "meas")
    out.add_register(creg)
    out.measure(range(n), creg)
    return out


def counts_to_arrays(counts: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes as integers (hex or binary keys accepted) and their counts."""
    keys = np.fromiter(
        (int(k, 16) if k.startswith("0x") else int(k.replace(" ", ""), 2) for k in counts),
        dtype=np.int64,
        count=len(counts),
    )
    return keys, np.fromiter(counts.values(), dtype=np.float64, count=len(counts))


def bit_marginals(counts: dict[str, int], width: int) -> np.ndarray:
    """``P(bit i = 1)`` for bits ``0..width-1`` (bit 0 is a key's last character).

    Example:
        >>> bit_marginals({"01": 3, "11": 1}, 2).tolist()
        [1.0, 0.25]
    """
    outcomes, weights = counts_to_arrays(counts)
    bits = (outcomes[:, None] >> np.arange(width)) & 1
    return (weights @ bits) / max(float(weights.sum()), 1.0)


def _parity(outcomes: np.ndarray, mask: int) -> np.ndarray:
    bits = outcomes & mask
    parity = np.zeros_like(bits)
    while np.any(bits):
        parity ^= bits & 1
        bits = bits >> 1
    return parity


def expectations_from_counts(
    counts: Sequence[Sequence[dict[str, int]]], bases: Sequence[MeasurementBasis], num_obs: int
) -> np.ndarray:
    """``counts[g][i]``: counts of basis ``g`` for sample ``i`` -> ``(N, num_obs)`` estimates."""
    n_samples = len(counts[0])
    out = np.zeros((n_samples, num_obs))
    for group, group_counts in zip(bases, counts, strict=True):
        for i, sample in enumerate(group_counts):
            outcomes, weights = counts_to_arrays(sample)
            probs = weights / weights.sum()
            for k, coeff, mask in group.terms:
                signs = 1.0 - 2.0 * _parity(outcomes, mask)
                out[i, k] += coeff.real * float(signs @ probs)
    return out
