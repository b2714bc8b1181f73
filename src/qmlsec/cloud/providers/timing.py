"""QPU time of a transpiled circuit: an as-soon-as-possible schedule over gate durations.

Durations come from the device's Target (per instruction and qubits), falling back to
the device's median 1q / 2q / readout durations. Each shot also pays a repetition delay
(``rep_delay_s``, IBM's default is 250 us).

Example:
    >>> from qiskit import QuantumCircuit
    >>> from qmlsec.cloud.devices import get_device
    >>> qc = QuantumCircuit(2, 2); _ = qc.sx(0); _ = qc.cx(0, 1); _ = qc.measure([0, 1], [0, 1])
    >>> circuit_duration(qc, get_device("fake_manila")) > 0
    True
"""

from __future__ import annotations

from qiskit import QuantumCircuit

from qmlsec.cloud.devices import DeviceProfile

DEFAULT_REP_DELAY_S = 250e-6


def circuit_duration(circuit: QuantumCircuit, device: DeviceProfile) -> float:
    """Seconds from first gate to last measurement (0 on the ideal device)."""
    if device.is_ideal:
        return 0.0
    target = device.backend.target
    clock = [0.0] * circuit.num_qubits
    fallback = {
        1: device.median_duration_1q or 0.0,
        2: device.median_duration_2q or 0.0,
    }
    for inst in circuit.data:
        name = inst.operation.name
        if name in ("barrier", "delay"):
            continue
        qubits = tuple(circuit.find_bit(q).index for q in inst.qubits)
        duration = None
        if name in target:
            props = target[name].get(qubits) if target[name] else None
            duration = None if props is None else props.duration
        if duration is None:
            if name == "measure":
                duration = device.median_duration_readout or 0.0
            else:
                duration = fallback.get(len(qubits), 0.0)
        start = max(clock[q] for q in qubits)
        for q in qubits:
            clock[q] = start + duration
    return max(clock, default=0.0)
