"""Noise models: from a device's calibration (scaled) or from parts, plus contributors.

A :class:`DeviceNoise` is a list of :class:`NoiseTerm` on *physical* qubits. It is made
once per (device, scale) and turned into a small Aer ``NoiseModel`` for the qubits a
transpiled circuit actually uses (:meth:`DeviceNoise.noise_model`); a calibration's
terms are built only for those qubits, on first use, so a 127-qubit calibration does not
slow down an 8-qubit job.

**How ``scale`` works** (calibration noise, :func:`device_noise`). For a scale ``s >= 0``
every calibrated gate error ``e`` becomes ``s * e`` (Aer caps it at the physical
maximum ``d / (d + 1)``), every readout error ``p`` becomes ``min(s * p, 0.5)``
(symmetric assignment matrix), and relaxation times become ``T1 / s`` and ``T2 / s``
(``T2`` then truncated to ``2 T1`` by Aer). Gate durations are unchanged. Aer models
each gate as thermal relaxation over the gate time followed by depolarizing noise that
tops the infidelity up to the (scaled) calibrated error, exactly as
``NoiseModel.from_backend`` does; since the relaxation infidelity is ~``t / T1`` it also
scales by ``s`` to first order. ``s = 0`` yields no term at all: the run is noiseless.

**Idle qubits** (``delay`` instructions, which the transpiler's ALAP scheduling inserts
for every idle period of a circuit that has a delay or ``id``; see
:mod:`qmlsec.cloud.transpile`) relax thermally: each delay of length ``t`` on qubit
``q`` is followed by ``thermal_relaxation_error(T1_q, T2_q, t)`` with the (scaled)
calibrated ``T1``/``T2`` (``T2`` truncated to ``2 T1``), as Aer's
``NoiseModel.from_backend(thermal_relaxation=True)`` does with its
``RelaxationNoisePass``; a ``NoiseSpec`` with ``t1`` does the same with its uniform
times. The excited population of ``|1⟩`` after a delay ``t`` is therefore
``exp(-t/T1)`` before readout error.

Extra effects (crosstalk, injected faults) plug in as :class:`NoiseContributor` objects:
given a :class:`NoiseContext` (the transpiled circuit, the final layout, the physical
qubits in use and the jobs co-scheduled beside it) they return more terms.

Example:
    >>> from qmlsec.cloud.devices import get_device
    >>> noise = device_noise(get_device("fake_manila"), scale=0.5)
    >>> noise.scale, len(noise.terms) > 0
    (0.5, True)
    >>> device_noise(get_device("fake_manila"), scale=0.0).terms
    ()
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit
from qiskit.circuit import Delay
from qiskit.transpiler import InstructionProperties, QubitProperties, Target
from qiskit_aer.noise import (
    NoiseModel,
    QuantumError,
    ReadoutError,
    depolarizing_error,
    thermal_relaxation_error,
)
from qiskit_aer.noise.device import basic_device_gate_errors, basic_device_readout_errors
from qiskit_aer.noise.passes import RelaxationNoisePass

from qmlsec.cloud.devices import DeviceProfile
from qmlsec.cloud.tenancy import CoJob
from qmlsec.config import FrozenModel
from qmlsec.exceptions import ConfigError

VIRTUAL_GATES = frozenset({"rz", "u1", "p", "id", "delay", "barrier"})


@dataclass(frozen=True)
class NoiseTerm:
    """One error on given instructions and physical qubits (``qubits=None``: every qubit)."""

    error: QuantumError | ReadoutError
    instructions: tuple[str, ...] = ()
    qubits: tuple[int, ...] | None = None


@dataclass(frozen=True)
class NoiseContext:
    """What a contributor may condition on for one execution.

    ``layout`` maps each logical qubit to its physical qubit at the end of the circuit;
    ``active`` lists every physical qubit the transpiled circuit touches.
    """

    device: str
    circuit: QuantumCircuit
    layout: tuple[int, ...]
    active: tuple[int, ...]
    co_jobs: tuple[CoJob, ...] = ()


@runtime_checkable
class NoiseContributor(Protocol):
    """Adds noise terms for one execution (a crosstalk model, an injected fault...)."""

    def terms(self, context: NoiseContext) -> Sequence[NoiseTerm]:
        """Terms on physical qubits; only those on ``context.active`` take effect."""
        ...


class DeviceNoise:
    """Noise terms on physical qubits, turned into Aer noise models on demand.

    Terms come from two sources: ``terms`` given up front, and, for a device's
    calibration, a target read lazily: the calibration terms of a set of qubits are
    built the first time a job on those qubits asks for them (and kept), so an 8-qubit
    job on a 127-qubit device builds 8 qubits' errors, not 127.

    Example:
        >>> from qmlsec.cloud.devices import get_device
        >>> model = device_noise(get_device("fake_manila")).noise_model([0, 1])
        >>> sorted(model.noise_qubits)
        [0, 1]
    """

    def __init__(
        self,
        source: str,
        scale: float,
        terms: Sequence[NoiseTerm] = (),
        summary: dict[str, Any] | None = None,
        calibration: Target | None = None,
        idle: tuple[float, float] | None = None,
        dt: float | None = None,
    ) -> None:
        self.source = source
        self.scale = scale
        self.summary = dict(summary or {})
        self._fixed = tuple(terms)
        self._calibration = calibration
        self._idle = idle
        self._dt = dt
        self._built: dict[frozenset[int] | None, tuple[NoiseTerm, ...]] = {}
        self._models: dict[tuple[int, ...] | None, NoiseModel | None] = {}

    def __repr__(self) -> str:
        return f"DeviceNoise(source={self.source!r}, scale={self.scale})"

    @property
    def terms(self) -> tuple[NoiseTerm, ...]:
        """Every term, on every qubit (builds the whole calibration once)."""
        return self.terms_on(None)

    def terms_on(self, qubits: Sequence[int] | None) -> tuple[NoiseTerm, ...]:
        """The terms that act on ``qubits`` only (all terms when None)."""
        if self._calibration is None:
            return self._fixed
        key = None if qubits is None else frozenset(int(q) for q in qubits)
        if key not in self._built:
            self._built[key] = self._fixed + _calibration_terms(self._calibration, self.scale, key)
        return self._built[key]

    @property
    def is_noiseless(self) -> bool:
        """True when there is nothing to add (e.g. ``scale == 0``)."""
        return not self._fixed and self._calibration is None and self._idle is None

    def relaxation_times(self, qubits: Sequence[int]) -> tuple[list[float], list[float]]:
        """Scaled ``(T1, T2)`` in seconds of ``qubits`` (``inf``: no relaxation known)."""
        if self._idle is not None:
            t1, t2 = self._idle
            return [t1] * len(qubits), [t2] * len(qubits)
        props = self._calibration.qubit_properties if self._calibration is not None else None
        t1s: list[float] = []
        t2s: list[float] = []
        for q in qubits:
            prop = props[q] if props is not None and q < len(props) else None
            q_t1 = float(prop.t1) if prop is not None and prop.t1 else None
            q_t2 = float(prop.t2) if prop is not None and prop.t2 else None
            t1s.append(np.inf if q_t1 is None or self.scale == 0 else q_t1 / self.scale)
            t2s.append(np.inf if q_t2 is None or self.scale == 0 else q_t2 / self.scale)
        t2s = [min(b, 2 * a) for a, b in zip(t1s, t2s, strict=True)]
        return t1s, t2s

    def idle_pass(self, qubits: Sequence[int]) -> RelaxationNoisePass | None:
        """Thermal relaxation over every ``delay`` on ``qubits`` (renumbered ``0..k-1``)."""
        if self.scale == 0 or (self._calibration is None and self._idle is None):
            return None
        t1s, t2s = self.relaxation_times(qubits)
        if all(np.isinf(t1s)) and all(np.isinf(t2s)):
            return None
        dt = self._calibration.dt if self._calibration is not None else self._dt
        return RelaxationNoisePass(t1s=t1s, t2s=t2s, dt=dt, op_types=Delay)

    def noise_model(
        self, qubits: Sequence[int] | None = None, extra: Sequence[NoiseTerm] = ()
    ) -> NoiseModel | None:
        """An Aer noise model; with ``qubits`` only for them, renumbered ``0..k-1``.

        Returns ``None`` when no term applies (a noiseless run). Without ``extra`` terms
        the model is built once per qubit tuple and shared (Aer only reads it): do not
        modify it.
        """
        key = None if qubits is None else tuple(int(q) for q in qubits)
        if not extra and key in self._models:
            return self._models[key]
        model = self._build_model(qubits, extra)
        if not extra:
            self._models[key] = model
        return model

    def _build_model(
        self, qubits: Sequence[int] | None, extra: Sequence[NoiseTerm]
    ) -> NoiseModel | None:
        index = None if qubits is None else {q: i for i, q in enumerate(qubits)}
        model = NoiseModel()
        added = False
        for term in (*self.terms_on(qubits), *extra):
            if term.qubits is not None and index is not None:
                if not set(term.qubits) <= index.keys():
                    continue
                mapped: tuple[int, ...] | None = tuple(index[q] for q in term.qubits)
            else:
                mapped = term.qubits
            _add(model, term, mapped)
            added = True
        n = self._calibration.num_qubits if self._calibration is not None else None
        idle_qubits = list(qubits) if qubits is not None else (list(range(n)) if n else None)
        idle = self.idle_pass(idle_qubits) if idle_qubits is not None else None
        if idle is not None:  # Aer runs it on circuits with delays (as from_backend does)
            model._custom_noise_passes.append(idle)  # noqa: SLF001
            added = True
        return model if added else None


def _calibration_terms(
    target: Target, scale: float, qubits: frozenset[int] | None
) -> tuple[NoiseTerm, ...]:
    """Aer's gate and readout errors of ``target`` scaled, on ``qubits`` (all when None)."""
    target = _scaled_target(target, scale, qubits)
    terms = [
        NoiseTerm(err, (name,), tuple(q))
        for name, q, err in basic_device_gate_errors(target=target)
    ]
    terms += [NoiseTerm(err, (), tuple(q)) for q, err in basic_device_readout_errors(target=target)]
    return tuple(terms)


