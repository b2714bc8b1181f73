"""Class labels: parse class ranges, encode raw labels, select a class subset.

Example:
    >>> from qmlsec.data.classes import parse_classes
    >>> parse_classes("0-3")
    (0, 1, 2, 3)
    >>> parse_classes("0,1,7")
    (0, 1, 7)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qmlsec.data.dataset import Dataset
from qmlsec.exceptions import ConfigError, DataError


def parse_classes(spec: str | Sequence[int | str] | None) -> tuple[int, ...] | None:
    """Parse a class selection such as ``"0-3"``, ``"0,1,7"`` or ``"0-2,5"``.

    Args:
        spec: A string of comma-separated integers and inclusive ranges ``a-b``, a
            sequence of integers, or ``None`` (all classes).

    Returns:
        The class labels in the given order without duplicates, or ``None``.

    Raises:
        ConfigError: If a part is not an integer or a range, a range is reversed, or a
            label repeats.

    Example:
        >>> parse_classes("0-2,5")
        (0, 1, 2, 5)
        >>> parse_classes([3, 1])
        (3, 1)
    """
    if spec is None:
        return None
    hint = 'write classes like "0-3" or "0,1,7"'
    if isinstance(spec, str):
        labels: list[int] = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                raise ConfigError(f"empty part in class list {spec!r}", hint=hint)
            lo, sep, hi = part.partition("-")
            try:
                first, last = (int(lo), int(hi)) if sep else (int(part), int(part))
            except ValueError:
                raise ConfigError(
                    f"{part!r} in class list {spec!r} is not an integer or range", hint=hint
                ) from None
            if last < first:
                raise ConfigError(f"range {part!r} in class list {spec!r} is reversed", hint=hint)
            labels.extend(range(first, last + 1))
    else:
        try:
            labels = [int(c) for c in spec]
        except (TypeError, ValueError):
            raise ConfigError(f"class list {spec!r} must contain integers", hint=hint) from None
    if not labels:
        raise ConfigError("class list is empty", hint=hint)
    if len(set(labels)) != len(labels):
        raise ConfigError(f"class list {spec!r} repeats a class", hint=hint)
    if min(labels) < 0:
        raise ConfigError(f"class list {spec!r} has a negative label", hint=hint)
    return tuple(labels)


def encode_labels(raw: Sequence[object] | np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """Map raw labels (integers or strings) to ``0..C-1`` in sorted order of value.

    Integer-valued labels sort numerically (``"10"`` after ``"9"``), others as strings.

    Returns:
        ``(y, class_names)``: ``int64`` codes and the name of each code.

    Example:
        >>> y, names = encode_labels(["cat", "dog", "cat"])
        >>> y.tolist(), names
        ([0, 1, 0], ('cat', 'dog'))
        >>> encode_labels(["10", "9"])[1]
        ('9', '10')
    """
    values = [str(v).strip() for v in np.asarray(raw).tolist()]
    try:
        as_float = [float(v) for v in values]
        numeric = all(np.isfinite(f) and f == int(f) for f in as_float)
    except ValueError:
        numeric = False
    if numeric:
        ints = [int(float(v)) for v in values]
        uniq = sorted(set(ints))
        index = {v: k for k, v in enumerate(uniq)}
        return np.array([index[v] for v in ints], dtype=np.int64), tuple(str(v) for v in uniq)
    uniq_s = sorted(set(values))
    index_s = {v: k for k, v in enumerate(uniq_s)}
    return np.array([index_s[v] for v in values], dtype=np.int64), tuple(uniq_s)


def select_classes(dataset: Dataset, classes: Sequence[int | str]) -> Dataset:
    """Keep the rows of ``classes`` and relabel them ``0..len(classes)-1`` in that order.

    Args:
        dataset: The source dataset.
        classes: Labels (integers) or class names to keep.

    Raises:
        DataError: If a class is not in the dataset.

    Example:
        >>> import numpy as np
        >>> ds = Dataset(np.eye(3), np.array([0, 1, 2]), ("a", "b", "c"), ("x", "y", "z"), "t")
        >>> sub = select_classes(ds, (2, 0))
        >>> sub.y.tolist(), sub.class_names
        ([1, 0], ('z', 'x'))
    """
    codes: list[int] = []
    for c in classes:
        if isinstance(c, str) and c in dataset.class_names:
            codes.append(dataset.class_names.index(c))
        elif isinstance(c, int | np.integer) and 0 <= int(c) < dataset.n_classes:
            codes.append(int(c))
        else:
            raise DataError(
                f"class {c!r} is not in dataset {dataset.name!r}",
                hint=f"choose labels 0..{dataset.n_classes - 1} or names {list(dataset.class_names)}",
            )
    if len(set(codes)) != len(codes):
        raise ConfigError(
            f"class list {list(classes)!r} repeats a class", hint="list each class once"
        )
    keep = np.flatnonzero(np.isin(dataset.y, codes))
    remap = np.full(dataset.n_classes, -1, dtype=np.int64)
    remap[codes] = np.arange(len(codes))
    names = ", ".join(dataset.class_names[k] for k in codes)
    return Dataset(
        X=dataset.X[keep],
        y=remap[dataset.y[keep]],
        feature_names=dataset.feature_names,
        class_names=tuple(dataset.class_names[k] for k in codes),
        name=dataset.name,
        description=f"{dataset.description} [classes: {names}]".strip(),
    )
