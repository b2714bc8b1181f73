"""Qiskit Aer backend: transpile once, bind every row, one simulator call per batch.

The transpiled circuit is simulated on its active physical qubits only
(:func:`~qmlsec.cloud.transpile.compact_circuit`) with the matching slice of the noise
model. All ``N`` parameter rows (times the measurement bases) go to Aer in a single
``AerSimulator.run`` through ``parameter_binds``; ``stats.executor_calls`` counts those
calls. Exact expectations (``shots=None``) use ``save_expectation_value`` on the
physical qubits given by the final layout; shot runs measure logical qubit ``i`` into
clbit ``i`` so counts are already logical.

Method ``"automatic"``: noiseless -> statevector; noisy exact -> density matrix; noisy
with shots -> density matrix when ``2**active <= shots``, else statevector trajectories
with shot branching.

``classical_tail`` (on by default): with only diagonal observables (and for counts and
probabilities), the circuit's final CNOT/SWAP network is not executed but applied to
the measured bits (:mod:`qmlsec.cloud.backends.tail`): the same distribution, fewer
two-qubit gates on the device. Results then describe the executed body (``transpile``)
and carry the network's map (``ExecutionResult.classical_tail``); counts are the whole
circuit's.

Example:
    >>> import numpy as np
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.circuit import Parameter
    >>> from qiskit.quantum_info import SparsePauliOp
    >>> qc = QuantumCircuit(1)
    >>> _ = qc.ry(Parameter("a"), 0)
    >>> be = AerBackend()
    >>> be.expectations(qc, np.array([[0.0], [np.pi]]), [SparsePauliOp("Z")]).round(6).ravel().tolist()
    [1.0, -1.0]
"""

from __future__ import annotations

import dataclasses
import time
import weakref
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import SparsePauliOp
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel

from qmlsec.cloud.backends.base import (
    BackendProperties,
    BackendStats,
    ExecutionResult,
    check_parameter_values,
    check_shots,
)
from qmlsec.cloud.backends.measurement import (
    expectations_from_counts,
    measured_circuit,
    measurement_bases,
)
from qmlsec.cloud.backends.tail import ClassicalTail, diagonal, split_tail
from qmlsec.cloud.devices import IDEAL_PROFILE, DeviceProfile, get_device
from qmlsec.cloud.noise import DeviceNoise, NoiseContext, NoiseContributor, NoiseTerm
from qmlsec.cloud.tenancy import CoJob
from qmlsec.cloud.transpile import (
    TranspileCache,
    TranspiledCircuit,
    compact_circuit,
    scheduling_of,
)
from qmlsec.config import derive_seed
from qmlsec.exceptions import BackendError, ConfigError

Method = Literal["statevector", "density_matrix", "automatic"]
_SEED_MOD = 2**31 - 1


