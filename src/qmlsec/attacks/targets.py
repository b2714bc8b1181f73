"""What an attacker holds against the victim: capabilities, position, and handles.

An attack declares the :class:`Capability` set it needs and the attacker
:class:`Position` s it can be mounted from; a :class:`Target` states what the attacker
actually has. The check happens when the attack is constructed, before any work.

Example:
    >>> from qmlsec.attacks.targets import Capability, Position, Target
    >>> t = Target(position=Position.API_USER,
    ...            capabilities=frozenset({Capability.QUERY_ACCESS, Capability.LABELS}))
    >>> sorted(c.value for c in t.missing({Capability.QUERY_ACCESS, Capability.PROBABILITIES}))
    ['probabilities']
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Capability(StrEnum):
    """A thing an attacker can do or see."""

    INPUT_GRADIENTS = "input_gradients"
    """Gradients of the loss w.r.t. raw inputs (a white-box model in hand)."""
    WEIGHTS = "weights"
    """The trained parameters and architecture."""
    QUERY_ACCESS = "query_access"
    """Can send inputs to the deployed endpoint."""
    PROBABILITIES = "probabilities"
    """The endpoint returns class probabilities (else labels only)."""
    LABELS = "labels"
    """The endpoint returns labels."""
    EXPECTATIONS = "expectations"
    """The endpoint returns raw expectation values."""
    TRAINING_DATA_WRITE = "training_data_write"
    """Can modify training data or labels before training."""
    TRAINING_DATA_READ = "training_data_read"
    """Can read (a shadow of) the training distribution."""
    SHARED_GRADIENTS = "shared_gradients"
    """Sees per-batch gradients exchanged during training."""
    CIRCUIT_ACCESS = "circuit_access"
    """Sees the (transpiled, bound) circuits submitted for execution."""
    PROVIDER_CONTROL = "provider_control"
    """Controls the quantum provider: may alter circuits, results, allocation, timing."""
    TRANSPILER_CONTROL = "transpiler_control"
    """Controls a pass or plug-in of the compilation toolchain."""
    CO_TENANCY = "co_tenancy"
    """Can run jobs on the same device at the same time as the victim."""
    SEQUENTIAL_TENANCY = "sequential_tenancy"
    """Is scheduled on the same physical qubits right after the victim."""
    PHYSICAL_ACCESS = "physical_access"
    """Can measure control-electronics power or pulses."""
    CLASSICAL_CONTROL = "classical_control"
    """Controls the classical cloud: data at rest, pre/post-processing."""


class Position(StrEnum):
    """Where the attacker sits in the QMLaaS deployment (the knowledge base's positions)."""

    API_USER = "api_user"
    CO_TENANT = "co_tenant"
    UNTRUSTED_CLASSICAL_CLOUD = "untrusted_classical_cloud"
    UNTRUSTED_QUANTUM_CLOUD = "untrusted_quantum_cloud"
    SUPPLY_CHAIN = "supply_chain"
    PHYSICAL_INSIDER = "physical_insider"


@dataclass
class Target:
    """The attacker's view of the victim.

    Attributes:
        position: where the attacker sits.
        capabilities: what the attacker can do or see from there.
        model: a white-box model (``QNNClassifier``) when the attacker holds one.
        endpoint: a black-box endpoint (usually a :class:`~qmlsec.attacks.queries.QueryCounter`).
        cloud: a provider handle (``QuantumCloud``) for attacks acting through its hooks.
    """

    position: Position
    capabilities: frozenset[Capability]
    model: Any = None
    endpoint: Any = None
    cloud: Any = None

    def missing(self, required: set[Capability] | frozenset[Capability]) -> set[Capability]:
        """The required capabilities this target lacks."""
        return set(required) - set(self.capabilities)

    @classmethod
    def white_box(
        cls, model: Any, position: Position = Position.UNTRUSTED_CLASSICAL_CLOUD
    ) -> Target:
        """A target whose model (weights and gradients) is in the attacker's hands."""
        caps = {
            Capability.INPUT_GRADIENTS,
            Capability.WEIGHTS,
            Capability.QUERY_ACCESS,
            Capability.PROBABILITIES,
            Capability.LABELS,
            Capability.EXPECTATIONS,
        }
        return cls(position=position, capabilities=frozenset(caps), model=model)

    @classmethod
    def black_box(cls, endpoint: Any, *, output: str = "probabilities") -> Target:
        """A target reachable only through queries returning ``output``."""
        caps = {Capability.QUERY_ACCESS, Capability.LABELS}
        if output in ("probabilities", "expectations"):
            caps.add(Capability.PROBABILITIES)
        if output == "expectations":
            caps.add(Capability.EXPECTATIONS)
        return cls(position=Position.API_USER, capabilities=frozenset(caps), endpoint=endpoint)
