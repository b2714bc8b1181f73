"""Entry-point registries shared by the attack and defense catalogs.

Example:
    >>> from qmlsec.plugins import closest
    >>> closest("evasion.pdg", ["evasion.pgd", "poisoning.quid"])
    'did you mean evasion.pgd?'
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any


def load_group(group: str, base: type[Any]) -> dict[str, type[Any]]:
    """Every class registered in entry-point ``group``, by name; each must subclass
    ``base`` and carry the ``name`` it is registered under."""
    found: dict[str, type[Any]] = {}
    for ep in entry_points(group=group):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise TypeError(f"entry point {ep.name!r} does not name a {base.__name__} subclass")
        registered_as = getattr(cls, "name", None)
        if registered_as != ep.name:
            raise TypeError(f"entry point {ep.name!r} loads a class named {registered_as!r}")
        found[ep.name] = cls
    return dict(sorted(found.items()))


def closest(name: str, names: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a mistyped ``name``, or ``None``."""
    close = difflib.get_close_matches(name, list(names), n=3)
    return f"did you mean {', '.join(close)}?" if close else None
