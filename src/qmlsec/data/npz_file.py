"""Load a labelled dataset from a NumPy ``.npz`` archive, never unpickling anything.

The archive holds ``X`` (``(n_samples, n_features)``, numeric) and ``y``
(``(n_samples,)``, integers or strings) and optionally ``feature_names`` and
``class_names`` (string arrays).

Example:
    >>> import tempfile, pathlib, numpy as np
    >>> from qmlsec.data.npz_file import load_npz
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.npz"
    >>> np.savez(path, X=np.eye(4), y=np.array([0, 1, 0, 1]))
    >>> ds = load_npz(path)
    >>> ds.X.shape, ds.class_names
    ((4, 4), ('0', '1'))
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from qmlsec.data.classes import encode_labels
from qmlsec.data.dataset import Dataset
from qmlsec.exceptions import DataError

_HINT = "save with np.savez(path, X=features_2d, y=labels_1d) using numeric or string arrays"


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise DataError(f"dataset file {str(path)!r} does not exist", hint="check the path")
    if path.stat().st_size == 0:
        raise DataError(f"{path.name}: the file is empty", hint=_HINT)
    arrays: dict[str, np.ndarray] = {}
    try:
        with np.load(path, allow_pickle=False) as archive:
            for key in archive.files:
                try:
                    arrays[key] = archive[key]
                except ValueError as exc:
                    if "allow_pickle" in str(exc) or "Object arrays" in str(exc):
                        raise DataError(
                            f"{path.name}: array {key!r} is an object array, which would need pickle",
                            hint="store plain numeric or string arrays (no dtype=object)",
                        ) from None
                    raise
    except DataError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path.name}: not a readable .npz archive ({exc})", hint=_HINT) from None
    if not isinstance(arrays, dict) or not arrays:
        raise DataError(f"{path.name}: the archive holds no arrays", hint=_HINT)
    return arrays


def _names(
    path: Path, arrays: dict[str, np.ndarray], key: str, count: int
) -> tuple[str, ...] | None:
    if key not in arrays:
        return None
    names = arrays[key]
    if names.ndim != 1 or names.shape[0] != count:
        raise DataError(
            f"{path.name}: {key!r} has shape {names.shape}, expected ({count},)",
            hint=f"give one entry in {key!r} per {'column' if key == 'feature_names' else 'class'}",
        )
    return tuple(str(n) for n in names.tolist())


def load_npz(path: str | Path) -> Dataset:
    """Read ``X`` and ``y`` (and optional names) from an ``.npz`` file.

    Integer labels with ``class_names`` present are taken as codes into it; otherwise
    labels are coded ``0..C-1`` in sorted order of value.

    Raises:
        DataError: Missing/empty/corrupt file, object arrays, missing ``X``/``y``,
            wrong shapes or dtypes, NaN/inf, or labels that do not match the rows.

    Example:
        >>> import tempfile, pathlib, numpy as np
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.npz"
        >>> np.savez(p, X=np.ones((2, 3)), y=np.array([1, 0]), class_names=np.array(["a", "b"]))
        >>> load_npz(p).class_names
        ('a', 'b')
    """
    path = Path(path)
    arrays = _read_arrays(path)
    missing = [k for k in ("X", "y") if k not in arrays]
    if missing:
        raise DataError(
            f"{path.name}: missing array(s) {missing}; found {sorted(arrays)}", hint=_HINT
        )
    X, y = arrays["X"], arrays["y"]
    if X.ndim != 2:
        raise DataError(
            f"{path.name}: X must be 2-D (n_samples, n_features), got shape {X.shape}", hint=_HINT
        )
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"{path.name}: X is empty (shape {X.shape})", hint=_HINT)
    if not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise DataError(
            f"{path.name}: X has non-numeric dtype {X.dtype}", hint="features must be real numbers"
        )
    if y.ndim != 1:
        raise DataError(f"{path.name}: y must be 1-D, got shape {y.shape}", hint=_HINT)
    if y.shape[0] != X.shape[0]:
        raise DataError(
            f"{path.name}: y has {y.shape[0]} labels but X has {X.shape[0]} rows",
            hint="give exactly one label per row of X",
        )
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        row, col = (int(v) for v in bad[0])
        raise DataError(
            f"{path.name}: X contains NaN or inf ({len(bad)} value(s), first at row {row}, column {col})",
            hint="impute or drop rows with missing values",
        )
    if not (
        np.issubdtype(y.dtype, np.integer)
        or np.issubdtype(y.dtype, np.floating)
        or y.dtype.kind == "U"
    ):
        raise DataError(
            f"{path.name}: y has unsupported dtype {y.dtype}", hint="use integer or string labels"
        )
    if y.dtype.kind == "f" and not np.all(np.isfinite(y) & (y == np.round(y))):
        raise DataError(
            f"{path.name}: y has non-integer float labels", hint="use integer or string labels"
        )
    class_names = _names(path, arrays, "class_names", len(arrays.get("class_names", [])))
    if class_names is not None and y.dtype.kind in "iuf":
        codes = y.astype(np.int64)
        if codes.min() < 0 or codes.max() >= len(class_names):
            raise DataError(
                f"{path.name}: labels span {codes.min()}..{codes.max()} but class_names has {len(class_names)} entries",
                hint="labels must be codes 0..len(class_names)-1",
            )
    else:
        codes, class_names = encode_labels(y)
    feature_names = _names(path, arrays, "feature_names", X.shape[1])
    return Dataset(
        X=X.astype(np.float64),
        y=codes,
        feature_names=feature_names or tuple(f"x{i}" for i in range(X.shape[1])),
        class_names=class_names,
        name=path.name,
        description=f"NPZ file {path.name}",
    )
