"""How much of a readout's signal a device's calibrated errors leave: a first-order model.

For a transpiled circuit on a device, the expectation ``<Z_i>`` of measured qubit ``i``
shrinks under depolarizing-type noise by the product of the contractions of every gate
in the qubit's backward light cone (the gates that can influence it) and of its
readout. A one-qubit gate of error ``e`` depolarises with probability ``4e/3`` and a
two-qubit gate with ``16e/15`` (average gate infidelity to depolarizing parameter,
``d = 2, 4``), so a Pauli expectation keeps ``1 - 4e/3`` or ``1 - 16e/15`` of itself;
a symmetric readout error ``p`` keeps ``1 - 2p``. This is the estimated-success-probability
reasoning of noise-aware mapping (Tannu and Qureshi, ASPLOS 2019, arXiv:1805.10224)
applied per observable; it ignores that relaxation pulls towards ``|0>`` rather than
to the maximally mixed state, coherent errors and crosstalk.

A logical outcome may be the parity of several measured bits (a classical tail,
:mod:`qmlsec.cloud.backends.tail`): its light cone is the union of theirs, and it keeps
the product of their readouts' ``1 - 2p``, so each entry of ``measured`` is a physical
qubit or the tuple of physical qubits whose parity is read
(:meth:`~qmlsec.cloud.providers.jobs.JobResult.readout_qubits`).

``scale`` multiplies every error as :func:`qmlsec.cloud.noise.device_noise` does.

Example:
    >>> from qiskit import QuantumCircuit
    >>> from qmlsec.cloud.devices import get_device
    >>> qc = QuantumCircuit(2); _ = qc.sx(0); _ = qc.cx(0, 1)
    >>> kept = z_contraction(qc, get_device("fake_manila"), measured=(0, 1))
    >>> bool(0.8 < kept[0] < 1.0 and 0.8 < kept[1] < 1.0)
    True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from qiskit import QuantumCircuit

from qmlsec.cloud.devices import DeviceProfile
from qmlsec.cloud.noise import VIRTUAL_GATES


def _error(device: DeviceProfile, name: str, qubits: tuple[int, ...]) -> float:
    target = device.backend.target
    if name not in target:
        return 0.0
    props = target[name].get(qubits) if target[name] else None
    return float(props.error) if props is not None and props.error is not None else 0.0


def _qubits(entry: int | Sequence[int]) -> tuple[int, ...]:
    return (int(entry),) if isinstance(entry, int | np.integer) else tuple(int(q) for q in entry)


def readout_contraction(
    device: DeviceProfile, measured: Sequence[int | Sequence[int]], *, scale: float = 1.0
) -> np.ndarray:
    """Predicted factor the readout alone leaves of each entry of ``measured`` (a physical
    qubit, or the physical qubits whose measured parity is read): ``prod (1 - 2p)``."""
    if device.is_ideal:
        return np.ones(len(measured))
    flip = [
        [min(scale * _error(device, "measure", (q,)), 0.5) for q in _qubits(e)] for e in measured
    ]
    return np.array([np.prod([1.0 - 2.0 * p for p in ps]) for ps in flip])


def z_contraction(
    circuit: QuantumCircuit,
    device: DeviceProfile,
    measured: Sequence[int | Sequence[int]],
    *,
    scale: float = 1.0,
) -> np.ndarray:
    """Predicted factor ``<Z>_noisy / <Z>_ideal`` for each entry of ``measured``: a
    physical qubit, or the physical qubits whose measured parity is read."""
    if device.is_ideal:
        return np.ones(len(measured))
    ops = [
        (inst.operation.name, tuple(circuit.find_bit(q).index for q in inst.qubits))
        for inst in circuit.data
        if inst.operation.name not in VIRTUAL_GATES and inst.operation.name != "measure"
    ]
    out = []
    for entry in measured:
        cone, kept = set(_qubits(entry)), 1.0
        for name, qubits in reversed(ops):
            if not cone.intersection(qubits):
                continue
            cone.update(qubits)
            e = min(scale * _error(device, name, qubits), 0.75 if len(qubits) == 1 else 0.9375)
            kept *= 1.0 - (4.0 / 3.0 if len(qubits) == 1 else 16.0 / 15.0) * e
        out.append(kept)
    return np.asarray(out) * readout_contraction(device, measured, scale=scale)


__all__ = ["readout_contraction", "z_contraction"]
