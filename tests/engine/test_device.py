"""The engine on another torch device: every tensor follows, results equal the CPU's.

Without a GPU the ``meta`` device stands in: it runs shapes only, so any tensor the
engine left on the CPU (or created there at run time) makes an operation fail.
"""

from __future__ import annotations

import pytest
import torch

from qmlsec.circuits import QNNSpec
from qmlsec.engine import compile_circuit

SPECS = [
    QNNSpec(n_qubits=3, layers=2),
    QNNSpec(n_qubits=6, layers=2, encoding="angle", rotation="Z", entanglement="ring"),
]


def _tensors(obj, seen=None):
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, list | tuple):
        for v in obj:
            yield from _tensors(v, seen)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors(v, seen)
    elif (type(obj).__module__ or "").startswith("qmlsec.engine") and hasattr(obj, "__dict__"):
        for v in vars(obj).values():
            yield from _tensors(v, seen)


@pytest.mark.parametrize("spec", SPECS, ids=["qnn3", "ring6"])
@pytest.mark.parametrize("backward", ["auto", "stored", "adjoint", "autograd"])
def test_every_tensor_moves_and_every_mode_runs_on_the_device(spec, backward):
    cc = compile_circuit(spec.build(), spec.observables(), backward=backward, device="meta")
    x = torch.rand(4, spec.n_qubits, dtype=torch.float64, device="meta", requires_grad=True)
    theta = torch.rand(cc.n_weights, dtype=torch.float64, device="meta", requires_grad=True)
    out = cc.expectations(x, theta)
    out.sum().backward()
    assert out.device.type == theta.grad.device.type == x.grad.device.type == "meta"
    assert cc.state(x, theta).device.type == "meta"
    with torch.no_grad():
        assert cc.probabilities(x, theta).device.type == "meta"
    left = [t for t in _tensors(cc) if t.device.type != "meta"]
    assert not left, f"{len(left)} tensors left behind, e.g. {left[0].shape}"
    assert len(list(_tensors(cc))) > 10  # the walk reaches the plan's tensors


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("spec", SPECS, ids=["qnn3", "ring6"])
def test_cuda_equals_cpu(spec):
    cpu = compile_circuit(spec.build(), spec.observables())
    gpu = compile_circuit(spec.build(), spec.observables(), device="cuda")
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(8, spec.n_qubits, dtype=torch.float64, generator=gen)
    theta = torch.rand(cpu.n_weights, dtype=torch.float64, generator=gen)
    results = []
    for cc in (cpu, gpu):
        t = theta.clone().requires_grad_()
        out = cc.expectations(x, t)  # CPU inputs: moved to the circuit's device
        out.sum().backward()
        shots = cc.sample_expectations(x, theta, 100, torch.Generator().manual_seed(1))
        results.append((out.detach().cpu(), t.grad, shots.cpu()))
    (a, ga, sa), (b, gb, sb) = results
    assert torch.allclose(a, b, atol=1e-10) and torch.allclose(ga, gb, atol=1e-10)
    assert torch.equal(sa, sb)
