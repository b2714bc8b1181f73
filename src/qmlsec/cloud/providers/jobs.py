"""What a tenant submits to a quantum cloud and what comes back.

Example:
    >>> import numpy as np
    >>> from qiskit import QuantumCircuit
    >>> job = QuantumJob(tenant="alice", circuit=QuantumCircuit(1), parameter_values=np.zeros((2, 0)))
    >>> job.num_samples, job.purpose
    (2, 'forward')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qmlsec.cloud.backends.tail import ClassicalTail, readout_qubits
from qmlsec.cloud.devices import DeviceProfile
from qmlsec.cloud.tenancy import CoJob
from qmlsec.cloud.transpile import TranspileReport
from qmlsec.exceptions import BackendError


@dataclass(frozen=True)
class QuantumJob:
    """A batch of one logical parameterised circuit.

    ``parameter_values`` is ``(N, P)`` in ``circuit.parameters`` order; ``shots=None``
    asks for exact expectations. ``submitter`` (a ledger party) and ``submitter_trust``
    say who hands the job over and who receives the results. ``seed`` drives the shots.
    """

    tenant: str
    circuit: QuantumCircuit
    parameter_values: np.ndarray
    observables: tuple[SparsePauliOp, ...] = ()
    shots: int | None = 1024
    requested_device: str | None = None
    purpose: str = "forward"
    step: str = "execute"
    submitter: str = "classical_cloud"
    submitter_trust: str = "trusted"
    seed: int = 0
    job_id: str = ""

    @property
    def num_samples(self) -> int:
        """Rows in the batch."""
        return int(np.asarray(self.parameter_values).shape[0])


@dataclass(frozen=True)
class Placement:
    """Where a job runs: device, final layout (logical -> physical), active and neighbour qubits."""

    device: DeviceProfile
    layout: tuple[int, ...]
    active: tuple[int, ...]
    neighbours: tuple[int, ...]


@dataclass(frozen=True)
class JobResult:
    """Outcome of a job: values plus where, when (simulated s) and at what cost."""

    job_id: str
    tenant: str
    expectations: np.ndarray
    device: str
    transpile: TranspileReport | None
    queue_wait_s: float
    delay_s: float
    submitted_at: float
    started_at: float
    finished_at: float
    qpu_seconds: float
    price_usd: float
    circuits: int
    shots: int | None
    wall_s: float
    method: str = ""
    counts: list[list[dict[str, int]]] | None = None
    co_jobs: tuple[CoJob, ...] = ()
    tampered: tuple[str, ...] = field(default=())
    primitive: dict[str, Any] | None = None
    """The primitive job's metadata when a Qiskit primitive executed it."""
    classical_tail: ClassicalTail | None = None
    """The circuit's final CNOT/SWAP network when it ran on the measured bits, not the
    device (:mod:`qmlsec.cloud.backends.tail`): ``counts`` are then its logical outcomes."""

    def readout_qubits(self) -> list[tuple[int, ...]]:
        """Per logical qubit, the physical qubits whose measured bits' parity is its
        outcome (:func:`~qmlsec.cloud.backends.tail.readout_qubits`); needs ``transpile``."""
        if self.transpile is None:
            raise BackendError(f"job {self.job_id} carries no transpile report")
        return readout_qubits(self.transpile.final_layout, self.classical_tail)

    def measured_counts(self) -> list[list[dict[str, int]]] | None:
        """``counts`` as the device read them: with a classical tail, each logical outcome
        mapped back to the measured bits (bit ``q`` read where the executed circuit left
        logical qubit ``q``, ``transpile.final_layout[q]``)."""
        if self.counts is None or self.classical_tail is None:
            return self.counts
        back = self.classical_tail.inverse()
        return [[back.counts(c) for c in group] for group in self.counts]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (expectations as nested lists, no counts)."""
        return {
            "job_id": self.job_id,
            "tenant": self.tenant,
            "expectations": self.expectations.tolist(),
            "device": self.device,
            "transpile": None if self.transpile is None else self.transpile.to_dict(),
            "queue_wait_s": self.queue_wait_s,
            "delay_s": self.delay_s,
            "submitted_at": self.submitted_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "qpu_seconds": self.qpu_seconds,
            "price_usd": self.price_usd,
            "circuits": self.circuits,
            "shots": self.shots,
            "wall_s": self.wall_s,
            "method": self.method,
            "co_jobs": [c.to_dict() for c in self.co_jobs],
            "tampered": list(self.tampered),
            "primitive": self.primitive,
            "classical_tail": None if self.classical_tail is None else {
                "rows": list(self.classical_tail.rows), "gates": self.classical_tail.gates},
        }  # fmt: skip
