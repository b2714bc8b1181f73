"""The :class:`Dataset` record every loader returns.

Example:
    >>> import numpy as np
    >>> from qmlsec.data.dataset import Dataset
    >>> ds = Dataset(
    ...     X=np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [1.0, 1.0]]),
    ...     y=np.array([0, 1, 0, 1]),
    ...     feature_names=("a", "b"),
    ...     class_names=("neg", "pos"),
    ...     name="toy",
    ... )
    >>> ds.n_samples, ds.n_features, ds.n_classes
    (4, 2, 2)
    >>> ds.class_counts().tolist()
    [2, 2]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qmlsec.exceptions import DataError


def _frozen(array: np.ndarray) -> np.ndarray:
    out = np.array(array, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class Dataset:
    """A labelled, validated, read-only dataset.

    Attributes:
        X: Features, ``float64`` of shape ``(n_samples, n_features)``, all finite.
        y: Labels, ``int64`` of shape ``(n_samples,)`` with values in ``0..n_classes-1``.
        feature_names: One name per column of ``X``.
        class_names: One name per class; ``class_names[k]`` names label ``k``.
        name: Short identifier (``"digits"``, ``"my_data.csv"``).
        description: Free text: source, class subset, sampling.

    Raises:
        DataError: If shapes, dtypes, names or label values are inconsistent.

    Example:
        >>> import numpy as np
        >>> ds = Dataset(np.zeros((2, 1)), np.array([0, 1]), ("f",), ("a", "b"), "z")
        >>> ds.X.dtype, ds.y.dtype
        (dtype('float64'), dtype('int64'))
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    name: str
    description: str = field(default="")

    def __post_init__(self) -> None:
        X = np.asarray(self.X)
        y = np.asarray(self.y)
        if X.ndim != 2:
            raise DataError(
                f"dataset {self.name!r}: X must be 2-D (n_samples, n_features), got shape {X.shape}",
                hint="reshape images to one row per sample",
            )
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise DataError(
                f"dataset {self.name!r}: y has shape {y.shape} but X has {X.shape[0]} rows",
                hint="give exactly one label per row of X",
            )
        if not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_) or np.iscomplexobj(X):
            raise DataError(
                f"dataset {self.name!r}: X has non-numeric dtype {X.dtype}",
                hint="features must be real numbers",
            )
        if not np.issubdtype(y.dtype, np.integer):
            raise DataError(
                f"dataset {self.name!r}: y has dtype {y.dtype}, expected integers",
                hint="map class labels to 0..n_classes-1",
            )
        X = X.astype(np.float64)
        if not np.all(np.isfinite(X)):
            row, col = np.argwhere(~np.isfinite(X))[0]
            raise DataError(
                f"dataset {self.name!r}: X contains NaN or inf (first at row {row}, column {col})",
                hint="impute or drop rows with missing values",
            )
        feature_names = tuple(str(n) for n in self.feature_names)
        class_names = tuple(str(n) for n in self.class_names)
        if len(feature_names) != X.shape[1]:
            raise DataError(
                f"dataset {self.name!r}: {len(feature_names)} feature names for {X.shape[1]} features",
                hint="give one name per column",
            )
        n_classes = len(class_names)
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise DataError(
                f"dataset {self.name!r}: labels must lie in 0..{n_classes - 1}, "
                f"got range {int(y.min())}..{int(y.max())}",
                hint="give one class name per label value",
            )
        object.__setattr__(self, "X", _frozen(X))
        object.__setattr__(self, "y", _frozen(y.astype(np.int64)))
        object.__setattr__(self, "feature_names", feature_names)
        object.__setattr__(self, "class_names", class_names)

    @property
    def n_samples(self) -> int:
        """Number of rows."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of feature columns."""
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes (``len(class_names)``)."""
        return len(self.class_names)

    def class_counts(self) -> np.ndarray:
        """Samples per class, ``int64`` of length ``n_classes``."""
        return np.bincount(self.y, minlength=self.n_classes).astype(np.int64)

    def subset(
        self, indices: Sequence[int] | np.ndarray, *, description: str | None = None
    ) -> Dataset:
        """A new dataset with the rows ``indices`` (in that order); classes are kept.

        Example:
            >>> import numpy as np
            >>> ds = Dataset(np.eye(3), np.array([0, 1, 1]), ("a", "b", "c"), ("p", "q"), "t")
            >>> ds.subset([2, 0]).y.tolist()
            [1, 0]
        """
        idx = np.asarray(indices, dtype=np.int64)
        return Dataset(
            X=self.X[idx],
            y=self.y[idx],
            feature_names=self.feature_names,
            class_names=self.class_names,
            name=self.name,
            description=self.description if description is None else description,
        )
