"""Base class of the extraction family: one verb, `extract`."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.attacks.base import Attack


class ExtractionAttack(Attack):
    """Steals a functional copy of the victim through its outputs."""

    family: ClassVar[str] = "extraction"

    @abstractmethod
    def extract(self, *args: Any, **kwargs: Any) -> Any:
        """Query the target and return a fitted substitute model."""
