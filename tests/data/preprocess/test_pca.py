"""Tests of PCA and its torch transform."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA as SkPCA

from qmlsec.data.datasets import load_dataset
from qmlsec.data.preprocess.pca import PCA
from qmlsec.exceptions import ConfigError, DataError


@pytest.fixture(scope="module")
def digits_x():
    return load_dataset("digits", classes="0-3").X


class TestPCA:
    def test_matches_sklearn_up_to_sign(self, digits_x):
        """Projections equal scikit-learn's up to the sign of each component."""
        ours = PCA(6).fit(digits_x).transform(digits_x)
        ref = SkPCA(6, svd_solver="full").fit_transform(digits_x)
        signs = np.sign(np.sum(ours * ref, axis=0))
        np.testing.assert_allclose(ours, ref * signs, atol=1e-8)

    def test_torch_matches_numpy(self, digits_x):
        """torch_transform agrees with transform to 1e-12."""
        pca = PCA(8).fit(digits_x)
        out = pca.torch_transform(torch.tensor(digits_x)).numpy()
        assert out.dtype == np.float64
        assert np.max(np.abs(out - pca.transform(digits_x))) < 1e-12

    def test_gradient_matches_finite_differences(self, digits_x):
        """Input gradients of a scalar of the output match central differences."""
        pca = PCA(4).fit(digits_x)
        x0 = digits_x[:3].copy()
        weights = np.random.default_rng(0).normal(size=(3, 4))

        def f(x):
            return float(np.sum(pca.transform(x) * weights))

        x = torch.tensor(x0, requires_grad=True)
        (pca.torch_transform(x) * torch.tensor(weights)).sum().backward()
        eps = 1e-6
        fd = np.zeros_like(x0)
        for idx in np.ndindex(x0.shape):
            up, down = x0.copy(), x0.copy()
            up[idx] += eps
            down[idx] -= eps
            fd[idx] = (f(up) - f(down)) / (2 * eps)
        np.testing.assert_allclose(x.grad.numpy(), fd, atol=1e-6)

    def test_deterministic_sign_and_reconstruction(self, digits_x):
        """Two fits agree exactly; inverse_transform of all components is exact."""
        a, b = PCA(5).fit(digits_x), PCA(5).fit(digits_x)
        assert np.array_equal(a.components_, b.components_)
        small = digits_x[:, :5]
        full = PCA(5).fit(small)
        np.testing.assert_allclose(full.inverse_transform(full.transform(small)), small, atol=1e-10)

    def test_invalid(self, digits_x):
        """Too many components, bad n_components, unfitted use and wrong widths fail."""
        with pytest.raises(
            ConfigError, match=r"n_components=65 exceeds min\(n_samples=720, n_features=64\)"
        ):
            PCA(65).fit(digits_x)
        with pytest.raises(ConfigError, match="integer >= 1"):
            PCA(0)
        with pytest.raises(ConfigError, match="not fitted"):
            PCA(2).transform(digits_x)
        with pytest.raises(DataError, match=r"expects input of shape \(n, 64\)"):
            PCA(2).fit(digits_x).transform(digits_x[:, :10])
