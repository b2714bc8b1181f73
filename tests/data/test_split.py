"""Tests of the stratified split."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.data.datasets import load_dataset
from qmlsec.data.split import split
from qmlsec.exceptions import ConfigError


class TestSplit:
    def test_stratified(self):
        """Each class sends round(test_size * n_k) samples to the test set."""
        ds = load_dataset("digits", classes="0-3")
        train, test = split(ds, test_size=0.25, seed=0)
        expected = [round(0.25 * c) for c in ds.class_counts().tolist()]
        assert test.class_counts().tolist() == expected
        assert (train.class_counts() + test.class_counts()).tolist() == ds.class_counts().tolist()

    def test_partition_without_overlap(self):
        """Train and test rows together are exactly the dataset's rows."""
        ds = load_dataset("iris")
        train, test = split(ds, seed=3)
        rows = {
            tuple(r) + (int(c),)
            for r, c in zip(
                np.vstack([train.X, test.X]), np.concatenate([train.y, test.y]), strict=True
            )
        }
        assert len(rows) == len({tuple(r) + (int(c),) for r, c in zip(ds.X, ds.y, strict=True)})
        assert train.n_samples + test.n_samples == ds.n_samples

    def test_deterministic_for_seed(self):
        """Same seed, same split; another seed, another split."""
        ds = load_dataset("wine")
        a, b, c = split(ds, seed=7)[1], split(ds, seed=7)[1], split(ds, seed=8)[1]
        assert np.array_equal(a.X, b.X) and not np.array_equal(a.X, c.X)

    def test_tiny_class_keeps_one_each_side(self):
        """A class of 2 puts one sample on each side even for small test_size."""
        ds = load_dataset("moons", n_samples=40).subset(list(range(38)))
        ds2 = ds.subset(np.concatenate([np.flatnonzero(ds.y == 0)[:2], np.flatnonzero(ds.y == 1)]))
        train, test = split(ds2, test_size=0.05, seed=0)
        assert test.class_counts()[0] == 1 and train.class_counts()[0] == 1

    @pytest.mark.parametrize("size", [0.0, 1.0, -0.1, 2])
    def test_bad_test_size(self, size):
        """test_size outside (0, 1) is a ConfigError."""
        with pytest.raises(ConfigError, match="test_size must be in"):
            split(load_dataset("iris"), test_size=size)
