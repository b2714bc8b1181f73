"""``SubstituteEnsemble``: fuse substitute models by averaging their probabilities.

Example:
    >>> import numpy as np
    >>> class Const:
    ...     def __init__(self, p): self.p = np.asarray(p)
    ...     def predict_proba(self, X): return np.tile(self.p, (len(X), 1))
    >>> ens = SubstituteEnsemble([Const([0.9, 0.1]), Const([0.2, 0.8])])
    >>> ens.predict_proba(np.zeros((1, 2))).round(2).tolist(), ens.predict(np.zeros((1, 2))).tolist()
    ([[0.55, 0.45]], [0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from qmlsec.exceptions import ConfigError


class SubstituteEnsemble:
    """A committee of fitted classifiers answering with their mean probabilities.

    Args:
        members: fitted models with ``predict_proba`` over the same classes ``0..C-1``.
    """

    def __init__(self, members: Sequence[Any]) -> None:
        if not members:
            raise ConfigError("an ensemble needs at least one member")
        self.members = list(members)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The members' mean class probabilities ``(n, C)``."""
        return np.mean([np.asarray(m.predict_proba(X)) for m in self.members], axis=0)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The fused decision: the class with the highest mean probability."""
        return self.predict_proba(X).argmax(axis=1)
