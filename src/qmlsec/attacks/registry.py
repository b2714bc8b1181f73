"""The attack registry: every attack is an entry point in the ``qmlsec.attacks`` group."""

from __future__ import annotations

import difflib
from functools import cache
from importlib.metadata import entry_points

from qmlsec.attacks.base import Attack
from qmlsec.exceptions import NotFoundError

GROUP = "qmlsec.attacks"


@cache
def available_attacks() -> dict[str, type[Attack]]:
    """All registered attacks by name, sorted by name."""
    found: dict[str, type[Attack]] = {}
    for ep in entry_points(group=GROUP):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Attack)):
            raise TypeError(f"entry point {ep.name!r} does not name an Attack subclass")
        if cls.name != ep.name:
            raise TypeError(f"entry point {ep.name!r} loads an attack named {cls.name!r}")
        found[ep.name] = cls
    return dict(sorted(found.items()))


def get_attack(name: str) -> type[Attack]:
    """The attack class registered as ``name``."""
    attacks = available_attacks()
    if name not in attacks:
        close = difflib.get_close_matches(name, list(attacks), n=3)
        raise NotFoundError(
            f"no attack named {name!r}",
            hint=f"did you mean {', '.join(close)}?" if close else "run `qmlsec attack list`",
        )
    return attacks[name]