def _add(model: NoiseModel, term: NoiseTerm, qubits: tuple[int, ...] | None) -> None:
    if isinstance(term.error, ReadoutError):
        if qubits is None:
            model.add_all_qubit_readout_error(term.error, warnings=False)
        else:
            model.add_readout_error(term.error, qubits, warnings=False)
    elif qubits is None:
        model.add_all_qubit_quantum_error(term.error, list(term.instructions), warnings=False)
    else:
        model.add_quantum_error(term.error, list(term.instructions), qubits, warnings=False)


def _scaled_target(target: Target, scale: float, keep: frozenset[int] | None = None) -> Target:
    """``target`` with errors scaled by ``scale``, restricted to the qubits ``keep``."""

    def qprop(q: QubitProperties | None) -> QubitProperties | None:
        if q is None:
            return None
        return QubitProperties(
            t1=None if q.t1 is None else q.t1 / scale,
            t2=None if q.t2 is None else q.t2 / scale,
            frequency=q.frequency,
        )

    qprops = [qprop(q) for q in target.qubit_properties] if target.qubit_properties else None
    scaled = Target(num_qubits=target.num_qubits, dt=target.dt, qubit_properties=qprops)
    for name, props in target.items():
        if not props or name == "delay":
            continue
        op = target.operation_from_name(name)
        if isinstance(op, type):  # variadic control flow: no calibration
            continue
        cap = 0.5 if name == "measure" else 1.0
        kept = {
            qargs: InstructionProperties(
                duration=p.duration,
                error=None if p.error is None else min(cap, p.error * scale),
            )
            for qargs, p in props.items()
            if p is not None and (keep is None or (qargs is not None and set(qargs) <= keep))
        }
        if kept or keep is None:
            scaled.add_instruction(op, kept, name=name)
    return scaled


