"""A backend that executes through a Qiskit V2 primitive (Aer, IBM Runtime, Braket).

:class:`PrimitiveBackend` keeps the :class:`~qmlsec.cloud.backends.aer.AerBackend`
contract and its transpilation (one cached transpilation per measurement basis, on the
device the provider allocated, so placement and execution agree), and hands execution
to a :class:`~qmlsec.cloud.primitives.PrimitiveRunner`:

- with shots, every measurement basis of every parameter row is one PUB of one sampler
  job (``BaseSamplerV2``); counts come back per row from the ``meas`` register (logical
  qubit ``i`` in clbit ``i``, so no layout bookkeeping) and Pauli expectations are
  estimated from them as on the builtin backends;
- exact expectations (``shots=None``, ``aer`` only) are one ``EstimatorV2`` job with
  the observables laid out on the transpiled circuit's physical qubits.

For ``aer`` the circuit runs on its active physical qubits with the device's calibration
noise (scaled by ``noise_scale``) sliced to them; the IBM Runtime primitives get the
full-width ISA circuit and run it with the fake device's own calibration (local mode) or
on the hardware; Braket's local simulator is noiseless. Co-tenancy noise contributors
are not applied here (the quantum cloud keeps the builtin backend when it has any).

Example:
    >>> import numpy as np
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.circuit import Parameter
    >>> from qiskit.quantum_info import SparsePauliOp
    >>> from qmlsec.cloud.primitives import PrimitiveSettings, open_runner
    >>> from qmlsec.cloud.devices import get_device
    >>> qc = QuantumCircuit(1); _ = qc.ry(Parameter("a"), 0)
    >>> be = PrimitiveBackend(get_device("ideal"), open_runner(PrimitiveSettings(name="aer"), get_device("ideal")))
    >>> be.expectations(qc, np.array([[0.0], [np.pi]]), [SparsePauliOp("Z")]).round(6).ravel().tolist()
    [1.0, -1.0]
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp

from qmlsec.cloud.backends.aer import AerBackend
from qmlsec.cloud.backends.base import ExecutionResult, check_parameter_values, check_shots
from qmlsec.cloud.backends.measurement import expectations_from_counts, measurement_bases
from qmlsec.cloud.devices import DeviceProfile, profile_from_backend
from qmlsec.cloud.noise import device_noise
from qmlsec.cloud.primitives import PrimitiveRunner
from qmlsec.cloud.tenancy import CoJob
from qmlsec.cloud.transpile import TranspileCache, TranspiledCircuit
from qmlsec.config import derive_seed
from qmlsec.exceptions import BackendError

REGISTER = "meas"


class PrimitiveBackend(AerBackend):
    """Execution of logical circuits through a primitive runner.

    Args:
        device: the device the provider allocated (its topology is transpiled for).
        runner: the primitive for that device (:func:`~qmlsec.cloud.primitives.open_runner`).
        noise_scale: ``aer`` only: the calibration-noise scale (1: the snapshot).
        optimization_level, seed, cache, layout: as for :class:`AerBackend`.
    """

    def __init__(
        self,
        device: DeviceProfile,
        runner: PrimitiveRunner,
        *,
        noise_scale: float = 1.0,
        optimization_level: int = 1,
        seed: int = 0,
        cache: TranspileCache | None = None,
        layout: str = "preset",
    ) -> None:
        if runner.name == "ibm-runtime":  # transpile for the live backend's own target
            device = profile_from_backend(
                runner.target, kind="generic", factory=lambda: runner.target,
                family="IBM Quantum", notes=("live backend of a saved IBM Quantum account",),
            )  # fmt: skip
        noisy = runner.name == "aer" and not device.is_ideal and noise_scale > 0
        super().__init__(
            noise=device_noise(device, float(noise_scale)) if noisy else None,
            device=device, optimization_level=optimization_level, seed=seed, cache=cache,
            layout=layout, classical_tail=False,  # a primitive executes the whole circuit
        )  # fmt: skip
        self.runner = runner
        self._last_method = f"primitive:{runner.name}"

    @property
    def properties(self) -> Any:
        """As :class:`AerBackend`'s, named after the primitive."""
        props = super().properties
        return type(props)(**{**props.__dict__, "name": f"{self.runner.name}:{self.device.name}",
                              "method": f"primitive:{self.runner.name}"})  # fmt: skip

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
        """Execute every row as one primitive job and return logical-qubit results."""
        start = time.perf_counter()
        values = check_parameter_values(circuit, parameter_values)
        check_shots(shots)
        groups = measurement_bases(observables, circuit.num_qubits)
        tcs = self.plan(circuit, observables, shots)
        sim_seed = derive_seed(seed, "simulator")
        counts = None
        if shots is None:
            exp, meta = self._estimate(circuit, values, observables, tcs[0], sim_seed)
        else:
            counts, meta = self._sample(circuit, values, tcs, shots, sim_seed)
            exp = (
                expectations_from_counts(counts, groups, len(observables))
                if observables
                else np.zeros((len(values), 0))
            )
        return ExecutionResult(
            expectations=np.asarray(exp, dtype=np.float64).reshape(len(values), len(observables)),
            transpile=tcs[0].report, method=f"primitive:{self.runner.name}", shots=shots,
            seed=seed, circuits=len(values) * len(tcs), wall_s=time.perf_counter() - start,
            counts=counts, bases=tuple(g.basis for g in groups) if shots else (),
            co_jobs=tuple(co_jobs), metadata=meta,
        )  # fmt: skip

    # -- internals ------------------------------------------------------------------------
    def _circuits(self, tcs: list[TranspiledCircuit]) -> tuple[list[QuantumCircuit], Any]:
        """What the primitive runs, and the noise model (``aer``: compacted, sliced)."""
        if self.runner.name != "aer":
            return [tc.circuit for tc in tcs], None
        circuits, active = self._compacted(tcs)
        model = self.noise.noise_model(active) if self.noise is not None else None
        return circuits, model

    def _bindings(self, logical: QuantumCircuit, circuit: QuantumCircuit, values: np.ndarray):
        column = {p.name: j for j, p in enumerate(logical.parameters)}
        return values[:, [column[p.name] for p in circuit.parameters]]

    def _sample(
        self,
        logical: QuantumCircuit,
        values: np.ndarray,
        tcs: list[TranspiledCircuit],
        shots: int,
        seed: int,
    ) -> tuple[list[list[dict[str, int]]], dict[str, Any]]:
        circuits, noise_model = self._circuits(tcs)
        n = len(values)
        pubs: list[Any] = []
        for c in circuits:
            if c.num_parameters:
                pubs.append((c, self._bindings(logical, c, values)))
            else:  # parameter-free: one PUB per row
                pubs.extend((c,) for _ in range(n))
        result, meta = self.runner.sample(pubs, shots=shots, seed=seed, noise_model=noise_model)
        width = logical.num_qubits
        counts: list[list[dict[str, int]]] = []
        k = 0
        for c in circuits:
            rows: list[dict[str, int]] = []
            if c.num_parameters:
                bits = _register(result[k])
                rows = [_logical(bits.get_counts(i), width) for i in range(n)]
                k += 1
            else:
                for _ in range(n):
                    rows.append(_logical(_register(result[k]).get_counts(), width))
                    k += 1
            counts.append(rows)
        self.stats.executor_calls += 1
        self.stats.circuits += n * len(circuits)
        self.stats.shots += shots * n * len(circuits)
        return counts, meta

    def _estimate(
        self,
        logical: QuantumCircuit,
        values: np.ndarray,
        observables: Sequence[SparsePauliOp],
        tc: TranspiledCircuit,
        seed: int,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        (circuit,), noise_model = self._circuits([tc])
        if not observables:
            return np.zeros((len(values), 0)), {"primitive": self.runner.name}
        if self.runner.name == "aer":
            _, active = self._compacted([tc])
            layout = [active.index(p) for p in tc.report.final_layout]
        else:
            layout = list(tc.report.final_layout)
        laid = [obs.apply_layout(layout, num_qubits=circuit.num_qubits) for obs in observables]
        params = self._bindings(logical, circuit, values)[:, None, :]  # (N, 1, P)
        pub: tuple[Any, ...] = (circuit, [laid], params)  # observables (1, n_obs)
        if not circuit.num_parameters:
            pub = (circuit, laid)
        result, meta = self.runner.estimate([pub], seed=seed, noise_model=noise_model)
        evs = np.asarray(result[0].data.evs, dtype=np.float64)
        self.stats.executor_calls += 1
        self.stats.circuits += len(values)
        if not circuit.num_parameters:
            evs = np.tile(evs.reshape(1, -1), (len(values), 1))
        return evs.reshape(len(values), len(observables)), meta


def _register(pub_result: Any) -> Any:
    data = pub_result.data
    bits = getattr(data, REGISTER, None)
    if bits is None:
        raise BackendError(
            f"the primitive returned no {REGISTER!r} register", hint="report this with the circuit"
        )
    return bits


def _logical(counts: dict[str, int], width: int) -> dict[str, int]:
    """Counts keyed by ``width``-bit strings (qubit 0 last), as the builtin backends give."""
    out: dict[str, int] = {}
    for key, c in counts.items():
        bits = key.replace(" ", "")[-width:].zfill(width)
        out[bits] = out.get(bits, 0) + int(c)
    return out
