"""How far a party is trusted, and what its hooks may therefore do.

Example:
    >>> TrustLevel("honest-but-curious").may_observe, TrustLevel.TRUSTED.may_observe
    (True, False)
    >>> TrustLevel.MALICIOUS.may_modify
    True
"""

from __future__ import annotations

from enum import StrEnum


class TrustLevel(StrEnum):
    """Trusted (no hooks), honest-but-curious (observes only) or malicious (anything)."""

    TRUSTED = "trusted"
    HONEST_BUT_CURIOUS = "honest-but-curious"
    MALICIOUS = "malicious"

    @property
    def may_observe(self) -> bool:
        """Whether hooks may look at jobs and results."""
        return self is not TrustLevel.TRUSTED

    @property
    def may_modify(self) -> bool:
        """Whether hooks may change devices, circuits, results, timing or co-tenancy."""
        return self is TrustLevel.MALICIOUS
