"""Idles: delays and id gates are scheduled (ALAP) and relax by the calibrated T1."""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit

from qmlsec.cloud.backends.aer import AerBackend
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.noise import NoiseSpec, device_noise, noise_from_parts
from qmlsec.cloud.transpile import compact_circuit, scheduling_of, transpile_circuit
from qmlsec.exceptions import ConfigError

SHOTS = 4000


@pytest.fixture(scope="module")
def manila():
    dev = get_device("fake_manila")
    target = dev.backend.target
    return dev, target.qubit_properties[0].t1, target["measure"][(0,)].error


def survival(backend: AerBackend, idle: float = 0.0, ids: int = 0, meta=None) -> float:
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    if idle:
        qc.delay(idle, 0, unit="s")
    for _ in range(ids):
        qc.id(0)
    qc.measure(0, 0)
    if meta:
        qc.metadata = meta
    (counts,) = backend.counts(qc, np.zeros((1, 0)), shots=SHOTS, seed=7)
    return counts.get("1", 0) / SHOTS


@pytest.mark.parametrize("fraction", [0.5, 1.0])
def test_one_survives_a_delay_as_exp_minus_t_over_t1(manila, fraction):
    dev, t1, readout = manila
    backend = AerBackend(device=dev, noise=device_noise(dev, 1.0), seed=0)
    alive = np.exp(-fraction)
    expected = alive * (1 - readout) + (1 - alive) * readout
    measured = survival(backend, idle=fraction * t1)
    sigma = np.sqrt(expected * (1 - expected) / SHOTS)
    # shot noise (4 sigma) plus the X gate's own error (~1e-3)
    assert abs(measured - expected) < 4 * sigma + 0.003, (measured, expected)


def test_noise_scale_speeds_relaxation_and_zero_scale_removes_it(manila):
    dev, t1, _ = manila
    scaled = survival(AerBackend(device=dev, noise=device_noise(dev, 2.0), seed=0), idle=0.5 * t1)
    assert scaled == pytest.approx(np.exp(-1.0), abs=0.08)  # T1/2 over T1/2 (readout x2)
    assert survival(AerBackend(device=dev, noise=device_noise(dev, 0.0)), idle=0.5 * t1) == 1.0


def test_id_layers_are_idles_of_one_gate_time(manila):
    dev, t1, _ = manila
    backend = AerBackend(device=dev, noise=device_noise(dev, 1.0), seed=0)
    target = dev.backend.target
    t_sx = target["sx"][(0,)].duration
    none, many = survival(backend), survival(backend, ids=400)
    sigma = np.sqrt(none * (1 - none) / SHOTS)
    assert many < none - 4 * sigma  # 400 idles of ~36 ns: ~10 % of |1> decays
    assert none - many == pytest.approx(none * (1 - np.exp(-400 * t_sx / t1)), abs=4 * sigma)


def test_unscheduled_circuits_drop_delays(manila):
    dev, t1, _ = manila
    backend = AerBackend(device=dev, noise=device_noise(dev, 1.0), seed=0)
    off = survival(backend, idle=t1, meta={"scheduling": "none"})
    assert off > 0.9
    with pytest.raises(ConfigError, match="scheduling"):
        survival(backend, idle=t1, meta={"scheduling": "later"})


def test_parts_noise_relaxes_idles_with_its_t1():
    spec = NoiseSpec(t1=50e-6, t2=60e-6)
    backend = AerBackend(device="fake_manila", noise=noise_from_parts(spec), seed=0)
    assert survival(backend, idle=50e-6) == pytest.approx(np.exp(-1.0), abs=0.03)


def test_alap_schedule_pads_idle_qubits_and_compaction_keeps_their_delays(manila):
    dev, _, _ = manila
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.delay(2e-6, 0, unit="s")
    qc.x(1)
    qc.measure([0, 1], [0, 1])
    assert scheduling_of(qc) == "alap"
    tc = transpile_circuit(qc, dev)
    small = compact_circuit(tc.circuit, tc.report.active_qubits)
    delays = [i for i in small.data if i.operation.name == "delay"]
    assert {small.find_bit(i.qubits[0]).index for i in delays} == {0, 1}
    assert all(i.operation.unit == "dt" for i in delays)
    # ALAP: qubit 1's X waits until just before its measurement
    ops1 = [i.operation.name for i in small.data if small.find_bit(i.qubits[0]).index == 1]
    assert ops1[:2] == ["delay", "x"]


def test_circuits_without_idles_are_not_scheduled(manila):
    dev, _, _ = manila
    qc = QuantumCircuit(2)
    qc.x(0)
    qc.cx(0, 1)
    assert scheduling_of(qc) == "none"
    assert "delay" not in transpile_circuit(qc, dev).circuit.count_ops()
