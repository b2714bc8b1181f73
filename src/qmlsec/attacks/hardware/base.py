"""Base class of the hardware family: one verb, `inject`."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.attacks.base import Attack


class FaultInjectionAttack(Attack):
    """Injects physical faults (crosstalk) or degrades the hardware (downgrade) under the victim."""

    family: ClassVar[str] = "hardware"

    @abstractmethod
    def inject(self, *args: Any, **kwargs: Any) -> Any:
        """Inject the fault into the victim's executions and return what was injected."""
