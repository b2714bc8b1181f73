"""The attack registry: every attack is an entry point in the ``qmlsec.attacks`` group."""

from __future__ import annotations

from functools import cache

from qmlsec.attacks.base import Attack
from qmlsec.exceptions import NotFoundError
from qmlsec.plugins import closest, load_group

GROUP = "qmlsec.attacks"


@cache
def available_attacks() -> dict[str, type[Attack]]:
    """All registered attacks by name, sorted by name."""
    return load_group(GROUP, Attack)


def get_attack(name: str) -> type[Attack]:
    """The attack class registered as ``name``."""
    attacks = available_attacks()
    if name not in attacks:
        raise NotFoundError(
            f"no attack named {name!r}", hint=closest(name, attacks) or "run `qmlsec attack list`"
        )
    return attacks[name]
