"""Rounded probabilities: every returned probability is rounded to ``decimals`` places.

Mitigation QML.M0003 (output hardening), the rounding defense of Tramèr et al.
("Stealing Machine Learning Models via Prediction APIs", USENIX Security 2016), who
found that coarse rounding slows but does not stop equation-solving and retraining
extraction. The arg-max is kept (ties created by rounding are broken in favour of the served
label; rows are renormalised; a row rounded to all zeros becomes a one-hot).

Not covered: rounding the expectation values of a raw-readout endpoint.

Example:
    >>> import numpy as np
    >>> Rounding({"decimals": 1})(np.array([[0.26, 0.74]])).round(6).tolist()  # 1e-9 tie-break
    [[0.3, 0.7]]
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from qmlsec.config import FrozenModel
from qmlsec.defenses.postprocessor.base import PostprocessorDefense


class RoundingParams(FrozenModel):
    """Parameters of :class:`Rounding`."""

    decimals: int = Field(1, ge=0, le=8)


class Rounding(PostprocessorDefense):
    """Round probabilities to a fixed number of decimals."""

    name: ClassVar[str] = "postprocessor.rounding"
    mitigation_id: ClassVar[str] = "QML.M0003"
    counters: ClassVar[tuple[str, ...]] = (
        "extraction.substitute", "extraction.quantumleak", "inference.membership_threshold",
    )  # fmt: skip
    Params = RoundingParams

    def __call__(self, probs: np.ndarray) -> np.ndarray:
        probs = np.asarray(probs, dtype=np.float64)
        out = np.round(probs, self.params.decimals)
        empty = np.flatnonzero(out.sum(axis=1) == 0)
        out[empty, probs[empty].argmax(axis=1)] = 1.0
        out[np.arange(len(probs)), probs.argmax(axis=1)] += 1e-9  # ties keep the served label
        return out / out.sum(axis=1, keepdims=True)
