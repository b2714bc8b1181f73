"""Power side channel: trace physics and recovery accuracy vs SNR."""

from __future__ import annotations

import numpy as np
from qiskit import QuantumCircuit

from qmlsec.attacks.sidechannel.power import (
    PowerSideChannel,
    channel_templates,
    decode_channels,
    truth_cells,
)
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.providers.hooks import CircuitTransformHook
from qmlsec.cloud.pulses import PulseLibrary, noise_sigma, schedule_slots, synthesize_traces
from qmlsec.testing.clouds import recording_cloud
from qmlsec.testing.victims import small_victim


def test_virtual_rz_draws_no_power_and_takes_no_time():
    qc = QuantumCircuit(1)
    qc.rz(0.4, 0)
    qc.rz(1.0, 0)
    sched = schedule_slots(qc, get_device("fake_manila").backend.target)
    assert sched.length == 0
    assert synthesize_traces(sched).channels == {}


def test_x_draws_four_times_the_power_of_sx():
    target = get_device("fake_manila").backend.target
    qc = QuantumCircuit(2)
    qc.sx(0)
    qc.x(1)
    traces = synthesize_traces(schedule_slots(qc, target))
    assert traces.channels["d1"].sum() == np.float64(4 * traces.channels["d0"].sum())


def test_noise_falls_with_snr():
    assert noise_sigma(-10) > noise_sigma(0) > noise_sigma(10)


def test_gate_recovery_improves_with_snr_and_is_exact_when_clean():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    tgt = Target(
        Position.PHYSICAL_INSIDER, frozenset({Capability.PHYSICAL_ACCESS}), model=victim.model
    )
    params = {"snr_db": (-15.0, -5.0, 5.0, 30.0), "max_circuits": 2}
    result = PowerSideChannel(tgt, params, seed=0).run(victim.context())
    acc = result.curves["gate_recovery_vs_snr"]["y"]
    assert acc[0] < acc[1] < acc[2] <= acc[3] == 1.0
    assert result.metrics["structure_recovered_snr30"] == 1.0
    assert result.metrics["total_power_slot_accuracy_snr30"] == 1.0


def flag_first_qubit(circuit):
    """A provider's circuit transform: a barrier-fenced X on logical qubit 0 at the end."""
    out = circuit.copy()
    out.barrier()
    out.x(0)
    return out


def test_traces_are_those_of_the_circuits_the_cloud_ran():
    victim = small_victim(n_qubits=2, layers=2, epochs=15, classes="0-1")
    lib, target = PulseLibrary(), get_device("fake_manila").backend.target
    x_pulses = {}
    for name, hooks in (("plain", []), ("flagged", [CircuitTransformHook([flag_first_qubit])])):
        cloud = recording_cloud("fake_manila", *hooks)
        cost = cloud.cost
        tgt = Target(Position.PHYSICAL_INSIDER, frozenset({Capability.PHYSICAL_ACCESS}),
                     model=victim.model, cloud=cloud)  # fmt: skip
        attack = PowerSideChannel(tgt, {"max_circuits": 2}, seed=0)
        observed = attack.executed(victim.x_test[:2])
        assert cost.total().jobs == 1 and cost.total().circuits == 2
        assert [j.result.job_id for j in observed.jobs] == [r.job_id for r in cloud.history]
        sched = schedule_slots(observed.bound()[0], target, lib)
        truth = truth_cells(sched, lib)
        x_pulses[name] = sum(g == "x" for g in truth.values())
        # and the clean-trace attacker recovers exactly what was run
        decoded = decode_channels(synthesize_traces(sched, lib), channel_templates(target, lib))
        assert decoded == truth
    assert x_pulses["flagged"] == x_pulses["plain"] + 1
