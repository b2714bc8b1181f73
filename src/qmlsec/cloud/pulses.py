"""Synthetic control pulses and power traces of a transpiled, scheduled circuit.

After Xu, Erata and Szefer (CCS 2023, arXiv:2304.03315) and Erata, Xu, Piskac and
Szefer (TCHES 2024, arXiv:2401.15869): a superconducting controller plays one pulse per
native gate, so the power drawn per channel (and in total) reveals the gate sequence.
The pulse shapes here are synthetic (research notes §3.8: no calibrated pulse data is
available offline); their parameters are the fields of :class:`PulseLibrary`.

Model:

- **Schedule**: layer-synchronous. The transpiled circuit's DAG layers become *slots*;
  all gates of a slot start together and the slot lasts as long as its longest gate,
  with durations from the device's :class:`~qiskit.transpiler.Target` (in units of
  ``dt``, binned by ``bin_dt``). ``rz`` is virtual (frame change): zero duration and
  zero power. A layer of only virtual gates takes no time.
- **Channels**: a drive channel ``d{q}`` per qubit (``sx``: DRAG pulse of amplitude
  ``amp_sx``; ``x``: the same shape at ``amp_x``), a control channel ``u{c}_{t}`` per
  directed two-qubit pair (``cx``/``ecr``: a Gaussian-square cross-resonance pulse of
  amplitude ``amp_cr`` with Gaussian rise and fall) and a measurement channel ``m{q}``
  (flat-top readout stimulus of ``measure_bins`` bins).
- **Power**: per bin, ``I^2 + Q^2`` of the channel's envelope; the total trace is the sum
  over channels. Noise is white Gaussian with variance set by ``snr_db`` relative to
  the mean power of one ``sx`` pulse (the weakest pulse) over its support.

Not modelled: echo and cancellation tones of echoed cross-resonance, DAC/mixer
non-linearities, pulse overlap across slots (ASAP/ALAP interleaving), amplitude
calibration differences between qubits, and the measurement chain's own power.

Example:
    >>> from qiskit import QuantumCircuit
    >>> from qmlsec.cloud.devices import get_device
    >>> qc = QuantumCircuit(2); _ = qc.sx(0); _ = qc.rz(0.3, 1); _ = qc.cx(0, 1)
    >>> sched = schedule_slots(qc, get_device("fake_manila").backend.target)
    >>> [[g.name for g in s.gates] for s in sched.slots]
    [['sx', 'rz'], ['cx']]
    >>> traces = synthesize_traces(sched)
    >>> sorted(traces.channels), traces.total.shape == traces.channels["d0"].shape
    (['d0', 'u0_1'], True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit
from qiskit.converters import circuit_to_dag
from qiskit.transpiler import Target

from qmlsec.config import FrozenModel
from qmlsec.exceptions import CircuitError

VIRTUAL = frozenset({"rz", "id", "barrier", "delay"})
TWO_QUBIT = frozenset({"cx", "ecr", "cz"})


class PulseLibrary(FrozenModel):
    """Pulse-shape parameters (arbitrary amplitude units, as IBM's ``amp``)."""

    bin_dt: int = Field(default=16, ge=1, description="device dt per trace bin")
    amp_sx: float = Field(default=0.1, gt=0)
    amp_x: float = Field(default=0.2, gt=0)
    drag_beta: float = Field(default=0.5, ge=0, description="DRAG coefficient (bins)")
    amp_cr: float = Field(default=0.3, gt=0)
    cr_rise_bins: int = Field(default=4, ge=1)
    amp_measure: float = Field(default=0.15, gt=0)
    measure_bins: int = Field(default=64, ge=1)


@dataclass(frozen=True)
class ScheduledGate:
    """One native gate: name, physical qubits and duration in bins."""

    name: str
    qubits: tuple[int, ...]
    bins: int


@dataclass(frozen=True)
class Slot:
    """A schedule layer: start bin, length in bins and its gates."""

    start: int
    length: int
    gates: tuple[ScheduledGate, ...]


@dataclass(frozen=True)
class Schedule:
    """A layer-synchronous schedule of a physical circuit."""

    n_qubits: int
    slots: tuple[Slot, ...]

    @property
    def length(self) -> int:
        return self.slots[-1].start + self.slots[-1].length if self.slots else 0


@dataclass
class PowerTraces:
    """Per-channel power traces, their sum, and the schedule they came from."""

    schedule: Schedule
    channels: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def total(self) -> np.ndarray:
        return np.sum(list(self.channels.values()), axis=0)


def _duration_bins(name: str, qubits: tuple[int, ...], target: Target, lib: PulseLibrary) -> int:
    if name in VIRTUAL:
        return 0
    if name == "measure":
        return lib.measure_bins
    try:
        props = target[name][qubits]
    except KeyError:
        raise CircuitError(
            f"gate {name} on qubits {qubits} is not native to the device",
            hint="schedule the transpiled circuit (qiskit.transpile with the device backend)",
        ) from None
    seconds = getattr(props, "duration", None) or 0.0
    dt = target.dt or 1.0
    return max(1, round(seconds / dt / lib.bin_dt))


def schedule_slots(
    circuit: QuantumCircuit, target: Target, library: PulseLibrary | None = None
) -> Schedule:
    """Layer-synchronous schedule of a transpiled circuit with the target's durations.

    Raises:
        CircuitError: for a gate the target does not implement on those qubits.
    """
    lib = library or PulseLibrary()
    slots: list[Slot] = []
    start = 0
    for layer in circuit_to_dag(circuit).layers():
        gates = []
        for node in layer["graph"].op_nodes():
            if node.op.name == "barrier":
                continue
            qubits = tuple(circuit.find_bit(q).index for q in node.qargs)
            gates.append(
                ScheduledGate(
                    node.op.name, qubits, _duration_bins(node.op.name, qubits, target, lib)
                )
            )
        if not gates:
            continue
        length = max(g.bins for g in gates)
        if length == 0 and slots:
            prev = slots[-1]
            slots[-1] = Slot(prev.start, prev.length, prev.gates + tuple(gates))
            continue
        slots.append(Slot(start, length, tuple(gates)))
        start += length
    return Schedule(circuit.num_qubits, tuple(slots))


def drag_power(bins: int, amp: float, beta: float) -> np.ndarray:
    """Power ``I^2 + Q^2`` of a lifted Gaussian DRAG pulse of ``bins`` bins."""
    t = np.arange(bins) + 0.5
    sigma = bins / 4
    g = np.exp(-0.5 * ((t - bins / 2) / sigma) ** 2)
    edge = np.exp(-0.5 * ((bins / 2) / sigma) ** 2)
    i = amp * (g - edge) / (1 - edge)
    q = -beta * amp * (t - bins / 2) / sigma**2 * g / (1 - edge)
    return i**2 + q**2


def flat_top_power(bins: int, amp: float, rise: int) -> np.ndarray:
    """Power of a Gaussian-square pulse: Gaussian rise/fall of ``rise`` bins, flat top."""
    rise = min(rise, bins // 2)
    env = np.full(bins, amp)
    if rise:
        ramp = amp * np.exp(-0.5 * ((np.arange(rise) - rise) / (rise / 2)) ** 2)
        env[:rise] = ramp
        env[bins - rise :] = ramp[::-1]
    return env**2


def gate_power(gate: ScheduledGate, lib: PulseLibrary) -> tuple[str, np.ndarray] | None:
    """The channel a native gate plays on and its power envelope (None if virtual)."""
    if gate.bins == 0:
        return None
    if gate.name in ("sx", "x"):
        amp = lib.amp_sx if gate.name == "sx" else lib.amp_x
        return f"d{gate.qubits[0]}", drag_power(gate.bins, amp, lib.drag_beta)
    if gate.name in TWO_QUBIT:
        c, t = gate.qubits
        return f"u{c}_{t}", flat_top_power(gate.bins, lib.amp_cr, lib.cr_rise_bins)
    if gate.name == "measure":
        return f"m{gate.qubits[0]}", flat_top_power(gate.bins, lib.amp_measure, 2)
    raise CircuitError(
        f"no pulse model for gate {gate.name!r}", hint="transpile to sx, x, rz, cx/ecr"
    )


def synthesize_traces(schedule: Schedule, library: PulseLibrary | None = None) -> PowerTraces:
    """Noise-free per-channel power traces of ``schedule``."""
    lib = library or PulseLibrary()
    traces = PowerTraces(schedule)
    for slot in schedule.slots:
        for gate in slot.gates:
            played = gate_power(gate, lib)
            if played is None:
                continue
            channel, power = played
            trace = traces.channels.setdefault(channel, np.zeros(schedule.length))
            trace[slot.start : slot.start + gate.bins] += power
    return traces


def noise_sigma(snr_db: float, library: PulseLibrary | None = None) -> float:
    """Noise standard deviation for ``snr_db`` relative to one ``sx`` pulse's mean power."""
    lib = library or PulseLibrary()
    ref = drag_power(max(1, round(160 / lib.bin_dt)), lib.amp_sx, lib.drag_beta)
    return float(np.sqrt(np.mean(ref**2) / 10 ** (snr_db / 10)))


def add_noise(
    traces: PowerTraces,
    snr_db: float,
    rng: np.random.Generator,
    library: PulseLibrary | None = None,
) -> PowerTraces:
    """A copy of ``traces`` with white Gaussian measurement noise on every channel."""
    sigma = noise_sigma(snr_db, library)
    noisy = PowerTraces(traces.schedule)
    for name in sorted(traces.channels):
        trace = traces.channels[name]
        noisy.channels[name] = trace + rng.normal(0.0, sigma, size=trace.shape)
    return noisy


__all__ = [
    "PowerTraces",
    "PulseLibrary",
    "Schedule",
    "ScheduledGate",
    "Slot",
    "add_noise",
    "drag_power",
    "flat_top_power",
    "gate_power",
    "noise_sigma",
    "schedule_slots",
    "synthesize_traces",
]
