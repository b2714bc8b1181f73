"""Base class of the availability family (the contract is :meth:`~qmlsec.attacks.base.Attack.run`)."""

from __future__ import annotations

from typing import ClassVar

from qmlsec.attacks.base import Attack


class AvailabilityAttack(Attack):
    """Degrades availability or inflates cost of training and inference."""

    family: ClassVar[str] = "availability"
