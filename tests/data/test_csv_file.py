"""Tests of the CSV loader and its error messages."""

from __future__ import annotations

import pytest

from qmlsec.data.csv_file import load_csv
from qmlsec.exceptions import DataError


def _write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


class TestLoadCsv:
    def test_label_column_named_label(self, tmp_path):
        """The 'label' column is used wherever it is; string labels are coded."""
        ds = load_csv(_write(tmp_path, "label,a,b\ndog,1,2\ncat,3,4\ndog,5,6\n"))
        assert ds.feature_names == ("a", "b") and ds.class_names == ("cat", "dog")
        assert ds.X.tolist() == [[1, 2], [3, 4], [5, 6]] and ds.y.tolist() == [1, 0, 1]

    def test_last_column_by_default(self, tmp_path):
        """Without a 'label' column the last column holds the labels."""
        ds = load_csv(_write(tmp_path, "a,b,cls\n1,2,0\n3,4,1\n"))
        assert ds.feature_names == ("a", "b") and ds.y.tolist() == [0, 1]

    def test_explicit_label_column(self, tmp_path):
        """label_column picks any column by name."""
        ds = load_csv(_write(tmp_path, "t,a,b\n1,0.5,9\n0,0.25,8\n"), label_column="b")
        assert ds.feature_names == ("t", "a") and ds.class_names == ("8", "9")

    @pytest.mark.parametrize(
        ("text", "match"),
        [
            ("", "the file is empty"),
            ("a,label\n", "header but no data rows"),
            ("a,b,label\n1,x2,0\n", "column 'b', data row 1 is not numeric: 'x2'"),
            ("a,b,label\n1,2,0\n3,,1\n", "column 'b', data row 2 is empty"),
            ("a,b,label\n1,2,0\n3,nan,1\n", r"column 'b', data row 2 is 'nan' \(NaN/inf\)"),
            ("a,b,label\n1,2,0\n3,inf,1\n", "NaN/inf"),
            ("a,b,label\n1,2,0\n3,4\n", "data row 2 has 2 fields, the header has 3"),
            ("a,a,label\n1,2,0\n", "duplicate column names"),
            ("label\n0\n", "at least one feature column"),
            ("a,label\n1,\n", "no label"),
        ],
    )
    def test_bad_files(self, tmp_path, text, match):
        """Each malformed file raises DataError saying what and where."""
        with pytest.raises(DataError, match=match) as info:
            load_csv(_write(tmp_path, text))
        assert info.value.hint

    def test_missing_file(self, tmp_path):
        """A missing file names the path."""
        with pytest.raises(DataError, match="does not exist"):
            load_csv(tmp_path / "nope.csv")

    def test_unknown_label_column(self, tmp_path):
        """A label column that is not in the header lists the columns."""
        with pytest.raises(
            DataError, match=r"label column 'y' not found; columns are \['a', 'b'\]"
        ):
            load_csv(_write(tmp_path, "a,b\n1,2\n"), label_column="y")
