"""A noiseless provider that records every job, for tests of provider-level attacks.

Example:
    >>> cloud = recording_cloud("fake_manila")
    >>> cloud.trust.value, cloud.cost.total().jobs
    ('malicious', 0)
"""

from __future__ import annotations

from typing import Any

from qmlsec.cloud.cost import CostAccount
from qmlsec.cloud.providers import QuantumCloud


def recording_cloud(device: str, *hooks: Any, seed: int = 0) -> QuantumCloud:
    """A malicious, noiseless :class:`QuantumCloud` on ``device`` with ``hooks`` and a
    :class:`CostAccount` (``cloud.cost``) recording its jobs."""
    cloud = QuantumCloud([device], trust="malicious", seed=seed, noise_scale=0.0,
                         cost=CostAccount())  # fmt: skip
    for hook in hooks:
        cloud.add_hook(hook)
    return cloud


__all__ = ["recording_cloud"]