@functools.lru_cache(maxsize=32)
def device_noise(device: DeviceProfile, scale: float = 1.0) -> DeviceNoise:
    """Calibration noise of ``device`` scaled by ``scale`` (see the module docstring).

    Raises:
        ConfigError: negative scale, or the ideal device.
    """
    if scale < 0:
        raise ConfigError(f"noise scale must be >= 0, got {scale}", hint="use 0 for noiseless")
    if device.is_ideal:
        raise ConfigError("the ideal device has no calibration", hint="pick a fake_* device")
    summary = {
        "source": device.name,
        "scale": scale,
        "median_error_1q": _scaled(device.median_error_1q, scale),
        "median_error_2q": _scaled(device.median_error_2q, scale),
        "median_readout_error": _scaled(device.median_readout_error, scale),
    }
    if scale == 0:
        return DeviceNoise(device.name, 0.0, (), summary)
    return DeviceNoise(device.name, float(scale), (), summary, calibration=device.backend.target)


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


class NoiseSpec(FrozenModel):
    """Noise built from parts, applied identically to every qubit.

    Times in seconds. ``scale`` multiplies the probabilities and divides T1/T2. With
    ``t1`` set, scheduled idles (delays, in units of ``dt``) relax with ``t1``/``t2``.

    Example:
        >>> spec = NoiseSpec(depolarizing_1q=1e-3, depolarizing_2q=1e-2, readout_error=0.02)
        >>> noise = noise_from_parts(spec)
        >>> len(noise.terms)
        3
    """

    depolarizing_1q: float = Field(default=0.0, ge=0, le=1)
    depolarizing_2q: float = Field(default=0.0, ge=0, le=1)
    t1: float | None = Field(default=None, gt=0)
    t2: float | None = Field(default=None, gt=0)
    gate_time_1q: float = Field(default=35e-9, ge=0)
    gate_time_2q: float = Field(default=300e-9, ge=0)
    readout_error: float = Field(default=0.0, ge=0, le=0.5)
    scale: float = Field(default=1.0, ge=0)
    dt: float = Field(default=2.0e-9 / 9, gt=0)
    """Sample time of the scheduled circuits' delays (IBM devices: 2/9 ns)."""
    gates_1q: tuple[str, ...] = ("sx", "x", "h", "ry", "rx", "u", "u2", "u3")
    gates_2q: tuple[str, ...] = ("cx", "cz", "ecr")


