"""Transpile and map: Qiskit preset pass managers with an LRU cache and a report.

A parameterised circuit is transpiled once per (structure hash, device, level, seed,
layout strategy) and bound afterwards for every batch. :class:`TranspileReport` gives the depth, the
two-qubit gate count, the swaps routing added, and the initial and final layouts
(logical qubit ``i`` -> physical qubit) and the estimated success probability (ESP:
the product of ``1 - error`` over the calibrated instructions and the final readouts).

**Layout strategies.** ``preset`` runs Qiskit's preset pass manager at the requested
level and seed. ``noise_aware`` (:mod:`qmlsec.cloud.layout_search`) also tries levels 2
and 3 over several derived seeds and routes within the best connected regions of as
many qubits as the circuit has, and keeps the candidate with the highest ESP that uses
no ancilla qubit (a larger noisy simulation costs far more than the gates it saves).
``auto`` (the default of :class:`~qmlsec.cloud.backends.DeviceBackend`) runs that
search but keeps the preset transpilation unless the search measurably wins
(:func:`qmlsec.cloud.layout_search.measurably_better`, margin :data:`AUTO_MARGIN`): a
circuit the preset places well keeps its placement, one it routes badly moves.

**Idles and scheduling.** A circuit with ``delay`` instructions (or ``id`` gates, each
turned into a delay of the device's single-qubit gate time on that qubit, as IBM
hardware executes ``id``) is scheduled as late as possible (``ALAP``, the default of
Qiskit's scheduling passes and of IBM's dynamical-decoupling tooling): the preset pass
manager's scheduling stage turns every delay into device ``dt`` units and pads every idle
period of the used qubits with delays. The simulators keep those delays and the noise
model relaxes each qubit over them (``T1``/``T2`` thermal relaxation from the
calibration, :mod:`qmlsec.cloud.noise`), so ``|1⟩`` survives a delay ``t`` with
probability ``exp(-t/T1)``. ``circuit.metadata["scheduling"]`` picks ``"alap"``,
``"asap"`` or ``"none"`` (no scheduling: delays are dropped, idles are noiseless);
without it a circuit is scheduled exactly when it has a delay or ``id`` (circuits
without idles transpile as before). Scheduled circuits always use the preset pass
manager (``noise_aware`` layout search is skipped for them).

**How swaps are counted.** Routing inserts ``swap`` instructions that survive until the
basis-translation stage turns them into native two-qubit gates. The pass manager's
callback records the number of ``swap`` instructions in the DAG after every pass;
``swaps_added`` is the peak of that count minus the swaps already in the input circuit
(never negative).

Example:
    >>> from qiskit import ClassicalRegister, QuantumCircuit
    >>> from qmlsec.cloud.devices import get_device
    >>> qc = QuantumCircuit(3)
    >>> _ = qc.h(0); _ = qc.cx(0, 1); _ = qc.cx(1, 2); _ = qc.cx(2, 0)
    >>> cache = TranspileCache()
    >>> out = cache.transpile(qc, get_device("generic_line_3"), optimization_level=1, seed=0)
    >>> out.report.swaps_added >= 1, cache.misses
    (True, 1)
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from qiskit import ClassicalRegister, QuantumCircuit
from qiskit.circuit import Delay
from qiskit.utils.units import apply_prefix

from qmlsec.cloud.devices import DeviceProfile
from qmlsec.cloud.layout_search import (
    estimated_success,
    noise_aware_transpile,
    preset_pass_manager,
)
from qmlsec.exceptions import BackendError, ConfigError

_IGNORED = frozenset({"barrier", "delay"})
LAYOUTS = ("preset", "noise_aware", "auto")
#: Relative ESP margin of the ``auto`` strategy
#: (:func:`qmlsec.cloud.layout_search.measurably_better`).
AUTO_MARGIN = 0.1
SCHEDULING = ("alap", "asap", "none")
Key = tuple[str, str, int, int, str]


@dataclass(frozen=True)
class TranspileReport:
    """What transpilation did to one logical circuit."""

    device: str
    optimization_level: int
    seed: int
    depth: int
    two_qubit_gates: int
    swaps_added: int
    initial_layout: tuple[int, ...]
    final_layout: tuple[int, ...]
    active_qubits: tuple[int, ...]
    ops: dict[str, int]
    layout: str = "preset"
    estimated_success: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable record."""
        return {
            "device": self.device,
            "optimization_level": self.optimization_level,
            "seed": self.seed,
            "depth": self.depth,
            "two_qubit_gates": self.two_qubit_gates,
            "swaps_added": self.swaps_added,
            "initial_layout": list(self.initial_layout),
            "final_layout": list(self.final_layout),
            "active_qubits": list(self.active_qubits),
            "ops": dict(self.ops),
            "layout": self.layout,
            "estimated_success": self.estimated_success,
        }


