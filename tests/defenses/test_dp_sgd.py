"""DP-SGD: the Rényi accountant against reference values, clipping and noise, private training."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from qmlsec.defenses.trainer.dp_sgd import DPSGD, clip_and_noise
from qmlsec.defenses.trainer.rdp_accountant import (
    RDPAccountant,
    epsilon_from_rdp,
    rdp_subsampled_gaussian,
)
from qmlsec.exceptions import ConfigError


def test_rdp_matches_the_reference_accountant():
    # Google dp_accounting's test values for q = 0.01, sigma = 2.5, 50 steps
    orders = [2.5, 5, 50, 100]
    reference = [1.08548710e-03, 2.18075656e-03, 2.38460375e-02, 1.67416308e02]
    got = RDPAccountant(0.01, 2.5, 50).rdp(orders)
    np.testing.assert_allclose(got, reference, rtol=1e-4)


@pytest.mark.parametrize("alpha", [1.5, 2.5, 3.0, 7.25])
def test_rdp_is_the_moment_of_the_privacy_loss(alpha):
    q, sigma = 0.05, 1.3

    def integrand(z: float) -> float:
        ratio = (1 - q) + q * math.exp((2 * z - 1) / (2 * sigma**2))
        return stats.norm.pdf(z, 0, sigma) * ratio**alpha

    a_alpha = integrate.quad(integrand, -40, 40, limit=400)[0]
    assert rdp_subsampled_gaussian(q, sigma, alpha) == pytest.approx(
        math.log(a_alpha) / (alpha - 1), rel=1e-6
    )


def test_epsilon_of_the_gaussian_mechanism_matches_the_reference_within_one_percent():
    # sigma = 4.530877117 is exactly (1, 1e-6)-DP for one Gaussian release (q = 1)
    orders = [1 + 0.001 * i for i in range(1, 99000)]
    eps = RDPAccountant(1.0, 4.530877117, 1).epsilon(1e-6, orders=orders)
    assert eps == pytest.approx(1.0, rel=0.01)


def test_epsilon_conversion_of_a_constant_rdp_curve():
    eps, order = epsilon_from_rdp(range(2, 33), [1.1] * 31, 1e-5)
    assert eps == pytest.approx(1.32783806176, rel=1e-9)
    assert order == 32


def test_more_noise_or_fewer_steps_cost_less_privacy():
    base = RDPAccountant(0.1, 1.0, 100).epsilon(1e-5)
    assert RDPAccountant(0.1, 2.0, 100).epsilon(1e-5) < base
    assert RDPAccountant(0.1, 1.0, 10).epsilon(1e-5) < base
    assert RDPAccountant(0.1, 0.0, 1).epsilon(1e-5) == math.inf


def test_bad_accounting_input_is_a_config_error():
    with pytest.raises(ConfigError):
        rdp_subsampled_gaussian(1.5, 1.0, 2)
    with pytest.raises(ConfigError):
        epsilon_from_rdp([2], [0.1], 0.0)


def test_clipping_bounds_each_sample_and_noise_follows_sigma():
    gen = torch.Generator().manual_seed(0)
    grads = [torch.tensor([[30.0, 40.0], [0.3, 0.4]], dtype=torch.float64)]
    clean = clip_and_noise(grads, clip_norm=1.0, noise_multiplier=0.0, denominator=1.0, gen=gen)
    np.testing.assert_allclose(clean[0].numpy(), [0.6 + 0.3, 0.8 + 0.4])  # first row clipped
    draws = torch.stack([
        clip_and_noise([torch.zeros((1, 4000), dtype=torch.float64)], 2.0, 1.5, 1.0, gen)[0]
    ])  # fmt: skip
    assert float(draws.std()) == pytest.approx(3.0, rel=0.05)


def test_private_training_records_the_accountant_epsilon():
    gen = np.random.default_rng(0)
    X = np.vstack([gen.normal(-1, 0.3, (20, 4)), gen.normal(1, 0.3, (20, 4))])
    y = np.array([0] * 20 + [1] * 20)
    dp = DPSGD({"epochs": 2, "lot_size": 10, "noise_multiplier": 1.0}, seed=0)
    dp.recipe = {"n_qubits": 4, "layers": 1, "epochs": 2, "lr": 0.1}
    clf = dp.fit(X, y)
    acc = dp.accountant(len(X))
    assert acc.steps == 8 and acc.sampling_rate == pytest.approx(0.25)
    assert clf.dp_epsilon_ == pytest.approx(acc.epsilon(1e-5))
    assert 0 < clf.dp_epsilon_ < 20
    assert clf.score(X, y) >= 0.5


@pytest.mark.slow
def test_private_gradients_defeat_gradient_inversion(iris_victim):
    params = {"batch_sizes": [1], "steps": 30, "restarts": 2}
    ev = iris_victim.evaluate(DPSGD({"epochs": 2, "noise_multiplier": 1.0}, seed=0),
                              "inference.gradient_inversion", n_test=20, params=params)  # fmt: skip
    assert ev.without > 0.9  # batch of one: near-exact without the defense
    assert ev.with_defense < ev.without - 0.2
    assert ev.cost.extra["epsilon"] > 0
