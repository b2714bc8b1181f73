"""Runnable attacks, one technique per module, grouped by family."""

from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.queries import QueryCounter, QueryStats
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position, Target

__all__ = [
    "Attack",
    "AttackContext",
    "AttackResult",
    "Capability",
    "Position",
    "QueryCounter",
    "QueryStats",
    "Target",
]
