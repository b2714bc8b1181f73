"""Co-scheduled jobs: other tenants' work running on the same device at the same time.

A :class:`CoJob` records which physical qubits another job occupies while ours runs, so
that noise contributors (crosstalk) and attacks can condition on the neighbourhood.

**Who runs beside whom** (:func:`concurrent_with`). A provider that shares a device runs
two jobs at the same time only on disjoint physical qubits: a job that asks for a qubit
another job holds waits until that job is done, so it never overlaps it in time and
feels no crosstalk from it. This is the rule a provider's ``co_schedule`` decision
applies when it places a new job beside the jobs already running.

Example:
    >>> job = CoJob(tenant="tenant-3", qubits=(5, 6), start_s=1.0, duration_s=0.2)
    >>> job.to_dict()["qubits"]
    [5, 6]
    >>> [j.tenant for j in concurrent_with([7], [job])], concurrent_with([6], [job])
    (['tenant-3'], [])
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qiskit import QuantumCircuit


@dataclass(frozen=True)
class CoJob:
    """Another job on the device: who, on which physical qubits, when (simulated s).

    ``circuit`` is optional: a malicious co-tenant (e.g. a crosstalk attacker) supplies
    the circuit it runs, and a victim's job seen from a co-tenant's probe carries its
    own circuit (its two-qubit gates make it a crosstalk aggressor); background tenants
    leave it ``None``.
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


def concurrent_with(qubits: Iterable[int], running: Iterable[CoJob]) -> list[CoJob]:
    """The ``running`` jobs a new job on physical ``qubits`` executes beside.

    Only jobs on qubits disjoint from ``qubits`` overlap it in time (see the module
    docstring); a job sharing a qubit is waited for and is not returned.
    """
    wanted = {int(q) for q in qubits}
    return [job for job in running if not wanted & {int(q) for q in job.qubits}]
