"""Device allocation policies of a quantum cloud.

``requested`` honours the job's requested device; ``least-busy`` picks the shortest
backlog; ``best-fidelity`` the highest estimated success probability
``(1-e1)^n1 (1-e2)^n2 (1-r)^n`` from median errors and the logical gate counts;
``cheapest`` the lowest estimated price. Only devices with enough qubits qualify;
ties break by name. ``requested`` without a requested device takes the first fitting
device in pool order.

Example:
    >>> from qiskit import QuantumCircuit
    >>> from qmlsec.cloud.devices import get_device
    >>> qc = QuantumCircuit(2); _ = qc.cx(0, 1)
    >>> devs = [get_device("fake_manila"), get_device("fake_jakarta")]
    >>> estimated_fidelity(qc, devs[0]) < 1.0
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from qiskit import QuantumCircuit

from qmlsec.cloud.devices import DeviceProfile
from qmlsec.exceptions import BackendError, NotFoundError

Policy = Literal["requested", "least-busy", "best-fidelity", "cheapest"]
POLICIES: tuple[str, ...] = ("requested", "least-busy", "best-fidelity", "cheapest")


def gate_counts(circuit: QuantumCircuit) -> tuple[int, int]:
    """(single-qubit, two-qubit) gate counts of a logical circuit (no measure/barrier)."""
    one = two = 0
    for inst in circuit.data:
        if inst.operation.name in ("measure", "barrier", "delay", "reset"):
            continue
        one += len(inst.qubits) == 1
        two += len(inst.qubits) >= 2
    return one, two


def estimated_fidelity(circuit: QuantumCircuit, device: DeviceProfile) -> float:
    """Success-probability estimate from median errors (1.0 on the ideal device)."""
    one, two = gate_counts(circuit)
    e1, e2, ro = (
        (device.median_error_1q or 0.0),
        (device.median_error_2q or 0.0),
        (device.median_readout_error or 0.0),
    )
    return (1 - e1) ** one * (1 - e2) ** two * (1 - ro) ** circuit.num_qubits


def allocate(
    policy: Policy,
    circuit: QuantumCircuit,
    pool: Sequence[DeviceProfile],
    *,
    requested: str | None = None,
    backlog: Callable[[DeviceProfile], float],
    price: Callable[[DeviceProfile], float],
) -> DeviceProfile:
    """Pick a device of ``pool`` for ``circuit`` under ``policy``.

    Raises:
        NotFoundError: the requested device is not in the pool.
        BackendError: no device in the pool has enough qubits.
    """
    fitting = sorted((d for d in pool if d.num_qubits >= circuit.num_qubits), key=lambda d: d.name)
    if requested is not None and policy == "requested":
        for device in pool:
            if device.name == requested:
                if device.num_qubits < circuit.num_qubits:
                    raise BackendError(
                        f"{requested} has {device.num_qubits} qubits, the circuit needs {circuit.num_qubits}",
                        hint="request a larger device",
                    )
                return device
        else:
            raise NotFoundError(
                f"device {requested!r} is not in this cloud's pool",
                hint=f"pool: {', '.join(d.name for d in pool)}",
            )
    if not fitting:
        raise BackendError(
            f"no device in the pool has {circuit.num_qubits} qubits",
            hint="add a larger device to the pool",
        )
    if policy == "least-busy":
        return min(fitting, key=backlog)
    if policy == "best-fidelity":
        return max(fitting, key=lambda d: estimated_fidelity(circuit, d))
    if policy == "cheapest":
        return min(fitting, key=price)
    return next(d for d in pool if d.num_qubits >= circuit.num_qubits)  # pool order
