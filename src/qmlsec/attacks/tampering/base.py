"""Base class of the tampering family: one verb, `tamper`."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.attacks.base import Attack


class TamperingAttack(Attack):
    """Alters circuits, parameters or results in flight, from a provider or toolchain foothold."""

    family: ClassVar[str] = "tampering"

    @abstractmethod
    def tamper(self, *args: Any, **kwargs: Any) -> Any:
        """Install the tampering on the target (e.g. a provider hook) and return it."""
