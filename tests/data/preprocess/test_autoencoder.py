"""Tests of the convolutional autoencoder reduction."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from qmlsec.data.datasets import load_dataset
from qmlsec.data.preprocess.autoencoder import ConvAutoencoder
from qmlsec.data.split import split
from qmlsec.exceptions import ConfigError


@pytest.fixture(scope="module")
def digits():
    return split(load_dataset("digits", classes="0-3"), seed=0)


@pytest.fixture(scope="module")
def trained(digits):
    train, _ = digits
    return ConvAutoencoder(n_components=6, epochs=8).fit(train.X, seed=3)


class TestConvAutoencoder:
    def test_training_reduces_reconstruction_error(self, digits, trained):
        """Held-out reconstruction error after training is well below one epoch's."""
        train, test = digits
        short = ConvAutoencoder(n_components=6, epochs=1, learning_rate=1e-4).fit(train.X, seed=3)
        assert trained.reconstruction_error(test.X) < 0.6 * short.reconstruction_error(test.X)
        assert trained.transform(test.X).shape == (test.n_samples, 6)

    def test_deterministic_for_seed(self, digits, trained):
        """Same seed, identical encoder outputs; another seed, different ones."""
        train, test = digits
        again = ConvAutoencoder(n_components=6, epochs=8).fit(train.X, seed=3)
        other = ConvAutoencoder(n_components=6, epochs=8).fit(train.X, seed=4)
        assert np.array_equal(again.transform(test.X), trained.transform(test.X))
        assert not np.allclose(other.transform(test.X), trained.transform(test.X))

    def test_does_not_touch_global_rng(self, digits):
        """Fitting leaves torch's global RNG state as it was."""
        before = torch.random.get_rng_state()
        ConvAutoencoder(n_components=2, epochs=1).fit(digits[0].X[:64], seed=0)
        assert torch.equal(before, torch.random.get_rng_state())

    def test_torch_twin_and_gradients(self, digits, trained):
        """torch_transform matches transform and gives input gradients."""
        test = digits[1]
        x = torch.tensor(test.X[:5], requires_grad=True)
        out = trained.torch_transform(x)
        assert np.max(np.abs(out.detach().numpy() - trained.transform(test.X[:5]))) < 1e-12
        out.sum().backward()
        assert x.grad.abs().sum() > 0

    def test_state_round_trip(self, digits, trained):
        """from_state(get_config, get_arrays) reproduces outputs exactly."""
        clone = ConvAutoencoder.from_state(trained.get_config(), trained.get_arrays())
        test = digits[1]
        assert np.array_equal(clone.transform(test.X), trained.transform(test.X))
        assert all(a.dtype == np.float64 for a in trained.get_arrays().values())

    def test_non_square_needs_image_shape(self):
        """Non-square inputs need image_shape; a rectangular shape works."""
        X = np.random.default_rng(0).random((20, 12))
        with pytest.raises(ConfigError, match="cannot infer an image shape for 12 features"):
            ConvAutoencoder(n_components=2, epochs=1).fit(X)
        ae = ConvAutoencoder(n_components=2, image_shape=(3, 4), epochs=1).fit(X)
        assert ae.transform(X).shape == (20, 2)
        with pytest.raises(ConfigError, match="exceeds n_features=12"):
            ConvAutoencoder(n_components=13, image_shape=(3, 4)).fit(X)

    @pytest.mark.slow
    def test_default_fit_on_digits_is_fast(self):
        """The default 30-epoch fit on all 8x8 digits takes under 10 s on CPU."""
        X = load_dataset("digits").X
        start = time.perf_counter()
        ConvAutoencoder(n_components=8).fit(X, seed=0)
        assert time.perf_counter() - start < 10.0
