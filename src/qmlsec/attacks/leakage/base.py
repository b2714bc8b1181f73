"""Base class of the leakage family (the contract is :meth:`~qmlsec.attacks.base.Attack.run`)."""

from __future__ import annotations

from typing import ClassVar

from qmlsec.attacks.base import Attack


class LeakageAttack(Attack):
    """Reads the victim's quantum state through a shared-hardware channel."""

    family: ClassVar[str] = "leakage"
