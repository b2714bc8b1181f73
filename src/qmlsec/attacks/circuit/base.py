"""Base class of the circuit family: one verb, `tamper`."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.attacks.base import Attack


class CircuitAttack(Attack):
    """Plants malicious logic in the circuit itself (compiler or transpiler trojans, synthesis-activated backdoors)."""

    family: ClassVar[str] = "circuit"

    @abstractmethod
    def tamper(self, *args: Any, **kwargs: Any) -> Any:
        """Plant the malicious circuit logic (e.g. a transpiler pass) and return it."""
