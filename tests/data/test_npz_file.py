"""Tests of the NPZ loader and its error messages."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.data.npz_file import load_npz
from qmlsec.exceptions import DataError


def _save(tmp_path, **arrays):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    return path


class TestLoadNpz:
    def test_loads_with_names(self, tmp_path):
        """X, y and optional names load; integer codes index class_names."""
        path = _save(
            tmp_path,
            X=np.arange(6.0).reshape(3, 2),
            y=np.array([1, 0, 1]),
            feature_names=np.array(["u", "v"]),
            class_names=np.array(["neg", "pos"]),
        )
        ds = load_npz(path)
        assert ds.feature_names == ("u", "v") and ds.class_names == ("neg", "pos")
        assert ds.y.tolist() == [1, 0, 1] and ds.X.dtype == np.float64

    def test_string_labels(self, tmp_path):
        """String labels are coded in sorted order."""
        ds = load_npz(_save(tmp_path, X=np.zeros((2, 1)), y=np.array(["b", "a"])))
        assert ds.class_names == ("a", "b") and ds.y.tolist() == [1, 0]

    def test_object_array_refused(self, tmp_path):
        """An object array is refused without unpickling it, naming the array."""
        path = _save(tmp_path, X=np.zeros((2, 1)), y=np.array([0, 1], dtype=object))
        with pytest.raises(DataError, match="array 'y' is an object array"):
            load_npz(path)

    @pytest.mark.parametrize(
        ("arrays", "match"),
        [
            ({"X": np.zeros((2, 1))}, r"missing array\(s\) \['y'\]"),
            ({"X": np.zeros(3), "y": np.zeros(3, int)}, "X must be 2-D"),
            ({"X": np.zeros((3, 2)), "y": np.zeros(2, int)}, "y has 2 labels but X has 3 rows"),
            ({"X": np.array([[0.0], [np.inf]]), "y": np.array([0, 1])}, "first at row 1, column 0"),
            ({"X": np.array([["a"], ["b"]]), "y": np.array([0, 1])}, "non-numeric dtype"),
            ({"X": np.zeros((2, 1)), "y": np.array([0.5, 1.0])}, "non-integer float labels"),
            (
                {"X": np.zeros((2, 1)), "y": np.array([0, 2]), "class_names": np.array(["a", "b"])},
                "class_names has 2 entries",
            ),
        ],
    )
    def test_bad_archives(self, tmp_path, arrays, match):
        """Each malformed archive raises DataError with what was wrong and a hint."""
        with pytest.raises(DataError, match=match) as info:
            load_npz(_save(tmp_path, **arrays))
        assert info.value.hint

    def test_empty_and_corrupt(self, tmp_path):
        """Empty and non-zip files are reported as such."""
        (tmp_path / "e.npz").write_bytes(b"")
        (tmp_path / "c.npz").write_bytes(b"not a zip")
        with pytest.raises(DataError, match="the file is empty"):
            load_npz(tmp_path / "e.npz")
        with pytest.raises(DataError, match="not a readable .npz"):
            load_npz(tmp_path / "c.npz")
        with pytest.raises(DataError, match="does not exist"):
            load_npz(tmp_path / "missing.npz")
