"""Base class of the availability family: one verb, `disrupt`."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.attacks.base import Attack


class AvailabilityAttack(Attack):
    """Degrades availability or inflates cost of training and inference."""

    family: ClassVar[str] = "availability"

    @abstractmethod
    def disrupt(self, *args: Any, **kwargs: Any) -> Any:
        """Disrupt the victim's service and return the measured impact."""
