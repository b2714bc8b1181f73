"""Base of the provider defenses: one verb, ``apply(cloud)``.

A provider defense is a policy on how the user's jobs are executed by a quantum cloud:
which device and qubits they get, who runs beside them, what is mixed into them, how
shots are spread over providers. ``apply`` installs it on (or checks) the provider, a
:class:`~qmlsec.cloud.providers.QuantumCloud`, and returns what was installed (or found).
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.defenses.base import Defense


class ProviderDefense(Defense):
    """Constrains or checks the execution of jobs on a quantum provider."""

    role: ClassVar[str] = "provider"  # type: ignore[assignment]

    @abstractmethod
    def apply(self, session: Any) -> Any:
        """Install the policy on ``session`` and return what was installed."""
