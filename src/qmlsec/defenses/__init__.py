"""Defenses: the mitigations of the kill-chain knowledge base as running code.

Each defense is registered (entry-point group ``qmlsec.defenses``), linked to its
mitigation ID and to the attacks it counters, plays a declared role and is measured by
:func:`qmlsec.defenses.evaluate.evaluate_defense` (the attack's metric without and
with it, and its cost).
"""

from qmlsec.attacks.setup import AttackSetup
from qmlsec.defenses.base import Defense, DefenseCost

__all__ = ["AttackSetup", "Defense", "DefenseCost"]
