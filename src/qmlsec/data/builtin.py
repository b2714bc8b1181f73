"""Built-in datasets: scikit-learn's bundled sets (offline) and seeded synthetic ones.

Example:
    >>> from qmlsec.data.builtin import load_builtin
    >>> ds = load_builtin("moons", n_samples=50, noise=0.1, seed=0)
    >>> ds.X.shape, ds.n_classes
    ((50, 2), 2)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn import datasets as skd

from qmlsec.config import derive_seed
from qmlsec.data.dataset import Dataset
from qmlsec.exceptions import ConfigError

#: Default sample count of synthetic datasets.
SYNTHETIC_SAMPLES = 200

_BUNDLED: dict[str, Callable[[], object]] = {
    "digits": skd.load_digits,
    "iris": skd.load_iris,
    "wine": skd.load_wine,
    "breast_cancer": skd.load_breast_cancer,
}
_SYNTHETIC = ("moons", "circles", "blobs")

#: Names :func:`load_builtin` accepts.
BUILTIN_DATASETS: tuple[str, ...] = (*_BUNDLED, *_SYNTHETIC)


def _bundled(name: str) -> Dataset:
    bunch = _BUNDLED[name]()
    X = np.asarray(bunch.data, dtype=np.float64)  # type: ignore[attr-defined]
    target_names = [str(t) for t in bunch.target_names]  # type: ignore[attr-defined]
    feature_names = getattr(bunch, "feature_names", None)
    if feature_names is None or len(feature_names) != X.shape[1]:
        feature_names = [f"x{i}" for i in range(X.shape[1])]
    if name == "digits":  # pixel_r_c names, row-major 8x8
        feature_names = [f"pixel_{i // 8}_{i % 8}" for i in range(X.shape[1])]
    return Dataset(
        X=X,
        y=np.asarray(bunch.target, dtype=np.int64),  # type: ignore[attr-defined]
        feature_names=tuple(str(f) for f in feature_names),
        class_names=tuple(target_names),
        name=name,
        description=f"scikit-learn bundled dataset {name!r}",
    )


def _synthetic(name: str, n_samples: int, noise: float | None, seed: int) -> Dataset:
    state = np.random.RandomState(derive_seed(seed, "data", name) % 2**32)
    if name == "moons":
        noise = 0.1 if noise is None else noise
        X, y = skd.make_moons(n_samples=n_samples, noise=noise, random_state=state)
        detail = f"noise={noise}"
    elif name == "circles":
        noise = 0.05 if noise is None else noise
        X, y = skd.make_circles(n_samples=n_samples, noise=noise, factor=0.5, random_state=state)
        detail = f"noise={noise}, factor=0.5"
    else:
        noise = 1.0 if noise is None else noise
        X, y = skd.make_blobs(
            n_samples=n_samples, centers=3, n_features=2, cluster_std=noise, random_state=state
        )
        detail = f"3 centers, cluster_std={noise}"
    n_classes = int(y.max()) + 1
    return Dataset(
        X=np.asarray(X, dtype=np.float64),
        y=np.asarray(y, dtype=np.int64),
        feature_names=("x0", "x1"),
        class_names=tuple(str(k) for k in range(n_classes)),
        name=name,
        description=f"synthetic {name} ({n_samples} samples, {detail}, seed={seed})",
    )


def load_builtin(
    name: str, *, n_samples: int | None = None, noise: float | None = None, seed: int = 0
) -> Dataset:
    """Load a bundled scikit-learn dataset or generate a synthetic one.

    Args:
        name: One of :data:`BUILTIN_DATASETS`.
        n_samples: Synthetic sets only: how many samples to draw (default 200). Bundled
            sets are returned whole; subsampling is done by the caller.
        noise: Synthetic sets only: ``noise`` of moons/circles, ``cluster_std`` of blobs.
        seed: Seed of the synthetic generator.

    Raises:
        ConfigError: For an unknown name, ``noise`` on a bundled set, or a bad value.

    Example:
        >>> load_builtin("iris").class_names
        ('setosa', 'versicolor', 'virginica')
    """
    if name in _BUNDLED:
        if noise is not None:
            raise ConfigError(
                f"noise applies to synthetic datasets only, not {name!r}",
                hint=f"drop noise, or use one of {list(_SYNTHETIC)}",
            )
        return _bundled(name)
    if name in _SYNTHETIC:
        n = SYNTHETIC_SAMPLES if n_samples is None else int(n_samples)
        if n < 2:
            raise ConfigError(f"n_samples must be >= 2, got {n}", hint="use e.g. n_samples=200")
        if noise is not None and not (np.isfinite(noise) and noise >= 0):
            raise ConfigError(
                f"noise must be a finite number >= 0, got {noise}", hint="use e.g. 0.1"
            )
        return _synthetic(name, n, noise, seed)
    raise ConfigError(
        f"unknown built-in dataset {name!r}",
        hint=f"choose one of {list(BUILTIN_DATASETS)} or give a .csv/.npz path",
    )
