"""Base class of the sidechannel family: one verb, `leak`."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.attacks.base import Attack


class SideChannelAttack(Attack):
    """Recovers circuit information from physical side channels."""

    family: ClassVar[str] = "sidechannel"

    @abstractmethod
    def leak(self, *args: Any, **kwargs: Any) -> Any:
        """Return the recovered information from the observed traces."""
