"""``compile_circuit``: a Qiskit circuit to a batched differentiable torch function.

Example:
    >>> import torch
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.circuit import ParameterVector
    >>> x, theta = ParameterVector("x", 1), ParameterVector("theta", 1)
    >>> qc = QuantumCircuit(2)
    >>> _ = qc.ry(x[0] + 2 * theta[0], 0)
    >>> _ = qc.cx(0, 1)
    >>> cc = compile_circuit(qc, ["ZZ", "IZ"])
    >>> out = cc.expectations(torch.tensor([[0.5]]), torch.tensor([0.25]))
    >>> [round(v, 6) for v in out[0].tolist()]
    [1.0, 0.540302]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from qiskit import QuantumCircuit

from qmlsec.engine.lowering import lower_circuit
from qmlsec.engine.observables import as_observables
from qmlsec.engine.plan import make_plan
from qmlsec.engine.statevector import Backward, CompiledCircuit
from qmlsec.exceptions import ConfigError

MAX_QUBITS = 24


def compile_circuit(
    circuit: QuantumCircuit,
    observables: Sequence[object] | None = None,
    dtype: torch.dtype = torch.complex128,
    *,
    inputs: str = "x",
    weights: str = "theta",
    backward: Backward = "auto",
    chunk_qubits: int = 4,
    fuse_max_qubits: int = 4,
    adjoint_threshold_mb: float = 4.0,
    block_kb: float = 1024.0,
    device: torch.device | str | None = None,
) -> CompiledCircuit:
    """Compile ``circuit`` whose gate angles are linear in ``x[i]`` and ``theta[j]``.

    Args:
        circuit: Qiskit circuit of standard gates (others are inlined through their
            definition); no measurements, resets or control flow.
        observables: Pauli labels, ``Pauli`` or ``SparsePauliOp``; default Z on each qubit.
        dtype: ``torch.complex128`` (default) or ``torch.complex64``.
        inputs: name of the input ParameterVector.
        weights: name of the weight ParameterVector.
        backward: ``auto``, ``autograd``, ``stored`` or ``adjoint`` (memory-lean)
            differentiation; see :mod:`qmlsec.engine.adjoint`.
        chunk_qubits: qubits per kron chunk of a single-qubit layer.
        fuse_max_qubits: fuse weight-only runs into dense unitaries up to this many qubits.
        adjoint_threshold_mb: in ``auto`` mode, use the adjoint backward when keeping the
            intermediate states would take more than this many MiB (past the CPU's
            caches, uncomputing a cache-sized block beats reading stored states back).
        block_kb: the adjoint mode and gradient-free runs evolve the batch in blocks of
            columns of about this many KiB (at least 16 states while they fit in 1 MiB,
            at least one state), so a block stays in the CPU cache through all steps.
        device: torch device to simulate on (``"cuda"``, ``"cuda:1"``...; default CPU);
            see :meth:`CompiledCircuit.to`.

    Returns:
        The :class:`CompiledCircuit`.

    Raises:
        CircuitError: unsupported instruction or non-linear angle.
        ConfigError: bad dtype, observables or sizes.
    """
    if dtype not in (torch.complex128, torch.complex64):
        raise ConfigError(f"dtype must be torch.complex128 or torch.complex64, got {dtype}")
    if backward not in ("auto", "autograd", "stored", "adjoint"):
        raise ConfigError(
            f"backward must be 'auto', 'autograd', 'stored' or 'adjoint', got {backward!r}"
        )
    if not 1 <= circuit.num_qubits <= MAX_QUBITS:
        raise ConfigError(
            f"the engine simulates 1..{MAX_QUBITS} qubits, got {circuit.num_qubits}",
            hint="use the Aer backend for larger circuits",
        )
    low = lower_circuit(circuit, inputs, weights)
    plan = make_plan(low, dtype, chunk_qubits=chunk_qubits, fuse_max_qubits=fuse_max_qubits)
    obs = as_observables(observables, circuit.num_qubits)
    cc = CompiledCircuit(circuit, low, plan, obs, dtype, backward, adjoint_threshold_mb, block_kb)
    return cc if device is None else cc.to(device)