@dataclass(frozen=True)
class TranspiledCircuit:
    """A transpiled (still parameterised) circuit, its report and its cache key."""

    circuit: QuantumCircuit
    report: TranspileReport
    key: Key

    @functools.cached_property
    def compact(self) -> QuantumCircuit:
        """The circuit on its active physical qubits only (see :func:`compact_circuit`)."""
        return compact_circuit(self.circuit, self.report.active_qubits)


def compact_circuit(circuit: QuantumCircuit, qubits: tuple[int, ...]) -> QuantumCircuit:
    """``circuit`` restricted to physical ``qubits``, renumbered ``0..k-1`` in that order.

    Barriers are dropped (no effect on a simulator); delays on ``qubits`` are kept (the
    noise model relaxes qubits over them), delays elsewhere dropped; classical bits
    are kept. Simulating this instead of the full-device circuit keeps states and noise
    models small. Every other instruction must act on ``qubits`` only.

    Example:
        >>> qc = QuantumCircuit(5)
        >>> _ = qc.cx(3, 1)
        >>> small = compact_circuit(qc, (1, 3))
        >>> small.num_qubits, [small.find_bit(q).index for q in small.data[0].qubits]
        (2, [1, 0])
    """
    if qubits == tuple(range(circuit.num_qubits)):
        return circuit
    index = {q: i for i, q in enumerate(qubits)}
    out = QuantumCircuit(len(qubits), name=circuit.name)
    out.add_bits(circuit.clbits)
    for creg in circuit.cregs:
        out.add_register(creg)
    for inst in circuit.data:
        name = inst.operation.name
        if name == "barrier":
            continue
        physical = [circuit.find_bit(q).index for q in inst.qubits]
        if name == "delay" and not all(q in index for q in physical):
            continue
        out.append(inst.operation, [index[q] for q in physical], inst.clbits, copy=False)
    return out


def scheduling_of(circuit: QuantumCircuit) -> str:
    """How ``circuit`` is scheduled: its ``metadata["scheduling"]``, else ``alap`` when it
    has a ``delay`` or ``id``, else ``none``.

    Raises:
        ConfigError: an unknown scheduling method.

    Example:
        >>> qc = QuantumCircuit(1)
        >>> _ = qc.x(0); scheduling_of(qc)
        'none'
        >>> _ = qc.delay(100, 0, unit="ns"); scheduling_of(qc)
        'alap'
    """
    asked = (circuit.metadata or {}).get("scheduling")
    if asked is not None:
        if asked not in SCHEDULING:
            raise ConfigError(
                f"unknown scheduling {asked!r}",
                hint=f"metadata scheduling: {', '.join(SCHEDULING)}",
            )
        return str(asked)
    names = {inst.operation.name for inst in circuit.data}
    return "alap" if names & {"delay", "id"} else "none"


