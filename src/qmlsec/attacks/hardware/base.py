"""Base class of the hardware family (the contract is :meth:`~qmlsec.attacks.base.Attack.run`)."""

from __future__ import annotations

from typing import ClassVar

from qmlsec.attacks.base import Attack


class FaultInjectionAttack(Attack):
    """Injects physical faults (crosstalk) or degrades the hardware (downgrade) under the victim."""

    family: ClassVar[str] = "hardware"