def noise_from_parts(spec: NoiseSpec) -> DeviceNoise:
    """Depolarizing + thermal relaxation per gate and symmetric readout error, on all qubits."""
    s = spec.scale
    terms: list[NoiseTerm] = []
    for n_q, p, gate_time, gates in (
        (1, spec.depolarizing_1q, spec.gate_time_1q, spec.gates_1q),
        (2, spec.depolarizing_2q, spec.gate_time_2q, spec.gates_2q),
    ):
        error: QuantumError | None = depolarizing_error(min(1.0, p * s), n_q) if p * s else None
        if spec.t1 is not None and s > 0 and gate_time > 0:
            t1 = spec.t1 / s
            t2 = min(spec.t2 / s if spec.t2 is not None else 2 * t1, 2 * t1)
            relax = thermal_relaxation_error(t1, t2, gate_time)
            relax = relax if n_q == 1 else relax.expand(relax)
            error = relax if error is None else error.compose(relax)
        if error is not None:
            terms.append(NoiseTerm(error, gates))
    ro = min(0.5, spec.readout_error * s)
    if ro > 0:
        terms.append(NoiseTerm(ReadoutError([[1 - ro, ro], [ro, 1 - ro]])))
    summary = spec.model_dump() | {"source": "parts"}
    idle = None
    if spec.t1 is not None and s > 0:
        t1 = spec.t1 / s
        idle = (t1, min(spec.t2 / s if spec.t2 is not None else 2 * t1, 2 * t1))
    return DeviceNoise("parts", s, tuple(terms), summary, idle=idle, dt=spec.dt)
