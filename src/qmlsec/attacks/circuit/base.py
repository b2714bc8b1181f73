"""Base class of the circuit family (the contract is :meth:`~qmlsec.attacks.base.Attack.run`)."""

from __future__ import annotations

from typing import ClassVar

from qmlsec.attacks.base import Attack


class CircuitAttack(Attack):
    """Plants malicious logic in the circuit itself (compiler or transpiler trojans, synthesis-activated backdoors)."""

    family: ClassVar[str] = "circuit"
