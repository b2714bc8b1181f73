"""Base class of the leakage family: one verb, `leak`."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.attacks.base import Attack


class LeakageAttack(Attack):
    """Reads the victim's quantum state through a shared-hardware channel."""

    family: ClassVar[str] = "leakage"

    @abstractmethod
    def leak(self, *args: Any, **kwargs: Any) -> Any:
        """Return the attacker's observations and its guesses of the victim's secret."""
