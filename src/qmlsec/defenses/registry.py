"""The defense registry: every defense is an entry point in the ``qmlsec.defenses`` group."""

from __future__ import annotations

import difflib
from functools import cache
from importlib.metadata import entry_points

from qmlsec.defenses.base import Defense
from qmlsec.exceptions import NotFoundError

GROUP = "qmlsec.defenses"


@cache
def available_defenses() -> dict[str, type[Defense]]:
    """All registered defenses by name, sorted by name."""
    found: dict[str, type[Defense]] = {}
    for ep in entry_points(group=GROUP):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Defense)):
            raise TypeError(f"entry point {ep.name!r} does not name a Defense subclass")
        if cls.name != ep.name:
            raise TypeError(f"entry point {ep.name!r} loads a defense named {cls.name!r}")
        found[ep.name] = cls
    return dict(sorted(found.items()))


def get_defense(name: str) -> type[Defense]:
    """The defense class registered as ``name``."""
    defenses = available_defenses()
    if name not in defenses:
        close = difflib.get_close_matches(name, list(defenses), n=3)
        raise NotFoundError(
            f"no defense named {name!r}",
            hint=f"did you mean {', '.join(close)}?" if close else "run `qmlsec defend list`",
        )
    return defenses[name]
