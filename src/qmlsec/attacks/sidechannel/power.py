"""Power side channel: recover the executed gate sequence from controller power traces.

After Xu, Erata and Szefer (CCS 2023, arXiv:2304.03315: five attacks that recover
circuits from pulse and power information) and Erata, Xu, Piskac and Szefer (TCHES
2024, arXiv:2401.15869: per-channel reconstruction and single-trace total-power
reconstruction). The traces are synthesised by :mod:`qmlsec.cloud.pulses` from the
victim's transpiled, scheduled inference circuits (the model and its parameters are
documented there) with white noise at each ``snr_db``. Those circuits are the ones the
cloud ran: the victim's model is served through its
:class:`~qmlsec.cloud.providers.QuantumCloud` and queried on ``max_circuits`` test
inputs (one provider job), and the physical insider's tap on the control electronics is
an observing hook (:class:`~qmlsec.attacks.recon.executed.ExecutedJobs`) that sees the
bound, transpiled circuits of that job on the whole device, including any
``transform_circuit`` change by the provider.

Two attackers, both knowing the device's pulse library, channel map and durations and
the slot boundaries (edges of the layer-synchronous schedule):

- **per-channel**: for every channel and slot, template matching (least squares) among
  "idle" and the pulses that channel can play (``sx``/``x`` on a drive channel,
  ``cx`` on a control channel, ``measure`` on a measurement channel);
- **total power**: one summed trace; per slot, non-negative least squares over the
  pulse templates, rounded to integer gate counts.

Measured per SNR: per-channel gate recovery accuracy (correct cells over cells where
the truth or the guess is a pulse), the fraction of circuits whose two-qubit gate
sequence (the entangling structure) is recovered exactly, and the total-power slot
accuracy (all counts of a slot right). ``rz`` is virtual and leaves no trace, so its
angles (the data and weights) are not recoverable from power alone.

Not covered: the MILP formulation of the total-power attack, unknown slot boundaries,
pulse overlap, calibrated pulse shapes.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field
from scipy.optimize import nnls

from qmlsec.attacks.access import provider_cloud
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import KnownArchitecture
from qmlsec.attacks.recon.executed import ExecutedJobs, observe_queries
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.sidechannel.base import SideChannelAttack
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.pulses import (
    PowerTraces,
    PulseLibrary,
    Schedule,
    ScheduledGate,
    add_noise,
    gate_power,
    schedule_slots,
    synthesize_traces,
)
from qmlsec.config import FrozenModel, rng

Cell = tuple[str, int]


def channel_templates(target, library: PulseLibrary) -> dict[str, dict[str, np.ndarray]]:
    """Every channel of the device and the pulse templates it can play."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for name in ("sx", "x", "measure", "cx", "ecr"):
        if name not in target.operation_names:
            continue
        for qargs in target[name]:
            if qargs is None:
                continue
            from qmlsec.cloud.pulses import _duration_bins

            gate = ScheduledGate(
                name, tuple(qargs), _duration_bins(name, tuple(qargs), target, library)
            )
            played = gate_power(gate, library)
            if played is None:
                continue
            channel, power = played
            out.setdefault(channel, {})[name] = power
    return out


def truth_cells(schedule: Schedule, library: PulseLibrary) -> dict[Cell, str]:
    """``(channel, slot) -> gate`` for every pulse the schedule plays."""
    cells: dict[Cell, str] = {}
    for k, slot in enumerate(schedule.slots):
        for gate in slot.gates:
            played = gate_power(gate, library)
            if played is not None:
                cells[(played[0], k)] = gate.name
    return cells


def decode_channels(
    traces: PowerTraces, templates: dict[str, dict[str, np.ndarray]]
) -> dict[Cell, str]:
    """Per-channel template matching in every slot (least squares, idle included)."""
    cells: dict[Cell, str] = {}
    for channel, options in templates.items():
        trace = traces.channels.get(channel)
        if trace is None:
            continue
        for k, slot in enumerate(traces.schedule.slots):
            window = trace[slot.start : slot.start + slot.length]
            best, best_err = "idle", float(np.sum(window**2))
            for name, tpl in options.items():
                if len(tpl) > slot.length:
                    continue
                padded = np.zeros(slot.length)
                padded[: len(tpl)] = tpl
                err = float(np.sum((window - padded) ** 2))
                if err < best_err:
                    best, best_err = name, err
            if best != "idle":
                cells[(channel, k)] = best
    return cells


def slot_counts(schedule: Schedule) -> list[tuple[int, int, int, int]]:
    """True ``(sx, x, two-qubit, measure)`` counts per slot."""
    out = []
    for slot in schedule.slots:
        names = [g.name for g in slot.gates]
        out.append(
            (
                names.count("sx"),
                names.count("x"),
                sum(n in ("cx", "ecr", "cz") for n in names),
                names.count("measure"),
            )
        )
    return out


