"""Gradients: backprop, parameter shift, SPSA and finite differences.

Example:
    >>> from qmlsec.gradients import get_gradient
    >>> get_gradient("spsa", c=0.1, seed=3)
    SPSA(c=0.1, resamples=1, seed=3, generator=None, max_rows=4096)
"""

from __future__ import annotations

from typing import Any

from qmlsec.exceptions import ConfigError
from qmlsec.gradients.backprop import Backprop
from qmlsec.gradients.base import GradientMethod, differentiated
from qmlsec.gradients.finite_diff import FiniteDiff
from qmlsec.gradients.parameter_shift import ParameterShift
from qmlsec.gradients.spsa import SPSA

GRADIENTS: dict[str, type[GradientMethod]] = {
    cls.name: cls for cls in (Backprop, ParameterShift, SPSA, FiniteDiff)
}


def get_gradient(name: str, **options: Any) -> GradientMethod:
    """A gradient method by name, constructed with ``options``.

    Args:
        name: ``backprop``, ``parameter-shift``, ``spsa`` or ``finite-diff``.
        **options: constructor arguments (``c``, ``resamples``, ``seed`` for SPSA; ``h``
            for finite differences; ``max_rows``).

    Raises:
        ConfigError: unknown name or option.
    """
    if name not in GRADIENTS:
        raise ConfigError(
            f"unknown gradient method {name!r}", hint=f"use one of {sorted(GRADIENTS)}"
        )
    try:
        return GRADIENTS[name](**options)
    except TypeError as err:
        raise ConfigError(f"bad options for gradient {name!r}: {err}") from err


__all__ = [
    "GRADIENTS",
    "SPSA",
    "Backprop",
    "FiniteDiff",
    "GradientMethod",
    "ParameterShift",
    "differentiated",
    "get_gradient",
]
