"""Load a labelled dataset from a CSV file with a header row.

Example:
    >>> import tempfile, pathlib
    >>> from qmlsec.data.csv_file import load_csv
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
    >>> _ = path.write_text("a,b,label\\n0,1,cat\\n1,0,dog\\n0.5,0.5,cat\\n")
    >>> ds = load_csv(path)
    >>> ds.feature_names, ds.class_names, ds.y.tolist()
    (('a', 'b'), ('cat', 'dog'), [0, 1, 0])
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from qmlsec.data.classes import encode_labels
from qmlsec.data.dataset import Dataset
from qmlsec.exceptions import DataError

_HINT_FORMAT = "the file needs a header row, then one sample per row with numeric feature columns"


def _read_rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise DataError(f"dataset file {str(path)!r} does not exist", hint="check the path")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = [row for row in csv.reader(fh) if any(cell.strip() for cell in row)]
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path.name}: not UTF-8 text ({exc.reason})", hint="save the file as UTF-8 CSV"
        ) from None
    except csv.Error as exc:
        raise DataError(f"{path.name}: malformed CSV ({exc})", hint=_HINT_FORMAT) from None
    if not rows:
        raise DataError(f"{path.name}: the file is empty", hint=_HINT_FORMAT)
    return rows


def _label_index(path: Path, header: list[str], label_column: str | None) -> int:
    if label_column is not None:
        if label_column not in header:
            raise DataError(
                f"{path.name}: label column {label_column!r} not found; columns are {header}",
                hint="pass the name of the column holding the class labels",
            )
        return header.index(label_column)
    return header.index("label") if "label" in header else len(header) - 1


def load_csv(path: str | Path, *, label_column: str | None = None) -> Dataset:
    """Read features and labels from a CSV file.

    The first non-blank row is the header. The label column is ``label_column``, else
    the column named ``"label"``, else the last column. Labels may be integers or
    strings; they are coded ``0..C-1`` in sorted order (see
    :func:`qmlsec.data.classes.encode_labels`). Every other column must be numeric.

    Args:
        path: The CSV file.
        label_column: Name of the label column.

    Raises:
        DataError: Missing or empty file, no data rows, duplicate or missing column
            names, a row of the wrong length, or a non-numeric / missing / NaN / inf
            feature value (the message names the column and the row).

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
        >>> _ = p.write_text("y,x\\n1,0.5\\n0,0.25\\n")
        >>> load_csv(p, label_column="y").X.tolist()
        [[0.5], [0.25]]
    """
    path = Path(path)
    rows = _read_rows(path)
    header = [h.strip() for h in rows[0]]
    if any(not h for h in header):
        raise DataError(
            f"{path.name}: the header has an empty column name: {rows[0]}", hint=_HINT_FORMAT
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DataError(
            f"{path.name}: duplicate column names {dupes}", hint="give every column a unique name"
        )
    if len(header) < 2:
        raise DataError(
            f"{path.name}: needs at least one feature column and a label column, got {header}",
            hint=_HINT_FORMAT,
        )
    data = rows[1:]
    if not data:
        raise DataError(f"{path.name}: has a header but no data rows", hint=_HINT_FORMAT)
    label_at = _label_index(path, header, label_column)
    features = [i for i in range(len(header)) if i != label_at]
    X = np.empty((len(data), len(features)), dtype=np.float64)
    labels: list[str] = []
    for r, row in enumerate(data, start=1):
        if len(row) != len(header):
            raise DataError(
                f"{path.name}: data row {r} has {len(row)} fields, the header has {len(header)}",
                hint="every row needs one value per column",
            )
        label = row[label_at].strip()
        if not label:
            raise DataError(
                f"{path.name}: data row {r} has no label in column {header[label_at]!r}",
                hint="give every row a class label",
            )
        labels.append(label)
        for j, c in enumerate(features):
            cell = row[c].strip()
            try:
                value = float(cell)
            except ValueError:
                what = "is empty" if not cell else f"is not numeric: {cell!r}"
                raise DataError(
                    f"{path.name}: column {header[c]!r}, data row {r} {what}",
                    hint="feature columns must be numbers; encode categories or drop the column",
                ) from None
            if not math.isfinite(value):
                raise DataError(
                    f"{path.name}: column {header[c]!r}, data row {r} is {cell!r} (NaN/inf)",
                    hint="impute or drop rows with missing values",
                )
            X[r - 1, j] = value
    y, class_names = encode_labels(labels)
    return Dataset(
        X=X,
        y=y,
        feature_names=tuple(header[c] for c in features),
        class_names=class_names,
        name=path.name,
        description=f"CSV file {path.name} (label column {header[label_at]!r})",
    )