def idles_as_delays(circuit: QuantumCircuit, device: DeviceProfile) -> QuantumCircuit:
    """``circuit`` with each ``id`` replaced by a delay of one single-qubit gate time, and
    every delay given in device ``dt`` units (rounded to the nearest ``dt``).

    The gate time is the device's median ``sx`` duration (``x`` if it has no ``sx``);
    an ``id`` is an idle of that length on IBM hardware.

    Raises:
        BackendError: the device has no ``dt`` or no gate durations.
    """
    names = {inst.operation.name for inst in circuit.data}
    if not names & {"id", "delay"}:
        return circuit
    target = device.backend.target
    dt = target.dt
    durations = sorted(
        float(p.duration)
        for name in ("sx", "x")
        if name in target.operation_names
        for p in target[name].values()
        if p is not None and p.duration
    )
    if not dt or not durations:
        raise BackendError(
            f"device {device.name} has no dt or gate durations to schedule idles on",
            hint="pick a calibrated device (fake_*) or remove delay/id instructions",
        )
    gate = max(1, round(durations[len(durations) // 2] / dt))
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        op = inst.operation
        if op.name == "id":
            out.append(Delay(gate, unit="dt"), inst.qubits, copy=False)
        elif op.name == "delay" and op.unit != "dt":
            seconds = apply_prefix(float(op.duration), op.unit)
            out.append(Delay(round(seconds / dt), unit="dt"), inst.qubits, copy=False)
        else:
            out.append(op, inst.qubits, inst.clbits, copy=False)
    return out


def _without_delays(circuit: QuantumCircuit) -> QuantumCircuit:
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        if inst.operation.name != "delay":
            out.append(inst.operation, inst.qubits, inst.clbits, copy=False)
    return out


def structure_hash(circuit: QuantumCircuit) -> str:
    """A hash of the gate sequence, wiring and parameter *names* (not values).

    Example:
        >>> from qiskit.circuit import Parameter
        >>> a, b = QuantumCircuit(1), QuantumCircuit(1)
        >>> _ = a.rx(Parameter("t"), 0); _ = b.rx(Parameter("t"), 0)
        >>> structure_hash(a) == structure_hash(b)
        True
    """
    meta = circuit.metadata or {}
    layout, scheduling = meta.get("initial_layout"), meta.get("scheduling")
    digest = hashlib.sha256(
        f"{circuit.num_qubits}:{circuit.num_clbits}:{layout}:{scheduling}".encode()
    )
    for inst in circuit.data:
        qubits = tuple(circuit.find_bit(q).index for q in inst.qubits)
        clbits = tuple(circuit.find_bit(c).index for c in inst.clbits)
        params = tuple(str(p) for p in inst.operation.params)
        digest.update(repr((inst.operation.name, params, qubits, clbits)).encode())
    return digest.hexdigest()


def device_key(device: DeviceProfile) -> str:
    """The device's cache identity (generic topologies also depend on their seed)."""
    return device.name if device.seed is None else f"{device.name}#seed={device.seed}"


def _count_swaps(circuit: QuantumCircuit) -> int:
    return int(circuit.count_ops().get("swap", 0))


def transpile_circuit(
    circuit: QuantumCircuit,
    device: DeviceProfile,
    *,
    optimization_level: int = 1,
    seed: int = 0,
    layout: str = "preset",
) -> TranspiledCircuit:
    """Transpile ``circuit`` for ``device`` with seeded pass managers (no cache).

    A circuit whose ``metadata["initial_layout"]`` lists a physical qubit per logical
    qubit is placed there (a user's layout request, as Qiskit's ``initial_layout``; the
    ``noise_aware`` strategy then runs the preset pass manager only).

    Raises:
        ConfigError: level outside 0..3, or an unknown layout strategy.
        BackendError: the circuit needs more qubits than the device has.
    """
    if optimization_level not in (0, 1, 2, 3):
        raise ConfigError(
            f"optimization_level must be 0..3, got {optimization_level}", hint="use 1"
        )
    if layout not in LAYOUTS:
        raise ConfigError(f"unknown layout strategy {layout!r}", hint=" or ".join(LAYOUTS))
    if circuit.num_qubits > device.num_qubits:
        raise BackendError(
            f"circuit has {circuit.num_qubits} qubits, device {device.name} has {device.num_qubits}",
            hint="choose a larger device (`qmlsec devices --min-qubits N`)",
        )
    key = (structure_hash(circuit), device_key(device), optimization_level, seed, layout)
    if device.is_ideal:
        return _identity(circuit, device, key)
    requested = requested_layout(circuit, device)
    scheduling = scheduling_of(circuit)
    if scheduling != "none":
        circuit = idles_as_delays(circuit, device)
    elif any(inst.operation.name == "delay" for inst in circuit.data):
        circuit = _without_delays(circuit)
    if layout != "preset" and requested is None and scheduling == "none":
        margin = AUTO_MARGIN if layout == "auto" else None
        best = noise_aware_transpile(
            circuit, device, level=optimization_level, seed=seed, margin=margin
        )
        if layout == "noise_aware" or best.label != "preset":
            return TranspiledCircuit(
                best.circuit,
                _report(best.circuit, device, key, 0, best.initial, best.final, best.esp),
                key,
            )  # else ``auto`` keeps the preset pass manager's output, built below
    pm = preset_pass_manager(
        device, optimization_level, seed, initial_layout=requested,
        scheduling_method=None if scheduling == "none" else scheduling,
    )  # fmt: skip
    peak = [0]

    def callback(**kwargs: Any) -> None:
        peak[0] = max(peak[0], int(kwargs["dag"].count_ops().get("swap", 0)))

    out = pm.run(circuit, callback=callback)
    done = out.layout
    n = circuit.num_qubits
    initial = tuple(done.initial_index_layout(filter_ancillas=True)[:n]) if done else ()
    final = tuple(done.final_index_layout(filter_ancillas=True)[:n]) if done else ()
    esp = estimated_success(out, device.backend.target, tuple(int(q) for q in final))
    swaps = peak[0] - _count_swaps(circuit)
    return TranspiledCircuit(out, _report(out, device, key, swaps, initial, final, esp), key)


def with_measurements(
    body: TranspiledCircuit, basis: str, device: DeviceProfile
) -> TranspiledCircuit:
    """``body`` (transpiled, without final measurements) rotated into ``basis`` and measured.

    Logical qubit ``i`` is rotated on the physical qubit that holds it at the end (native
    ``rz``/``sx`` gates) and measured into clbit ``i`` of a new ``meas`` register, as
    :func:`~qmlsec.cloud.backends.measurement.measured_circuit` does before transpiling.
    The placement and routing are the body's, so every measurement basis of a job runs
    where the job's report says; transpiling each measured variant on its own can pick
    another layout (with the ``auto`` strategy even one through ancilla qubits, a far
    larger noisy simulation).

    Example:
        >>> from qmlsec.circuits import QNNSpec
        >>> from qmlsec.cloud.devices import get_device
        >>> dev = get_device("fake_manila")
        >>> body = transpile_circuit(QNNSpec(n_qubits=2, layers=1).build(), dev, layout="auto")
        >>> m = with_measurements(body, "XZ", dev)
        >>> m.report.final_layout == body.report.final_layout, m.circuit.count_ops()["measure"]
        (True, 2)
    """
    phys = body.report.final_layout
    out = body.circuit.copy()
    for q, p in enumerate(reversed(basis)):
        if p in "XY":
            out.compose(_native_rotation(_native_1q(device), p), [phys[q]], inplace=True)
    creg = ClassicalRegister(len(phys), "meas")
    out.add_register(creg)
    out.measure(list(phys), creg)
    key = measured_key(body.key, basis)
    esp = estimated_success(out, device.backend.target, phys)
    report = _report(out, device, key, body.report.swaps_added, body.report.initial_layout,
                     phys, esp)  # fmt: skip
    return TranspiledCircuit(out, report, key)


def measured_key(key: Key, basis: str) -> Key:
    """The cache key of the circuit with key ``key`` measured in ``basis``."""
    return (f"{key[0]}:measure:{basis}", key[1], key[2], key[3], key[4])


def basis_rotation(pauli: str) -> QuantumCircuit:
    """One qubit rotated from the ``pauli`` eigenbasis to Z: H for X, S-dagger then H
    for Y, nothing for Z."""
    qc = QuantumCircuit(1)
    if pauli == "Y":
        qc.sdg(0)
    if pauli in "XY":
        qc.h(0)
    return qc


def _native_1q(device: DeviceProfile) -> tuple[str, ...]:
    names = set(device.backend.target.operation_names)
    return tuple(g for g in ("rz", "sx", "x", "u", "u1", "u2", "u3", "p") if g in names)


@functools.lru_cache(maxsize=32)
def _native_rotation(native: tuple[str, ...], pauli: str) -> QuantumCircuit:
    """:func:`basis_rotation` in the ``native`` single-qubit gates."""
    from qiskit import transpile

    return transpile(basis_rotation(pauli), basis_gates=list(native), optimization_level=1)


def requested_layout(circuit: QuantumCircuit, device: DeviceProfile) -> list[int] | None:
    """The physical qubits ``circuit.metadata["initial_layout"]`` requests, validated."""
    layout = (circuit.metadata or {}).get("initial_layout")
    if layout is None:
        return None
    qubits = [int(q) for q in layout]
    if len(qubits) != circuit.num_qubits or len(set(qubits)) != len(qubits):
        raise ConfigError(
            f"initial_layout {qubits} must name {circuit.num_qubits} distinct physical qubits",
            hint="one physical qubit per logical qubit, in logical order",
        )
    if any(not 0 <= q < device.num_qubits for q in qubits):
        raise BackendError(
            f"initial_layout {qubits} names qubits outside {device.name} "
            f"(0..{device.num_qubits - 1})",
            hint="request qubits the device has",
        )
    return qubits


def _identity(circuit: QuantumCircuit, device: DeviceProfile, key: Any) -> TranspiledCircuit:
    ident = tuple(range(circuit.num_qubits))
    return TranspiledCircuit(circuit, _report(circuit, device, key, 0, ident, ident), key)


def _report(
    out: QuantumCircuit,
    device: DeviceProfile,
    key: Key,
    swaps: int,
    initial: tuple[int, ...],
    final: tuple[int, ...],
    esp: float | None = None,
) -> TranspileReport:
    active: set[int] = set()
    two_q = 0
    for inst in out.data:
        if inst.operation.name in _IGNORED:
            continue
        qubits = [out.find_bit(q).index for q in inst.qubits]
        active.update(qubits)
        two_q += len(qubits) == 2
    return TranspileReport(
        device=device.name,
        optimization_level=key[2],
        seed=key[3],
        depth=out.depth(lambda inst: inst.operation.name not in _IGNORED),
        two_qubit_gates=two_q,
        swaps_added=max(0, swaps),
        initial_layout=tuple(int(q) for q in initial),
        final_layout=tuple(int(q) for q in final),
        active_qubits=tuple(sorted(active | set(final))),
        ops={k: int(v) for k, v in out.count_ops().items()},
        layout=key[4],
        estimated_success=esp,
    )


class TranspileCache:
    """LRU cache of transpiled circuits keyed by (structure hash, device, level, seed, layout).

    ``hits`` and ``misses`` count lookups; a hit returns the very same object.

    Example:
        >>> from qiskit import QuantumCircuit
        >>> from qmlsec.cloud.devices import get_device
        >>> cache, qc = TranspileCache(maxsize=4), QuantumCircuit(2)
        >>> _ = qc.cx(0, 1)
        >>> dev = get_device("fake_manila")
        >>> cache.transpile(qc, dev, seed=1) is cache.transpile(qc, dev, seed=1), cache.hits
        (True, 1)
    """

    def __init__(self, maxsize: int = 128) -> None:
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._store: OrderedDict[Key, TranspiledCircuit] = OrderedDict()

    def __len__(self) -> int:
        return len(self._store)

    def find(self, report: TranspileReport) -> TranspiledCircuit | None:
        """The cached circuit whose report is ``report`` (the object a backend ran), if any."""
        for tc in self._store.values():
            if tc.report is report:
                return tc
        return None

    def measured(
        self, body: TranspiledCircuit, basis: str, device: DeviceProfile
    ) -> TranspiledCircuit:
        """``body`` measured in ``basis`` (:func:`with_measurements`), kept beside it so that
        :meth:`find` knows the circuit a shot job ran (not counted as a hit or miss)."""
        key = measured_key(body.key, basis)
        found = self._store.get(key)
        if found is not None:
            self._store.move_to_end(key)
            return found
        result = with_measurements(body, basis, device)
        self._store[result.key] = result
        if len(self._store) > self.maxsize:
            self._store.popitem(last=False)
        return result

    def transpile(
        self,
        circuit: QuantumCircuit,
        device: DeviceProfile,
        *,
        optimization_level: int = 1,
        seed: int = 0,
        layout: str = "preset",
    ) -> TranspiledCircuit:
        """Return the cached transpilation, transpiling on a miss."""
        key = (structure_hash(circuit), device_key(device), optimization_level, seed, layout)
        found = self._store.get(key)
        if found is not None:
            self.hits += 1
            self._store.move_to_end(key)
            return found
        self.misses += 1
        result = transpile_circuit(
            circuit, device, optimization_level=optimization_level, seed=seed, layout=layout
        )
        self._store[key] = result
        if len(self._store) > self.maxsize:
            self._store.popitem(last=False)
        return result
