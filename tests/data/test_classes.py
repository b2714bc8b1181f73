"""Tests of class parsing, encoding and selection."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.data.classes import encode_labels, parse_classes, select_classes
from qmlsec.data.dataset import Dataset
from qmlsec.exceptions import ConfigError, DataError


class TestParseClasses:
    @pytest.mark.parametrize(
        ("spec", "expected"),
        [
            ("0-3", (0, 1, 2, 3)),
            ("0,1,7", (0, 1, 7)),
            ("0-1, 5-6", (0, 1, 5, 6)),
            ("4", (4,)),
            ([2, 0], (2, 0)),
            (None, None),
        ],
    )
    def test_parses(self, spec, expected):
        """Ranges and lists parse to tuples of ints."""
        assert parse_classes(spec) == expected

    @pytest.mark.parametrize(
        ("spec", "match"),
        [
            ("a", "not an integer"),
            ("3-1", "reversed"),
            ("0,0", "repeats"),
            ("1,,2", "empty part"),
            ("", "empty part"),
        ],
    )
    def test_rejects_bad_specs(self, spec, match):
        """Bad specs raise ConfigError naming the problem."""
        with pytest.raises(ConfigError, match=match):
            parse_classes(spec)


class TestEncodeLabels:
    def test_numeric_labels_sort_numerically(self):
        """'10' sorts after '9' and codes follow."""
        y, names = encode_labels(["10", "9", "10"])
        assert names == ("9", "10") and y.tolist() == [1, 0, 1]

    def test_string_labels(self):
        """Strings are coded in sorted order."""
        y, names = encode_labels(np.array(["b", "a", "b"]))
        assert names == ("a", "b") and y.tolist() == [1, 0, 1]


class TestSelectClasses:
    def test_remaps_in_given_order(self):
        """Selected labels become 0..k-1 in the order given, names kept."""
        ds = Dataset(
            np.arange(4.0)[:, None], np.array([0, 1, 2, 3]), ("f",), ("a", "b", "c", "d"), "t"
        )
        sub = select_classes(ds, (3, "b"))
        assert sub.class_names == ("d", "b")
        assert sub.X.ravel().tolist() == [1.0, 3.0] and sub.y.tolist() == [1, 0]

    def test_unknown_class(self):
        """A class that does not exist is a DataError listing the valid ones."""
        ds = Dataset(np.zeros((2, 1)), np.array([0, 1]), ("f",), ("a", "b"), "t")
        with pytest.raises(DataError, match="class 5 is not in dataset 't'"):
            select_classes(ds, (0, 5))
