"""Engine: batched differentiable state-vector simulation compiled from Qiskit circuits.

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine import compile_circuit
    >>> spec = QNNSpec(n_qubits=3, layers=2)
    >>> cc = compile_circuit(spec.build(), spec.observables())
    >>> x = torch.rand(5, 3, dtype=torch.float64)
    >>> theta = torch.rand(cc.n_weights, dtype=torch.float64, requires_grad=True)
    >>> cc.expectations(x, theta).sum().backward()
    >>> theta.grad.shape
    torch.Size([12])
"""

from qmlsec.engine.compile import compile_circuit
from qmlsec.engine.statevector import CompiledCircuit, Executor

__all__ = ["CompiledCircuit", "Executor", "compile_circuit"]