class AerBackend:
    """Batched Aer execution of logical circuits, optionally on a device topology.

    Args:
        method: Aer method, or ``"automatic"`` (see module docstring).
        noise: a :class:`DeviceNoise` (sliced to the active qubits), a raw Aer
            ``NoiseModel`` on physical qubits (used as is), or None.
        device: profile or name to transpile for; None or ``"ideal"`` skips transpiling.
        optimization_level: preset pass-manager level 0..3.
        layout: ``preset``, ``noise_aware`` or ``auto`` (see :mod:`qmlsec.cloud.transpile`).
        seed: backend seed; the transpiler seed derives from it (per-call seeds drive
            the simulator, so batches with new seeds still hit the transpile cache).
        contributors: extra noise terms per execution (crosstalk...).
        cache: a shared :class:`TranspileCache` (a private one by default).
        classical_tail: run a final CNOT/SWAP network on the measured bits where the
            observables allow it (module docstring).
    """

    def __init__(
        self,
        *,
        method: Method = "automatic",
        noise: DeviceNoise | NoiseModel | None = None,
        device: DeviceProfile | str | None = None,
        optimization_level: int = 1,
        seed: int = 0,
        contributors: Sequence[NoiseContributor] = (),
        cache: TranspileCache | None = None,
        layout: str = "preset",
        classical_tail: bool = True,
    ) -> None:
        if method not in ("statevector", "density_matrix", "automatic"):
            raise ConfigError(
                f"unknown Aer method {method!r}", hint="statevector, density_matrix or automatic"
            )
        if contributors and not isinstance(noise, DeviceNoise | None):
            raise ConfigError(
                "noise contributors need DeviceNoise, not a raw NoiseModel",
                hint="use device_noise()",
            )
        self.method = method
        self.noise = noise
        self.device = get_device(device) if isinstance(device, str) else (device or IDEAL_PROFILE)
        self.optimization_level = optimization_level
        self.layout = layout
        self.classical_tail = classical_tail
        self.seed = seed
        self.contributors = tuple(contributors)
        self.cache = cache if cache is not None else TranspileCache()
        self.stats = BackendStats()
        self._compact: dict[tuple[Any, ...], QuantumCircuit] = {}

    @property
    def properties(self) -> BackendProperties:
        """Static description (device topology, noise summary, method)."""
        dev = self.device
        if isinstance(self.noise, DeviceNoise):
            noise = dict(self.noise.summary)
        else:
            noise = {"source": "none" if self.noise is None else "custom NoiseModel"}
        return BackendProperties(
            name=f"aer:{dev.name}",
            num_qubits=dev.num_qubits,
            coupling_map=dev.coupling_map,
            basis_gates=dev.basis_gates,
            noise=noise,
            method=self.method,
            device=dev.name,
        )

    # -- public views -------------------------------------------------------------
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
        """``(N, n_obs)`` expectation values; exact when ``shots`` is None."""
        return self.run(
            circuit, parameter_values, observables, shots=shots, seed=seed, co_jobs=co_jobs
        ).expectations

    def counts(
        self, circuit: QuantumCircuit, parameter_values: np.ndarray, *, shots: int, seed: int = 0
    ) -> list[dict[str, int]]:
        """Z-basis counts of the logical qubits (bitstrings, qubit 0 last), one per row."""
        if shots is None:
            raise ConfigError("counts need a shot count", hint="pass shots=1024")
        result = self.run(circuit, parameter_values, [], shots=shots, seed=seed)
        assert result.counts is not None
        return result.counts[0]

    def probabilities(
        self,
        circuit: QuantumCircuit,
        parameter_values: np.ndarray,
        *,
        shots: int | None = None,
        seed: int = 0,
    ) -> np.ndarray:
        """``(N, 2**n)`` probabilities (exact, or frequencies when ``shots`` is set)."""
        n = circuit.num_qubits
        if shots is not None:
            out = np.zeros((len(check_parameter_values(circuit, parameter_values)), 2**n))
            for i, sample in enumerate(
                self.counts(circuit, parameter_values, shots=shots, seed=seed)
            ):
                for key, c in sample.items():
                    out[i, int(key, 2)] = c / shots
            return out
        values = check_parameter_values(circuit, parameter_values)
        base = circuit.remove_final_measurements(inplace=False) if circuit.num_clbits else circuit
        split = self.split(base, [])
        tc = self.transpile(base if split is None else split[0])
        run_circ, active = self._compacted([tc])
        run_circ = run_circ[0].copy()
        run_circ.save_probabilities(
            [active.index(p) for p in tc.report.final_layout], label="probs"
        )
        result = self._execute([run_circ], circuit, values, None, seed, tc, active, ())
        probs = np.array([result.data(i)["probs"] for i in range(len(values))])
        return probs if split is None else split[1].probabilities(probs)

    # -- the full form ----------------------------------------------------------------
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
        """Execute every row in one Aer call and return logical-qubit results."""
        start = time.perf_counter()
        values = check_parameter_values(circuit, parameter_values)
        check_shots(shots)
        split = self.split(circuit, observables)
        if split is None:
            return self._run(circuit, values, observables, shots, seed, co_jobs, start)
        body, tail = split
        inner = self._run(body, values, [tail.observable(o) for o in observables],
                          shots, seed, co_jobs, start)  # fmt: skip
        return dataclasses.replace(
            inner,
            counts=None if inner.counts is None else [
                [tail.counts(c) for c in group] for group in inner.counts
            ],
            classical_tail=tail,
            wall_s=time.perf_counter() - start,
        )  # fmt: skip

    def _run(
        self,
        circuit: QuantumCircuit,
        values: np.ndarray,
        observables: Sequence[SparsePauliOp],
        shots: int | None,
        seed: int,
        co_jobs: Sequence[CoJob],
        start: float,
    ) -> ExecutionResult:
        """:meth:`run` on the circuit the device executes (the tail already split off)."""
        n_obs = len(observables)
        groups = measurement_bases(observables, circuit.num_qubits)  # validates widths
        counts: list[list[dict[str, int]]] | None = None
        bases: tuple[str, ...] = ()
        tcs = self._plan(circuit, observables, shots)
        if shots is None:
            circuits, active = self._compacted(tcs)
            run_circ = circuits[0].copy()
            phys = [active.index(p) for p in tcs[0].report.final_layout]
            for k, obs in enumerate(observables):
                run_circ.save_expectation_value(obs, phys, label=f"obs{k}")
            result = self._execute([run_circ], circuit, values, None, seed, tcs[0], active, co_jobs)
            exp = np.array(
                [
                    [float(np.real(result.data(i)[f"obs{k}"])) for k in range(n_obs)]
                    for i in range(len(values))
                ]
            )
        else:
            circuits, active = self._compacted(tcs)
            result = self._execute(circuits, circuit, values, shots, seed, tcs[0], active, co_jobs)
            n = circuit.num_qubits
            counts = [
                [
                    {
                        format(int(k, 16), f"0{n}b"): int(v)
                        for k, v in result.results[g * len(values) + i].data.counts.items()
                    }
                    for i in range(len(values))
                ]
                for g in range(len(groups))
            ]
            exp = (
                expectations_from_counts(counts, groups, n_obs)
                if n_obs
                else np.zeros((len(values), 0))
            )
            bases = tuple(g.basis for g in groups)
        return ExecutionResult(
            expectations=exp.reshape(len(values), n_obs),
            transpile=tcs[0].report,
            method=self._last_method,
            shots=shots,
            seed=seed,
            circuits=len(values) * len(tcs),
            wall_s=time.perf_counter() - start,
            counts=counts,
            bases=bases,
            co_jobs=tuple(co_jobs),
        )

    def plan(
        self,
        circuit: QuantumCircuit,
        observables: Sequence[SparsePauliOp],
        shots: int | None,
    ) -> list[TranspiledCircuit]:
        """The transpiled circuits :meth:`run` executes: one, or one per measurement basis.

        The first one's layout is where the job runs; the quantum cloud places and
        co-schedules by it (see ``QuantumCloud._place``), so placement and execution agree.
        """
        split = self.split(circuit, observables)
        if split is not None:
            circuit, observables = split[0], [split[1].observable(o) for o in observables]
        return self._plan(circuit, observables, shots)

    def _plan(
        self,
        circuit: QuantumCircuit,
        observables: Sequence[SparsePauliOp],
        shots: int | None,
    ) -> list[TranspiledCircuit]:
        """:meth:`plan` of the circuit the device executes (the tail already split off)."""
        base = circuit.remove_final_measurements(inplace=False) if circuit.num_clbits else circuit
        if shots is None:
            return [self.transpile(base)]
        groups = measurement_bases(observables, circuit.num_qubits)
        if self.layout == "preset" or self.device.is_ideal or scheduling_of(base) != "none":
            return [self.transpile(measured_circuit(circuit, g.basis)) for g in groups]
        # a layout search decides once, on the job's circuit; every basis runs there
        body = self.transpile(base)
        return [self.cache.measured(body, g.basis, self.device) for g in groups]

    def split(
        self, circuit: QuantumCircuit, observables: Sequence[SparsePauliOp]
    ) -> tuple[QuantumCircuit, ClassicalTail] | None:
        """The body this backend executes and the final network it applies classically,
        or None (``classical_tail`` off, a non-diagonal observable, a scheduled circuit)."""
        if not self.classical_tail:
            return None
        measurement_bases(observables, circuit.num_qubits)  # validates widths
        if not diagonal(observables):
            return None
        base = circuit.remove_final_measurements(inplace=False) if circuit.num_clbits else circuit
        if scheduling_of(base) != "none":
            return None
        return split_tail(base)

    # -- internals -------------------------------------------------------------------
    def transpile(self, circuit: QuantumCircuit) -> TranspiledCircuit:
        """The cached transpilation of a logical circuit for this backend's device."""
        return self.cache.transpile(
            circuit,
            self.device,
            optimization_level=self.optimization_level,
            seed=derive_seed(self.seed, "transpiler") % _SEED_MOD,
            layout=self.layout,
        )

    def _compacted(
        self, tcs: list[TranspiledCircuit]
    ) -> tuple[list[QuantumCircuit], tuple[int, ...]]:
        if isinstance(self.noise, NoiseModel):  # raw physical-qubit model: keep full width
            return [tc.circuit for tc in tcs], tuple(range(tcs[0].circuit.num_qubits))
        active = tuple(sorted(set().union(*(tc.report.active_qubits for tc in tcs))))
        out = []
        for tc in tcs:
            key = (tc.key, active)
            if key not in self._compact:
                self._compact[key] = compact_circuit(tc.circuit, active)
            out.append(self._compact[key])
        return out, active

    def _noise_model(
        self, tc: TranspiledCircuit, active: tuple[int, ...], co_jobs: Sequence[CoJob]
    ) -> NoiseModel | None:
        if isinstance(self.noise, NoiseModel) or (self.noise is None and not self.contributors):
            return self.noise
        base = self.noise if self.noise is not None else DeviceNoise("none", 0.0, ())
        extra: list[NoiseTerm] = []
        if self.contributors:
            ctx = NoiseContext(
                self.device.name, tc.circuit, tc.report.final_layout, active, tuple(co_jobs)
            )
            for contributor in self.contributors:
                extra.extend(contributor.terms(ctx))
        return base.noise_model(active, extra)

    def _resolve_method(self, noisy: bool, shots: int | None, n_active: int) -> str:
        if self.method != "automatic":
            if self.method == "statevector" and noisy and shots is None:
                raise BackendError(
                    "exact expectations under noise need the density-matrix method",
                    hint="use method='density_matrix' or 'automatic', or pass shots",
                )
            return self.method
        if not noisy:
            return "statevector"
        if shots is None or 2**n_active <= shots:
            return "density_matrix"
        return "statevector"

    def _execute(
        self,
        circuits: list[QuantumCircuit],
        logical: QuantumCircuit,
        values: np.ndarray,
        shots: int | None,
        seed: int,
        tc: TranspiledCircuit,
        active: tuple[int, ...],
        co_jobs: Sequence[CoJob],
    ) -> Any:
        noise_model = self._noise_model(tc, active, co_jobs)
        method = self._resolve_method(noise_model is not None, shots, len(active))
        options: dict[str, Any] = {"seed_simulator": derive_seed(seed, "simulator") % _SEED_MOD}
        # no shot branching: with it, qiskit-aer 0.18 gives different counts for the same
        # seed on noisy statevector runs (tests/cloud/test_backends.py checks this)
        if method == "density_matrix":  # measured: ~4x faster than binding in Python
            options["runtime_parameter_bind_enable"] = True
        # a model qmlsec built is never modified, so its serialised form is kept; a
        # caller's own NoiseModel may change between runs and is serialised each time
        simulator = AerSimulator if isinstance(self.noise, NoiseModel) else _Simulator
        sim = simulator(method=method, noise_model=noise_model, **options)
        column = {
            p.name: j for j, p in enumerate(logical.parameters)
        }  # by name: cached transpilations of equal structure share names
        n = len(values)
        run_list, binds = [], []
        for c in circuits:
            if c.num_parameters:
                run_list.append(c)
                binds.append({p: values[:, column[p.name]].tolist() for p in c.parameters})
            else:  # parameter-free (or all parameters optimised away): repeat per row
                run_list.extend([c] * n)
        kwargs: dict[str, Any] = {"shots": shots or 1}
        if binds:
            if len(binds) != len(run_list):
                raise BackendError(
                    "mixed parameterised and fixed circuits in one batch", hint="report this"
                )
            kwargs["parameter_binds"] = binds
        self._last_method = method
        result = sim.run(run_list, **kwargs).result()
        self.stats.executor_calls += 1
        self.stats.circuits += n * len(circuits)
        self.stats.shots += (shots or 0) * n * len(circuits)
        if not result.success:
            raise BackendError(
                f"Aer failed: {result.status}", hint="check the circuit and noise model"
            )
        return result


