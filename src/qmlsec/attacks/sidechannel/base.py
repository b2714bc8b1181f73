"""Base class of the sidechannel family (the contract is :meth:`~qmlsec.attacks.base.Attack.run`)."""

from __future__ import annotations

from typing import ClassVar

from qmlsec.attacks.base import Attack


class SideChannelAttack(Attack):
    """Recovers circuit information from physical side channels."""

    family: ClassVar[str] = "sidechannel"
