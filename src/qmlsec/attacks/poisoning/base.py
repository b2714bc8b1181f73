"""Base class of the poisoning family: one verb, `poison`."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.attacks.base import Attack


class PoisoningAttack(Attack):
    """Corrupts training data so that the retrained victim misbehaves."""

    family: ClassVar[str] = "poisoning"

    @abstractmethod
    def poison(self, *args: Any, **kwargs: Any) -> Any:
        """Return the poisoned training set ``(x, y)`` given the clean one."""
