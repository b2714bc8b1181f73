"""Optional dependencies of the importers: a missing one names the extra that installs it.

Example:
    >>> require("numpy", "pennylane").__name__
    'numpy'
"""

from __future__ import annotations

import importlib
from types import ModuleType

from qmlsec.exceptions import ConfigError

EXTRAS = {"pennylane": "pennylane", "qiskit_machine_learning": "qiskit-ml"}


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise a :class:`ConfigError` naming ``qmlsec[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ConfigError(
            f"importing this model needs the optional package {module.split('.')[0]!r} ({err.msg})",
            hint=f"install it with: pip install 'qmlsec[{extra}]'",
        ) from None
