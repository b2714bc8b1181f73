"""Tests of the Dataset record."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.data.dataset import Dataset
from qmlsec.exceptions import DataError


def _make(**kw):
    args = dict(
        X=np.arange(8.0).reshape(4, 2),
        y=np.array([0, 1, 0, 1]),
        feature_names=("a", "b"),
        class_names=("p", "q"),
        name="t",
    )
    args.update(kw)
    return Dataset(**args)


class TestDataset:
    def test_casts_and_freezes_arrays(self):
        """X becomes float64, y int64, and neither can be written."""
        ds = _make(X=np.arange(8).reshape(4, 2), y=np.array([0, 1, 0, 1], dtype=np.int32))
        assert ds.X.dtype == np.float64 and ds.y.dtype == np.int64
        with pytest.raises(ValueError):
            ds.X[0, 0] = 5.0
        assert ds.class_counts().tolist() == [2, 2]

    def test_input_array_is_copied(self):
        """Mutating the caller's array does not change the dataset."""
        X = np.zeros((2, 1))
        ds = Dataset(X, np.array([0, 1]), ("f",), ("a", "b"), "t")
        X[0, 0] = 9.0
        assert ds.X[0, 0] == 0.0

    @pytest.mark.parametrize(
        ("kw", "match"),
        [
            ({"X": np.zeros(4)}, "must be 2-D"),
            ({"y": np.array([0, 1])}, "but X has 4 rows"),
            ({"y": np.array([0.0, 1.0, 0.0, 1.0])}, "expected integers"),
            ({"y": np.array([0, 1, 2, 1])}, r"labels must lie in 0..1"),
            ({"feature_names": ("a",)}, "1 feature names for 2 features"),
            ({"X": np.array([[0, 1], [np.nan, 0], [0, 0], [1, 1]])}, "row 1, column 0"),
        ],
    )
    def test_rejects_inconsistent_fields(self, kw, match):
        """Each inconsistency raises DataError with a precise message."""
        with pytest.raises(DataError, match=match):
            _make(**kw)

    def test_subset_keeps_classes(self):
        """subset keeps names and classes, in the order of the indices."""
        sub = _make().subset([3, 0])
        assert sub.X.tolist() == [[6.0, 7.0], [0.0, 1.0]]
        assert sub.class_names == ("p", "q") and sub.n_classes == 2
