"""Resolve ``module:object`` references to the user's own Python objects.

Example:
    >>> load_object("collections:OrderedDict").__name__
    'OrderedDict'
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qmlsec.exceptions import ConfigError


def load_object(reference: str, paths: Sequence[str | Path] = ()) -> Any:
    """The object ``module:attr[.attr...]``, importing ``module`` with ``paths`` first on ``sys.path``.

    Importing runs the user's module: only reference code you trust.

    Raises:
        ConfigError: a malformed reference, a module that does not import (its error
            named) or a missing attribute.
    """
    module_name, sep, attr = reference.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"{reference!r} is not a module:object reference",
                          hint="write e.g. my_model:layer (module my_model.py, object layer)")  # fmt: skip
    added = [str(Path(p).resolve()) for p in paths]
    for p in reversed(added):
        sys.path.insert(0, p)
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ConfigError(f"cannot import module {module_name!r}: {err}",
                          hint="pass --path DIR with the folder that holds it") from None  # fmt: skip
    except Exception as err:  # noqa: BLE001 - the user's module may raise anything on import
        raise ConfigError(
            f"importing {module_name!r} failed: {type(err).__name__}: {err}"
        ) from None
    finally:
        for p in added:
            if p in sys.path:
                sys.path.remove(p)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ConfigError(f"module {module_name!r} has no object {attr!r}")
        obj = getattr(obj, part)
    return obj