class _Serialized:
    """A noise model's serialised form, as Aer hands it to its simulator.

    Aer serialises the noise model on every run (``NoiseModel.to_dict``): about 20 ms for
    an 8-qubit device model, more than the simulation of a one-row job. A model is read
    only once built (shared models are never modified, see ``DeviceNoise.noise_model``),
    so its form is computed once and dropped with the model.
    """

    _forms: dict[int, dict[str, Any]] = {}

    def __init__(self, form: dict[str, Any]) -> None:
        self._form = form

    def to_dict(self, serializable: bool = False) -> dict[str, Any]:  # noqa: ARG002
        return self._form

    @classmethod
    def of(cls, model: NoiseModel) -> _Serialized:
        key = id(model)
        form = cls._forms.get(key)
        if form is None:
            form = model.to_dict(serializable=True)
            cls._forms[key] = form
            weakref.finalize(model, cls._forms.pop, key, None)
        return cls(form)


class _Simulator(AerSimulator):
    """``AerSimulator`` passing each noise model's serialised form, computed once."""

    def _execute_circuits(self, aer_circuits: Any, noise_model: Any, config: Any) -> Any:
        if isinstance(noise_model, NoiseModel):
            noise_model = _Serialized.of(noise_model)
        return super()._execute_circuits(aer_circuits, noise_model, config)
