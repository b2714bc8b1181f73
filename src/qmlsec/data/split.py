"""Stratified, seeded train/test split.

Example:
    >>> from qmlsec.data.datasets import load_dataset
    >>> from qmlsec.data.split import split
    >>> train, test = split(load_dataset("iris"), test_size=0.2, seed=0)
    >>> train.n_samples, test.n_samples, test.class_counts().tolist()
    (120, 30, [10, 10, 10])
"""

from __future__ import annotations

import numpy as np

from qmlsec.config import rng
from qmlsec.data.dataset import Dataset
from qmlsec.exceptions import ConfigError, DataError


def split(dataset: Dataset, test_size: float = 0.25, *, seed: int = 0) -> tuple[Dataset, Dataset]:
    """Split ``dataset`` into train and test sets with the same class proportions.

    Each class ``k`` with ``n_k`` samples sends ``round(test_size * n_k)`` of them,
    clipped to ``1..n_k-1``, to the test set, chosen by a generator derived from
    ``seed``. Both parts are shuffled with that generator. Equal seeds give equal splits.

    Args:
        dataset: The dataset to split.
        test_size: Fraction of each class that goes to the test set, in ``(0, 1)``.
        seed: Run seed (the ``"data", "split"`` child is used).

    Returns:
        ``(train, test)``.

    Raises:
        ConfigError: If ``test_size`` is not in ``(0, 1)``.
        DataError: If a class has fewer than 2 samples.

    Example:
        >>> from qmlsec.data.datasets import load_dataset
        >>> a, _ = split(load_dataset("wine"), seed=1)
        >>> b, _ = split(load_dataset("wine"), seed=1)
        >>> bool((a.X == b.X).all())
        True
    """
    if not 0.0 < float(test_size) < 1.0:
        raise ConfigError(f"test_size must be in (0, 1), got {test_size}", hint="use e.g. 0.25")
    gen = rng(seed, "data", "split")
    train_idx: list[np.ndarray] = []
    test_idx: list[np.ndarray] = []
    for k, count in enumerate(dataset.class_counts().tolist()):
        if count == 0:
            continue
        if count < 2:
            raise DataError(
                f"class {dataset.class_names[k]!r} has {count} sample, a split needs at least 2 per class",
                hint="add samples of that class or drop it with classes=...",
            )
        n_test = min(max(round(float(test_size) * count), 1), count - 1)
        members = gen.permutation(np.flatnonzero(dataset.y == k))
        test_idx.append(members[:n_test])
        train_idx.append(members[n_test:])
    train = gen.permutation(np.concatenate(train_idx))
    test = gen.permutation(np.concatenate(test_idx))
    return (
        dataset.subset(train, description=f"{dataset.description} [train split, seed={seed}]"),
        dataset.subset(test, description=f"{dataset.description} [test split, seed={seed}]"),
    )
