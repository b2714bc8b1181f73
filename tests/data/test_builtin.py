"""Tests of the built-in datasets."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.data.builtin import BUILTIN_DATASETS, load_builtin
from qmlsec.exceptions import ConfigError


class TestBundled:
    @pytest.mark.parametrize(
        ("name", "shape", "n_classes"),
        [
            ("digits", (1797, 64), 10),
            ("iris", (150, 4), 3),
            ("wine", (178, 13), 3),
            ("breast_cancer", (569, 30), 2),
        ],
    )
    def test_shapes(self, name, shape, n_classes):
        """Each bundled set loads offline with its known shape and classes."""
        ds = load_builtin(name)
        assert ds.X.shape == shape and ds.n_classes == n_classes
        assert len(ds.feature_names) == shape[1] and ds.name == name

    def test_noise_rejected_for_bundled(self):
        """noise on a bundled set is a ConfigError."""
        with pytest.raises(ConfigError, match="synthetic datasets only"):
            load_builtin("iris", noise=0.1)


class TestSynthetic:
    @pytest.mark.parametrize(("name", "n_classes"), [("moons", 2), ("circles", 2), ("blobs", 3)])
    def test_seeded(self, name, n_classes):
        """Equal seeds give equal data, different seeds different data."""
        a = load_builtin(name, n_samples=60, seed=1)
        b = load_builtin(name, n_samples=60, seed=1)
        c = load_builtin(name, n_samples=60, seed=2)
        assert a.X.shape == (60, 2) and a.n_classes == n_classes
        assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
        assert not np.array_equal(a.X, c.X)

    def test_noise_changes_spread(self):
        """More noise spreads moons further from the noiseless curve."""
        clean = load_builtin("moons", n_samples=100, noise=0.0, seed=0)
        noisy = load_builtin("moons", n_samples=100, noise=0.3, seed=0)
        assert np.std(noisy.X - clean.X) > 0.1

    def test_unknown_name(self):
        """Unknown names list the valid ones."""
        with pytest.raises(ConfigError, match="unknown built-in dataset 'mnist'"):
            load_builtin("mnist")
        assert "digits" in BUILTIN_DATASETS
