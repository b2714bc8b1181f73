"""What the quantum cloud actually executed for a tenant's jobs: bound, transpiled circuits.

:class:`ExecutedJobs` is an observing :class:`~qmlsec.cloud.providers.hooks.ProviderHook`
(``on_result``). For every finished job it keeps the job, its result and the
:class:`~qmlsec.cloud.transpile.TranspiledCircuit` the provider ran: the entry of the
cloud's transpile cache whose report the result carries (the very object the backend
executed, so any ``transform_circuit`` change by the provider is in it). An
:class:`Executed` record binds each row of the job's parameter values into that
circuit, on the whole device or on its active physical qubits only, which is what
provider-side and physical-level attacks (encoding identification, power traces,
reset residue, readout crosstalk) work from.

Example:
    >>> import numpy as np
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.circuit import Parameter
    >>> from qiskit.quantum_info import SparsePauliOp
    >>> from qmlsec.cloud.providers import QuantumCloud, QuantumJob
    >>> qc = QuantumCircuit(1); _ = qc.rx(Parameter("a"), 0)
    >>> cloud = QuantumCloud(["fake_manila"], seed=0, noise_scale=0.0)
    >>> seen = ExecutedJobs(cloud); cloud.add_hook(seen)
    >>> _ = cloud.submit(QuantumJob("alice", qc, np.array([[0.3]]), (SparsePauliOp("Z"),), shots=16))
    >>> len(seen.jobs), seen.jobs[0].bound()[0].num_parameters
    (1, 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit

from qmlsec.attacks.access import installed, predict, serve
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import JobResult, QuantumJob
from qmlsec.cloud.transpile import TranspiledCircuit, TranspileReport
from qmlsec.exceptions import BackendError


def executed_circuit(cloud: Any, report: TranspileReport | None) -> TranspiledCircuit:
    """The transpiled circuit of the cloud's cache that ``report`` describes.

    Raises:
        BackendError: when the cloud holds no such circuit (evicted, or no report).
    """
    # the provider reads its own transpile cache: the backend hands back the report of
    # the cached object it ran, so identity finds that object
    found = cloud.cache.find(report) if report is not None else None
    if found is not None:
        return found
    raise BackendError(
        "the cloud's transpile cache holds no circuit for this job's report",
        hint="observe the job while it runs (on_result), before the cache evicts it",
    )


@dataclass(frozen=True)
class Executed:
    """One executed job: what was submitted, what came back, what the device ran."""

    job: QuantumJob
    result: JobResult
    transpiled: TranspiledCircuit

    @property
    def active(self) -> tuple[int, ...]:
        """Physical qubits the circuit touched, in increasing order."""
        return tuple(self.transpiled.report.active_qubits)

    @property
    def layout(self) -> tuple[int, ...]:
        """Final layout: logical qubit ``i`` ended on physical qubit ``layout[i]``."""
        return tuple(self.transpiled.report.final_layout)

    def bound(self, *, compact: bool = False) -> list[QuantumCircuit]:
        """One bound circuit per row of the job (whole device, or active qubits only)."""
        circuit = self.transpiled.compact if compact else self.transpiled.circuit
        names = [p.name for p in self.job.circuit.parameters]
        values = np.atleast_2d(np.asarray(self.job.parameter_values, dtype=float))
        column = {name: j for j, name in enumerate(names)}
        missing = [p.name for p in circuit.parameters if p.name not in column]
        if missing:
            raise BackendError(
                f"executed circuit has parameters {missing[:3]} the job does not bind",
                hint="a circuit transform renamed the job's parameters",
            )
        return [
            circuit.assign_parameters({p: float(row[column[p.name]]) for p in circuit.parameters})
            for row in values
        ]


class ExecutedJobs(ProviderHook):
    """``on_result``: keep every job with the transpiled circuit the cloud executed.

    Args:
        cloud: the :class:`~qmlsec.cloud.providers.QuantumCloud` carrying the hook.
        tenant: keep only this tenant's jobs (``None``: all).
    """

    def __init__(self, cloud: Any, tenant: str | None = None) -> None:
        self.cloud = cloud
        self.tenant = tenant
        self.jobs: list[Executed] = []

    def on_result(self, job: QuantumJob, result: JobResult) -> None:
        """Record the job, its result and the executed circuit."""
        if self.tenant is None or job.tenant == self.tenant:
            self.jobs.append(Executed(job, result, executed_circuit(self.cloud, result.transpile)))

    def bound(self, *, compact: bool = False) -> list[QuantumCircuit]:
        """Every recorded job's bound circuits, in submission order."""
        return [c for e in self.jobs for c in e.bound(compact=compact)]


def observe_queries(
    model: Any,
    cloud: Any,
    X: np.ndarray,
    *,
    device: str | None,
    shots: int | None,
    seed: int,
    per_row: bool = False,
) -> ExecutedJobs:
    """Serve ``model`` on ``cloud``, have it answer ``X``, and keep what the cloud ran.

    One job for the whole batch, or one per row with ``per_row`` (as a low-latency
    endpoint sends them).
    """
    endpoint = serve(model, cloud, device=device, shots=shots, seed=seed)
    observer = ExecutedJobs(cloud)
    with installed(cloud, observer):
        for batch in [row[None, :] for row in X] if per_row else [X]:
            predict(endpoint, batch, seed=seed)
    return observer


__all__ = ["Executed", "ExecutedJobs", "executed_circuit", "observe_queries"]
