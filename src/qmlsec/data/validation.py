"""Checks a dataset must pass before anyone trains on it.

Example:
    >>> import numpy as np
    >>> from qmlsec.data.dataset import Dataset
    >>> from qmlsec.data.validation import check_class_counts
    >>> ds = Dataset(np.zeros((4, 1)), np.array([0, 0, 1, 1]), ("f",), ("a", "b"), "t")
    >>> check_class_counts(ds, min_per_class=2) is ds
    True
"""

from __future__ import annotations

from qmlsec.data.dataset import Dataset
from qmlsec.exceptions import ConfigError, DataError


def check_class_counts(dataset: Dataset, *, min_per_class: int = 2) -> Dataset:
    """Require at least two classes and ``min_per_class`` samples in each.

    Args:
        dataset: The dataset to check.
        min_per_class: Smallest acceptable number of samples in any class (>= 1).

    Returns:
        ``dataset`` unchanged, so the call can be chained.

    Raises:
        DataError: If the dataset is empty, has a single class, or a class (named in the
            message) has fewer than ``min_per_class`` samples.
        ConfigError: If ``min_per_class`` < 1.

    Example:
        >>> import numpy as np
        >>> ds = Dataset(np.zeros((3, 1)), np.array([0, 0, 1]), ("f",), ("a", "b"), "t")
        >>> check_class_counts(ds, min_per_class=2)
        Traceback (most recent call last):
        ...
        qmlsec.exceptions.DataError: dataset 't': class 'b' (label 1) has 1 sample(s), fewer than the minimum 2 (hint: add samples of 'b', drop the class with classes=..., or lower min_per_class)
    """
    if min_per_class < 1:
        raise ConfigError(
            f"min_per_class must be >= 1, got {min_per_class}", hint="use 2 (the default)"
        )
    if dataset.n_samples == 0:
        raise DataError(
            f"dataset {dataset.name!r} has no samples", hint="check the file or the class selection"
        )
    counts = dataset.class_counts()
    present = [k for k in range(dataset.n_classes) if counts[k] > 0]
    if len(present) < 2:
        only = dataset.class_names[present[0]] if present else "none"
        raise DataError(
            f"dataset {dataset.name!r} has a single class ({only!r}); classification needs at least 2",
            hint="check the label column, or select at least two classes",
        )
    for k, count in enumerate(counts.tolist()):
        if count < min_per_class:
            name = dataset.class_names[k]
            raise DataError(
                f"dataset {dataset.name!r}: class {name!r} (label {k}) has {count} sample(s), "
                f"fewer than the minimum {min_per_class}",
                hint=f"add samples of {name!r}, drop the class with classes=..., or lower min_per_class",
            )
    return dataset
