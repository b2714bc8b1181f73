"""Label-only outputs: the endpoint returns a one-hot row of the predicted class.

Mitigation QML.M0003 (output hardening). Against extraction, Kundu and Ghosh
("Evaluating efficacy of model stealing attacks and defenses on QNNs") report that
label-only clones still reach about 0.9x the victim's accuracy (0.99x with top-k
probabilities), and QuantumLeak (arXiv:2403.10790) trains on labels too: the defense
removes the confidence information, it does not prevent extraction.

Not covered: returning labels with a separate confidence channel, adaptive attackers
that query near the boundary to recover confidences.

Example:
    >>> import numpy as np
    >>> LabelOnly()(np.array([[0.2, 0.5, 0.3]])).tolist()
    [[0.0, 1.0, 0.0]]
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from qmlsec.defenses.postprocessor.base import PostprocessorDefense


class LabelOnly(PostprocessorDefense):
    """Return the arg-max class only (as a one-hot probability row)."""

    name: ClassVar[str] = "postprocessor.label_only"
    mitigation_id: ClassVar[str] = "QML.M0003"
    counters: ClassVar[tuple[str, ...]] = (
        "extraction.substitute", "extraction.quantumleak", "inference.membership_threshold",
    )  # fmt: skip

    def __call__(self, probs: np.ndarray) -> np.ndarray:
        probs = np.asarray(probs, dtype=np.float64)
        out = np.zeros_like(probs)
        out[np.arange(len(probs)), probs.argmax(axis=1)] = 1.0
        return out
