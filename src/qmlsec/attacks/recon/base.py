"""Base class of the recon family: one verb, `infer`."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.attacks.base import Attack


class ReconAttack(Attack):
    """Learns facts about the deployment (device, encoding, architecture) for later stages."""

    family: ClassVar[str] = "recon"

    @abstractmethod
    def infer(self, *args: Any, **kwargs: Any) -> Any:
        """Return the identified facts."""
