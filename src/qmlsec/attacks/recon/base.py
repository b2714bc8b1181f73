"""Base class of the recon family (the contract is :meth:`~qmlsec.attacks.base.Attack.run`)."""

from __future__ import annotations

from typing import ClassVar

from qmlsec.attacks.base import Attack


class ReconAttack(Attack):
    """Learns facts about the deployment (device, encoding, architecture) for later stages."""

    family: ClassVar[str] = "recon"
