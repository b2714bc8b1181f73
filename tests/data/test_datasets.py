"""Tests of load_dataset."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.data.datasets import available_datasets, load_dataset
from qmlsec.exceptions import ConfigError, DataError


class TestLoadDataset:
    def test_digits_class_subset(self):
        """classes=(0,1,2,3) keeps those digits, relabelled 0..3 with names kept."""
        ds = load_dataset("digits", classes=(0, 1, 2, 3))
        assert ds.n_classes == 4 and ds.class_names == ("0", "1", "2", "3")
        assert ds.class_counts().tolist() == [178, 182, 177, 183]

    def test_class_range_string_and_names(self):
        """'1-2' and class names select the same rows."""
        a = load_dataset("iris", classes="1-2")
        b = load_dataset("iris", classes=("versicolor", "virginica"))
        assert a.class_names == ("versicolor", "virginica") and np.array_equal(a.X, b.X)

    def test_stratified_subsample(self):
        """n_samples on a bundled set keeps class proportions and is seeded."""
        a = load_dataset("iris", n_samples=30, seed=4)
        b = load_dataset("iris", n_samples=30, seed=4)
        assert a.class_counts().tolist() == [10, 10, 10] and np.array_equal(a.X, b.X)
        assert not np.array_equal(a.X, load_dataset("iris", n_samples=30, seed=5).X)

    def test_synthetic_options(self):
        """n_samples and noise reach the generator."""
        ds = load_dataset("circles", n_samples=80, noise=0.0, seed=0)
        radii = np.linalg.norm(ds.X, axis=1)
        assert ds.n_samples == 80 and np.allclose(np.sort(np.unique(radii.round(6))), [0.5, 1.0])

    def test_files(self, tmp_path):
        """.csv and .npz paths dispatch to the file loaders."""
        (tmp_path / "d.csv").write_text("a,label\n1,x\n2,y\n3,x\n4,y\n")
        np.savez(tmp_path / "d.npz", X=np.eye(4), y=np.array([0, 1, 0, 1]))
        assert load_dataset(tmp_path / "d.csv").class_names == ("x", "y")
        assert load_dataset(str(tmp_path / "d.npz")).n_features == 4

    def test_single_class_file(self, tmp_path):
        """A file with one class is refused."""
        (tmp_path / "one.csv").write_text("a,label\n1,x\n2,x\n")
        with pytest.raises(DataError, match=r"single class \('x'\)"):
            load_dataset(tmp_path / "one.csv")

    def test_min_per_class_names_class(self, tmp_path):
        """A class below the minimum is named; the minimum is configurable."""
        (tmp_path / "few.csv").write_text("a,label\n1,x\n2,x\n3,x\n4,y\n5,y\n")
        with pytest.raises(
            DataError, match=r"class 'y' \(label 1\) has 2 sample\(s\), fewer than the minimum 3"
        ):
            load_dataset(tmp_path / "few.csv", min_per_class=3)
        assert load_dataset(tmp_path / "few.csv").n_samples == 5

    def test_unknown_and_unsupported(self, tmp_path):
        """Unknown names are ConfigError; existing files of other types DataError."""
        with pytest.raises(ConfigError, match="unknown dataset 'nope'"):
            load_dataset("nope")
        (tmp_path / "d.txt").write_text("x")
        with pytest.raises(DataError, match="unsupported dataset file type '.txt'"):
            load_dataset(tmp_path / "d.txt")
        with pytest.raises(DataError, match="does not exist"):
            load_dataset(tmp_path / "gone.csv")
        with pytest.raises(ConfigError, match="n_samples=999"):
            load_dataset("iris", n_samples=999)
        assert set(available_datasets()) >= {
            "digits",
            "iris",
            "wine",
            "breast_cancer",
            "moons",
            "circles",
            "blobs",
        }
