"""Top-k probabilities: only the ``k`` most likely classes keep their probability.

Mitigation QML.M0003 (output hardening), as in Tramèr et al. (USENIX Security 2016)
and the QNN model-stealing study of Kundu and Ghosh (2024). The remaining mass is renormalised over the
top ``k`` classes; every other class gets 0. With ``k = 1`` this is label-only. Kundu
and Ghosh report that top-k clones of QNNs reach 0.99x the victim's accuracy, so on few
classes (iris: 3) the defense changes little.

Not covered: ranking-only outputs without probabilities.

Example:
    >>> import numpy as np
    >>> TopK({"k": 1})(np.array([[0.2, 0.5, 0.3]])).tolist()
    [[0.0, 1.0, 0.0]]
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from qmlsec.config import FrozenModel
from qmlsec.defenses.postprocessor.base import PostprocessorDefense


class TopKParams(FrozenModel):
    """Parameters of :class:`TopK`."""

    k: int = Field(1, ge=1)


class TopK(PostprocessorDefense):
    """Keep the top-k probabilities, zero the rest, renormalise."""

    name: ClassVar[str] = "postprocessor.top_k"
    mitigation_id: ClassVar[str] = "QML.M0003"
    counters: ClassVar[tuple[str, ...]] = (
        "extraction.substitute", "extraction.quantumleak", "inference.membership_threshold",
    )  # fmt: skip
    Params = TopKParams

    def __call__(self, probs: np.ndarray) -> np.ndarray:
        probs = np.asarray(probs, dtype=np.float64)
        k = min(self.params.k, probs.shape[1])
        order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
        out = np.zeros_like(probs)
        rows = np.arange(len(probs))[:, None]
        out[rows, order] = probs[rows, order]
        total = out.sum(axis=1, keepdims=True)
        return out / np.where(total > 0, total, 1.0)
