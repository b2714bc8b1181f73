"""The defense registry: every defense is an entry point in the ``qmlsec.defenses`` group."""

from __future__ import annotations

from functools import cache

from qmlsec.defenses.base import Defense
from qmlsec.exceptions import NotFoundError
from qmlsec.plugins import closest, load_group

GROUP = "qmlsec.defenses"


@cache
def available_defenses() -> dict[str, type[Defense]]:
    """All registered defenses by name, sorted by name."""
    return load_group(GROUP, Defense)


def get_defense(name: str) -> type[Defense]:
    """The defense class registered as ``name``."""
    defenses = available_defenses()
    if name not in defenses:
        raise NotFoundError(
            f"no defense named {name!r}", hint=closest(name, defenses) or "run `qmlsec defend list`"
        )
    return defenses[name]
