"""The one protocol every execution backend follows, and what it returns.

A backend takes a *logical* parameterised circuit, a batch of parameter rows
``(N, P)`` (columns in ``circuit.parameters`` order) and Pauli observables, transpiles
once (cached), executes all rows in one simulator call and returns logical-qubit
results. Implementations: :class:`~qmlsec.cloud.backends.aer.AerBackend`,
:class:`~qmlsec.cloud.backends.device.DeviceBackend`; the fast engine plugs in as a
third one through :func:`~qmlsec.cloud.backends.factory.register_backend`.

Example:
    >>> import numpy as np
    >>> from qiskit import QuantumCircuit
    >>> check_parameter_values(QuantumCircuit(1), np.zeros((3, 0))).shape
    (3, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qmlsec.cloud.backends.tail import ClassicalTail
from qmlsec.cloud.tenancy import CoJob
from qmlsec.cloud.transpile import TranspileReport
from qmlsec.exceptions import ConfigError


@dataclass(frozen=True)
class BackendProperties:
    """What a backend is: size, topology, basis, noise summary and simulator method."""

    name: str
    num_qubits: int
    coupling_map: tuple[tuple[int, int], ...]
    basis_gates: tuple[str, ...]
    noise: dict[str, Any]
    method: str
    device: str

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable record."""
        return {
            "name": self.name,
            "num_qubits": self.num_qubits,
            "num_edges": len(self.coupling_map),
            "basis_gates": list(self.basis_gates),
            "noise": dict(self.noise),
            "method": self.method,
            "device": self.device,
        }


@dataclass
class BackendStats:
    """Counters a backend keeps: simulator calls, circuits and shots executed."""

    executor_calls: int = 0
    circuits: int = 0
    shots: int = 0


@dataclass(frozen=True)
class ExecutionResult:
    """One batch execution: per-sample results plus how it ran.

    ``expectations`` is ``(N, n_obs)``; ``counts`` (shot runs) holds one dict per sample
    and measurement basis (``counts[g][i]``, keys are logical bitstrings, qubit 0 last).
    """

    expectations: np.ndarray
    transpile: TranspileReport
    method: str
    shots: int | None
    seed: int
    circuits: int
    wall_s: float
    counts: list[list[dict[str, int]]] | None = None
    bases: tuple[str, ...] = ()
    co_jobs: tuple[CoJob, ...] = field(default=())
    metadata: dict[str, Any] = field(default_factory=dict)
    """What a primitive reported about its job (primitive, session, job id, backend)."""
    classical_tail: ClassicalTail | None = None
    """The circuit's final CNOT/SWAP network, applied to the measured bits instead of
    executed (:mod:`qmlsec.cloud.backends.tail`); None when all of it ran."""


@runtime_checkable
class Backend(Protocol):
    """Executes batches of a logical parameterised circuit.

    ``run`` is the full form; ``expectations``, ``counts`` and ``probabilities`` are the
    everyday views. ``co_jobs`` passes the jobs co-scheduled beside this one (noise
    contributors such as crosstalk may use them).
    """

    @property
    def properties(self) -> BackendProperties:
        """Static description of the backend."""
        ...

    def run(
        self,
        circuit: QuantumCircuit,
        parameter_values: np.ndarray,
        observables: Sequence[SparsePauliOp],
        *,
        shots: int | None = None,
        seed: int = 0,
        co_jobs: Sequence[CoJob] = (),
    ) -> ExecutionResult:
        """Execute all rows of ``parameter_values`` in one simulator call."""
        ...

    def expectations(
        self,
        circuit: QuantumCircuit,
        parameter_values: np.ndarray,
        observables: Sequence[SparsePauliOp],
        *,
        shots: int | None = None,
        seed: int = 0,
        co_jobs: Sequence[CoJob] = (),
    ) -> np.ndarray:
        """``(N, n_obs)`` expectation values (exact when ``shots`` is None)."""
        ...

    def counts(
        self, circuit: QuantumCircuit, parameter_values: np.ndarray, *, shots: int, seed: int = 0
    ) -> list[dict[str, int]]:
        """Computational-basis counts of the logical qubits, one dict per row."""
        ...

    def probabilities(
        self,
        circuit: QuantumCircuit,
        parameter_values: np.ndarray,
        *,
        shots: int | None = None,
        seed: int = 0,
    ) -> np.ndarray:
        """``(N, 2**n)`` outcome probabilities of the logical qubits."""
        ...


def check_parameter_values(
    circuit: QuantumCircuit, values: np.ndarray | Sequence[Any]
) -> np.ndarray:
    """Validate and return ``values`` as a float ``(N, P)`` array.

    Raises:
        ConfigError: wrong shape, parameter count or non-finite entries.
    """
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1 and circuit.num_parameters == arr.shape[0] and arr.shape[0] > 0:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != circuit.num_parameters or arr.shape[0] == 0:
        raise ConfigError(
            f"parameter_values must be (N>=1, {circuit.num_parameters}), got {arr.shape}",
            hint="one row per sample, columns in circuit.parameters order",
        )
    if not np.all(np.isfinite(arr)):
        raise ConfigError("parameter_values contain NaN or inf", hint="check the inputs")
    return arr


def check_shots(shots: int | None) -> None:
    """Raise :class:`ConfigError` unless ``shots`` is None or a positive integer."""
    if shots is not None and (int(shots) != shots or shots < 1):
        raise ConfigError(f"shots must be a positive integer or None, got {shots}", hint="1024")
