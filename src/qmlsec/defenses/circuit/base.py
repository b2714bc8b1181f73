"""Base of the circuit defenses: one verb, ``transform(circuit) -> circuit`` (pure).

A circuit defense rewrites what the user hands to an untrusted compiler or provider, in
the spirit of a Qiskit transformation pass: it returns a new circuit and never mutates
its input. Defenses whose rewrite must be undone after compilation (obfuscation) also
provide ``restore``.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qiskit import QuantumCircuit

from qmlsec.defenses.base import Defense


class CircuitDefense(Defense):
    """Rewrites circuits before they leave the user's hands."""

    role: ClassVar[str] = "circuit"  # type: ignore[assignment]

    @abstractmethod
    def transform(self, circuit: QuantumCircuit) -> Any:
        """A new circuit (or a record holding it) derived from ``circuit``."""
