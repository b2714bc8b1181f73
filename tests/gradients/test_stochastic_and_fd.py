"""SPSA is unbiased and seeded; finite differences approximate backprop."""

from __future__ import annotations

import math

import pytest
import torch

from qmlsec.circuits import QNNSpec
from qmlsec.engine import compile_circuit
from qmlsec.exceptions import ConfigError
from qmlsec.gradients import SPSA, get_gradient


def _setup():
    spec = QNNSpec(n_qubits=3, layers=1)
    cc = compile_circuit(spec.build())
    gen = torch.Generator().manual_seed(3)
    x = torch.rand(2, 3, dtype=torch.float64, generator=gen)
    theta = torch.rand(spec.n_weights, dtype=torch.float64, generator=gen) * 3
    theta.requires_grad_()
    exact = torch.autograd.grad(cc.expectations(x, theta).sum(), theta)[0]
    return cc, x, theta, exact


def _spsa_grad(method, cc, x, theta):
    return torch.autograd.grad(method.expectations(cc, x, theta).sum(), theta)[0]


def test_spsa_is_unbiased_in_expectation():
    cc, x, theta, exact = _setup()
    method = SPSA(c=1e-3, resamples=1, seed=11)
    samples = torch.stack([_spsa_grad(method, cc, x, theta) for _ in range(400)])
    mean, sem = samples.mean(0), samples.std(0) / math.sqrt(len(samples))
    assert ((mean - exact).abs() <= 4 * sem + 1e-6).all()
    assert sem.max() > 0  # the estimates do vary


def test_spsa_is_reproducible_from_its_seed():
    cc, x, theta, _ = _setup()
    a = [_spsa_grad(SPSA(c=0.01, resamples=3, seed=5), cc, x, theta) for _ in range(2)]
    b = _spsa_grad(SPSA(c=0.01, resamples=3, seed=6), cc, x, theta)
    assert torch.equal(a[0], a[1])
    assert not torch.equal(a[0], b)


def test_spsa_with_explicit_generator():
    cc, x, theta, _ = _setup()
    g1 = _spsa_grad(SPSA(generator=torch.Generator().manual_seed(1)), cc, x, theta)
    g2 = _spsa_grad(SPSA(generator=torch.Generator().manual_seed(1)), cc, x, theta)
    assert torch.equal(g1, g2)


def test_finite_differences_approximate_backprop():
    cc, x, theta, exact = _setup()
    fd = torch.autograd.grad(
        get_gradient("finite-diff", h=1e-4).expectations(cc, x, theta).sum(), theta
    )[0]
    torch.testing.assert_close(fd, exact, atol=1e-7, rtol=0)


def test_bad_options_raise_config_errors():
    with pytest.raises(ConfigError):
        get_gradient("adjoint-magic")
    with pytest.raises(ConfigError):
        get_gradient("spsa", c=-1.0)
    with pytest.raises(ConfigError):
        get_gradient("finite-diff", h=0.0)
    with pytest.raises(ConfigError):
        get_gradient("parameter-shift", nonsense=1)


def test_shot_executor_works_with_parameter_shift():
    cc, x, theta, exact = _setup()
    f = cc.executor(shots=20_000, generator=torch.Generator().manual_seed(0))
    grad = torch.autograd.grad(
        get_gradient("parameter-shift").expectations(cc, x, theta, f).sum(), theta
    )[0]
    assert (grad - exact).abs().max() < 0.1
