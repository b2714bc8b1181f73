"""The attacker's query pool: which unlabelled inputs a query-based attack sends.

Model-stealing papers query the victim with data of the attacker's own, not with the
victim's training set: a held-out sample of the task distribution (Papernot et al.,
AsiaCCS 2017; Orekondy et al., "Knockoff Nets", CVPR 2019), data of another
distribution (Knockoff Nets' out-of-distribution transfer sets), or synthetic inputs
(uniformly random queries: Tramèr et al., "Stealing Machine Learning Models via
Prediction APIs", USENIX Security 2016). A pool is named by one string:

- ``auto``: ``train`` when the context holds the training split, else ``test``;
- ``train``: the victim's training inputs (``ctx.x_train``; the optimistic case);
- ``test``: a seeded half of the test split (evaluated on the other half);
- ``dataset:NAME`` or ``dataset:NAME:CLASSES``: a built-in dataset, e.g.
  ``dataset:digits:4-9`` (digits the victim never saw: out of distribution); it must
  have the victim's number of raw features;
- ``file:PATH``: a ``.npz`` (array ``X``) or ``.csv`` (one header row, numbers only) of
  raw features (no pickle);
- ``uniform`` / ``uniform:N``: ``N`` (default 1000) inputs drawn uniformly in the
  per-feature range of the test inputs (the input domain, as in Tramèr et al.);
- ``gaussian`` / ``gaussian:N``: ``N`` inputs from a diagonal Gaussian with the test
  inputs' per-feature mean and spread, clipped to their range.

Every pool other than ``test`` is evaluated on the whole test split. From the CLI:
``qmlsec attack run extraction.substitute --param pool=dataset:digits:4-9``.

Example:
    >>> import numpy as np
    >>> x = np.array([[0.0, 1.0], [2.0, 3.0], [1.0, 2.0], [0.5, 1.5]])
    >>> pool = attacker_pool("uniform:5", None, x, np.arange(4), seed=0)
    >>> pool.x.shape, pool.source, bool((pool.x >= 0).all() and (pool.x[:, 0] <= 2).all())
    ((5, 2), 'uniform', True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import AfterValidator

from qmlsec.config import rng
from qmlsec.data import load_dataset
from qmlsec.exceptions import ConfigError, DataError

SYNTHETIC_SIZE = 1000
_FIXED = ("auto", "train", "test", "uniform", "gaussian")
_PREFIXES = ("dataset:", "file:", "uniform:", "gaussian:")


def check_pool(spec: str) -> str:
    """Validate the form of a pool name (see the module docstring)."""
    if spec in _FIXED:
        return spec
    if spec.startswith(("uniform:", "gaussian:")):
        size = spec.split(":", 1)[1]
        if not size.isdigit() or int(size) < 2:
            raise ValueError(f"pool {spec!r}: the size after ':' must be an integer >= 2")
        return spec
    if spec.startswith(("dataset:", "file:")) and spec.split(":", 1)[1]:
        return spec
    raise ValueError(
        f"unknown query pool {spec!r}; use auto, train, test, dataset:NAME[:CLASSES], "
        "file:PATH, uniform[:N] or gaussian[:N]"
    )


PoolSource = Annotated[str, AfterValidator(check_pool)]
"""A pool name, validated when an attack's parameters are."""


@dataclass(frozen=True)
class Pool:
    """The query inputs, the labelled evaluation set and the pool's kind."""

    x: np.ndarray
    x_eval: np.ndarray
    y_eval: np.ndarray
    source: str


def _read_features(path: Path) -> np.ndarray:
    if not path.is_file():
        raise DataError(f"query pool file {path} does not exist", hint="pass file:PATH of a file")
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                if "X" not in data:
                    raise DataError(f"{path}: no array 'X'", hint="save the inputs as X=...")
                return np.asarray(data["X"], dtype=np.float64)
        if path.suffix == ".csv":
            return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, dtype=np.float64)
    except ValueError as err:
        raise DataError(f"{path}: not numeric features ({err})", hint="numbers only") from None
    raise DataError(f"{path}: unsupported pool file type", hint="use .npz (array X) or .csv")


def _external(spec: str, n_features: int, seed: int) -> np.ndarray:
    kind, rest = spec.split(":", 1)
    if kind == "file":
        x = _read_features(Path(rest).expanduser())
    else:
        name, _, classes = rest.partition(":")
        x = load_dataset(name, classes=classes or None, seed=seed).X
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != n_features or len(x) < 2:
        raise DataError(
            f"query pool {spec!r} has shape {x.shape}; the victim takes {n_features} raw features",
            hint="give at least 2 inputs with the victim's raw features",
        )
    if not np.isfinite(x).all():
        raise DataError(f"query pool {spec!r} has NaN or infinite values", hint="clean it first")
    return x


def _synthetic(spec: str, reference: np.ndarray, seed: int) -> np.ndarray:
    kind, _, size = spec.partition(":")
    n = int(size) if size else SYNTHETIC_SIZE
    gen = rng(seed, "pool", kind)
    lo, hi = reference.min(axis=0), reference.max(axis=0)
    if kind == "uniform":
        return gen.uniform(lo, hi, size=(n, reference.shape[1]))
    draws = gen.normal(reference.mean(axis=0), reference.std(axis=0), size=(n, reference.shape[1]))
    return np.clip(draws, lo, hi)


def attacker_pool(
    spec: str,
    x_train: np.ndarray | None,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    seed: int,
) -> Pool:
    """Resolve the pool ``spec`` against a run's data (see the module docstring).

    Raises:
        ConfigError: ``train`` without a training split; a test split too small to halve.
        DataError: an unreadable or mis-shaped pool file or dataset.
    """
    check_pool(spec)
    x_test = np.asarray(x_test, dtype=np.float64)
    y_test = np.asarray(y_test)
    if spec == "train" or (spec == "auto" and x_train is not None):
        if x_train is None:
            raise ConfigError(
                "pool='train' needs the training split in the attack context",
                hint="pass x_train, or use pool='test', dataset:NAME, file:PATH or uniform",
            )
        return Pool(np.array(x_train, dtype=np.float64), x_test, y_test, "train")
    if spec in ("auto", "test"):
        order = rng(seed, "extraction", "pool").permutation(len(x_test))
        half = len(order) // 2
        if half < 2:
            raise ConfigError("the test split is too small to hold out a query pool")
        pool, held = order[:half], order[half:]
        return Pool(x_test[pool], x_test[held], y_test[held], "test")
    if spec.startswith(("dataset:", "file:")):
        x = _external(spec, x_test.shape[1], seed)
        return Pool(x, x_test, y_test, spec.split(":", 1)[0])
    return Pool(_synthetic(spec, x_test, seed), x_test, y_test, spec.partition(":")[0])


__all__ = ["Pool", "PoolSource", "SYNTHETIC_SIZE", "attacker_pool", "check_pool"]
