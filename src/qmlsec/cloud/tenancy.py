"""Co-scheduled jobs: other tenants' work running on the same device at the same time.

A :class:`CoJob` records which physical qubits another job occupies while ours runs, so
that noise contributors (crosstalk) and attacks can condition on the neighbourhood.

Example:
    >>> job = CoJob(tenant="tenant-3", qubits=(5, 6), start_s=1.0, duration_s=0.2)
    >>> job.to_dict()["qubits"]
    [5, 6]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qiskit import QuantumCircuit


@dataclass(frozen=True)
class CoJob:
    """Another job on the device: who, on which physical qubits, when (simulated s).

    ``circuit`` is optional: a malicious co-tenant (e.g. a crosstalk attacker) supplies
    the circuit it runs; background tenants leave it ``None``.
    """

    tenant: str
    qubits: tuple[int, ...]
    start_s: float = 0.0
    duration_s: float = 0.0
    circuit: QuantumCircuit | None = None
    label: str = "background"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable record (the circuit as its name only)."""
        return {
            "tenant": self.tenant,
            "qubits": list(self.qubits),
            "start_s": self.start_s,
            "duration_s": self.duration_s,
            "circuit": None if self.circuit is None else self.circuit.name,
            "label": self.label,
        }