def decode_total(
    total: np.ndarray, schedule: Schedule, templates: dict[str, dict[str, np.ndarray]]
) -> list[tuple[int, int, int, int]]:
    """Per-slot integer gate counts from the summed trace (NNLS, rounded).

    ``x`` and ``sx`` have the same envelope shape (``x`` carries 4x the power), so the
    fit measures single-qubit *energy* in ``sx`` units ``e`` and splits it with the
    prior that ``sx`` dominates transpiled circuits: ``x`` only when ``e`` exceeds the
    number of drive channels.
    """
    drives = sum(ch.startswith("d") for ch in templates)
    kinds: dict[tuple[int, int], np.ndarray] = {}
    column = {"sx": 0, "x": 0, "cx": 2, "ecr": 2, "measure": 3}
    for options in templates.values():
        for name, tpl in options.items():
            if name != "x":
                kinds.setdefault((column[name], len(tpl)), tpl)
    out = []
    for slot in schedule.slots:
        window = total[slot.start : slot.start + slot.length]
        cols, idx = [], []
        for (col, length), tpl in kinds.items():
            if length <= slot.length:
                padded = np.zeros(slot.length)
                padded[:length] = tpl
                cols.append(padded)
                idx.append(col)
        counts = [0, 0, 0, 0]
        if cols:
            coef, _ = nnls(np.stack(cols, axis=1), window)
            for col, c in zip(idx, np.rint(coef).astype(int), strict=True):
                counts[col] += int(c)
        energy = counts[0]
        counts[1] = max(0, -(-(energy - drives) // 3))
        counts[0] = energy - 4 * counts[1]
        out.append((counts[0], counts[1], counts[2], counts[3]))
    return out


class PowerParams(FrozenModel):
    """Parameters of :class:`PowerSideChannel`."""

    device: str = "fake_manila"
    snr_db: tuple[float, ...] = Field(default=(-15.0, -10.0, -5.0, 0.0, 5.0, 10.0))
    max_circuits: int = Field(default=5, ge=1)
    shots: int = Field(default=256, ge=1)
    """Shots of the victim's inference job."""
    library: PulseLibrary = Field(default_factory=PulseLibrary)


class PowerSideChannel(SideChannelAttack):
    """Physical insider recovers gate sequence and structure from power traces (QML.T0022)."""

    name: ClassVar[str] = "sidechannel.power"
    technique_id: ClassVar[str] = "QML.T0022"
    requires = frozenset({Capability.PHYSICAL_ACCESS})
    # a malicious quantum provider operates the control electronics too
    positions = frozenset({Position.PHYSICAL_INSIDER, Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = PowerParams
    check_params: ClassVar[dict] = {"snr_db": (-10.0, 10.0), "max_circuits": 2}

    def leak(
        self, traces: PowerTraces, templates: dict[str, dict[str, np.ndarray]]
    ) -> tuple[dict[Cell, str], list[tuple[int, int, int, int]]]:
        """Both attackers' reconstructions from observed (noisy) traces."""
        return decode_channels(traces, templates), decode_total(
            traces.total, traces.schedule, templates
        )

    def executed(self, X: np.ndarray) -> ExecutedJobs:
        """Serve the victim on its cloud, query ``X`` (one job), observe what was executed."""
        p = self.params
        cloud = provider_cloud(self.target, device=p.device, trust="honest-but-curious",
                               seed=self.seed, noise_scale=0.0)  # fmt: skip
        observer = observe_queries(self.target.model, cloud, X, device=p.device, shots=p.shots,
                                   seed=self.seed)  # fmt: skip
        return observer

    def _run(self, ctx: AttackContext) -> AttackResult:
        p, lib = self.params, self.params.library
        observed = self.executed(ctx.x_test[: p.max_circuits])
        device = observed.jobs[0].result.device
        target = get_device(device).backend.target
        circuits = observed.bound()
        templates = channel_templates(target, lib)
        schedules = [schedule_slots(c, target, lib) for c in circuits]
        clean = [synthesize_traces(s, lib) for s in schedules]
        result = self.new_result()
        result.per_sample = {"circuit": list(range(len(circuits)))}
        result.outputs["victim_jobs"] = [j.result.job_id for j in observed.jobs]
        result.notes.append(f"traces of {len(circuits)} circuits the cloud ran on {device}")
        chan_acc, struct, total_acc = [], [], []
        for i, snr in enumerate(p.snr_db):
            accs, structs, slots_ok = [], [], []
            for k, (sched, traces) in enumerate(zip(schedules, clean, strict=True)):
                full = PowerTraces(
                    sched, {ch: traces.channels.get(ch, np.zeros(sched.length)) for ch in templates}
                )
                noisy = add_noise(full, snr, rng(self.seed, "noise", i, k), lib)
                cells, counts = self.leak(noisy, templates)
                recovered = tuple(f"{c[0]}{c[1:]}:{g}" for c, g in sorted(cells.items()))
                truth = truth_cells(sched, lib)
                union = set(truth) | set(cells)
                accs.append(sum(truth.get(c) == cells.get(c) for c in union) / max(1, len(union)))
                two_q = sorted(c for c, g in truth.items() if c[0].startswith("u"))
                structs.append(float(two_q == sorted(c for c in cells if c[0].startswith("u"))))
                true_counts = slot_counts(sched)
                slots_ok.append(
                    float(np.mean([a == b for a, b in zip(counts, true_counts, strict=True)]))
                )
            result.per_sample[f"gate_accuracy_snr{snr:g}"] = accs
            chan_acc.append(float(np.mean(accs)))
            struct.append(float(np.mean(structs)))
            total_acc.append(float(np.mean(slots_ok)))
            result.metrics[f"gate_recovery_accuracy_snr{snr:g}"] = chan_acc[-1]
            result.metrics[f"structure_recovered_snr{snr:g}"] = struct[-1]
            result.metrics[f"total_power_slot_accuracy_snr{snr:g}"] = total_acc[-1]
            ctx.report("power traces", i + 1, len(p.snr_db))
        result.curves["gate_recovery_vs_snr"] = {"x": list(p.snr_db), "y": chan_acc}
        result.curves["structure_recovery_vs_snr"] = {"x": list(p.snr_db), "y": struct}
        result.curves["total_power_slot_accuracy_vs_snr"] = {"x": list(p.snr_db), "y": total_acc}
        result.provides = ["know.architecture", "goal.ip_stolen"] if max(struct) == 1.0 else []
        if max(struct) == 1.0:
            result.facts[KnownArchitecture.id] = KnownArchitecture(gates=recovered)
        return result
