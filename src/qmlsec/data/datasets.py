"""One entry point for every dataset: built-in names and user files.

Example:
    >>> from qmlsec.data.datasets import load_dataset
    >>> ds = load_dataset("digits", classes=(0, 1, 2, 3))
    >>> ds.n_classes, ds.class_names, sorted(set(ds.y.tolist()))
    (4, ('0', '1', '2', '3'), [0, 1, 2, 3])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qmlsec.config import rng
from qmlsec.data.builtin import BUILTIN_DATASETS, load_builtin
from qmlsec.data.classes import parse_classes, select_classes
from qmlsec.data.csv_file import load_csv
from qmlsec.data.dataset import Dataset
from qmlsec.data.npz_file import load_npz
from qmlsec.data.validation import check_class_counts
from qmlsec.exceptions import ConfigError, DataError

_FILE_LOADERS = {".csv": "csv", ".npz": "npz"}


def available_datasets() -> tuple[str, ...]:
    """Names :func:`load_dataset` knows besides file paths.

    Example:
        >>> "digits" in available_datasets() and "moons" in available_datasets()
        True
    """
    return BUILTIN_DATASETS


def _stratified_subsample(dataset: Dataset, n_samples: int, seed: int) -> Dataset:
    if not 1 <= n_samples <= dataset.n_samples:
        raise ConfigError(
            f"n_samples={n_samples} but dataset {dataset.name!r} has {dataset.n_samples} samples",
            hint=f"use 1..{dataset.n_samples}, or leave n_samples unset",
        )
    if n_samples == dataset.n_samples:
        return dataset
    gen = rng(seed, "data", "subsample")
    counts = dataset.class_counts()
    # largest-remainder allocation keeps class proportions
    exact = counts * n_samples / dataset.n_samples
    take = np.floor(exact).astype(np.int64)
    order = np.argsort(-(exact - take), kind="stable")
    take[order[: n_samples - int(take.sum())]] += 1
    picked = [
        gen.permutation(np.flatnonzero(dataset.y == k))[: take[k]] for k in range(dataset.n_classes)
    ]
    idx = np.sort(np.concatenate(picked))
    return dataset.subset(
        idx, description=f"{dataset.description} [{n_samples} stratified samples, seed={seed}]"
    )


def load_dataset(
    name: str | Path,
    *,
    classes: str | Sequence[int | str] | None = None,
    n_samples: int | None = None,
    noise: float | None = None,
    seed: int = 0,
    label_column: str | None = None,
    min_per_class: int = 2,
) -> Dataset:
    """Load a built-in dataset or a user file, select classes, subsample, validate.

    Args:
        name: A built-in name (:func:`available_datasets`) or a path to a ``.csv`` or
            ``.npz`` file.
        classes: Classes to keep, as original labels (``(0, 1, 2, 3)``, ``"0-3"``) or
            class names; kept classes are relabelled ``0..len(classes)-1`` in the given
            order and keep their names.
        n_samples: Synthetic sets: samples to generate. Other sets: a seeded stratified
            subsample of this size (after class selection).
        noise: Synthetic sets only (moons/circles noise, blobs cluster std).
        seed: Seed of generation and subsampling.
        label_column: CSV only: the label column (default ``"label"``, else the last).
        min_per_class: Smallest acceptable number of samples per class.

    Raises:
        DataError: Missing or bad file, a single class, a class under ``min_per_class``.
        ConfigError: Unknown name or inconsistent options.

    Example:
        >>> load_dataset("moons", n_samples=40, noise=0.2, seed=3).X.shape
        (40, 2)
        >>> load_dataset("iris", classes="0-1").class_names
        ('setosa', 'versicolor')
    """
    text = str(name)
    suffix = Path(text).suffix.lower()
    if text in BUILTIN_DATASETS:
        synthetic = text in ("moons", "circles", "blobs")
        dataset = load_builtin(
            text, n_samples=n_samples if synthetic else None, noise=noise, seed=seed
        )
        subsample = None if synthetic else n_samples
        if label_column is not None:
            raise ConfigError("label_column applies to CSV files only", hint="drop label_column")
    elif suffix in _FILE_LOADERS:
        if noise is not None:
            raise ConfigError(
                "noise applies to synthetic datasets only", hint="drop noise for files"
            )
        if suffix == ".csv":
            dataset = load_csv(text, label_column=label_column)
        else:
            if label_column is not None:
                raise ConfigError(
                    "label_column applies to CSV files only", hint="NPZ labels are the array 'y'"
                )
            dataset = load_npz(text)
        subsample = n_samples
    else:
        if Path(text).exists():
            raise DataError(
                f"unsupported dataset file type {suffix or '(none)'!r} for {text!r}",
                hint="use a .csv (header row + label column) or .npz (arrays X and y) file",
            )
        raise ConfigError(
            f"unknown dataset {text!r}",
            hint=f"choose one of {list(BUILTIN_DATASETS)} or a path ending in .csv or .npz",
        )
    if classes is not None:
        wanted: Sequence[int | str] = (
            parse_classes(classes) or () if isinstance(classes, str) else tuple(classes)
        )
        dataset = select_classes(dataset, wanted)
    if subsample is not None:
        dataset = _stratified_subsample(dataset, int(subsample), seed)
    return check_class_counts(dataset, min_per_class=min_per_class)
