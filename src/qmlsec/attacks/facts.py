"""Typed facts handed from one kill-chain stage to the next, keyed by knowledge-base fact IDs.

A stage's result carries what it established as :class:`Fact` objects
(:attr:`~qmlsec.attacks.result.AttackResult.facts`); the next stage's context holds them
in a :class:`Facts` store (:attr:`~qmlsec.attacks.base.AttackContext.facts`). Each class
names the fact of ``killchain/data/facts.yaml`` it stands for, so a technique's
``requires``/``provides`` are exactly the objects its attack consumes and produces; the
conformance check (:func:`qmlsec.testing.check_attack`) verifies both. The store
remembers which facts a stage read.

Example:
    >>> facts = Facts([KnownDevice("fake_manila")])
    >>> facts.get(KnownDevice).device, "know.device" in facts, facts.read
    ('fake_manila', True, {'know.device'})
    >>> facts.get(Colocation) is None
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np

from qmlsec.circuits import QNNSpec


class Fact:
    """Something the attacker holds; ``id`` is its knowledge-base fact."""

    id: ClassVar[str]

    def describe(self) -> str:
        """One line for notes and reports."""
        return self.id


@dataclass(frozen=True)
class KnownDevice(Fact):
    """``know.device``: the physical device that runs the victim's jobs."""

    id: ClassVar[str] = "know.device"
    device: str

    def describe(self) -> str:
        return f"{self.id}: {self.device}"


@dataclass(frozen=True)
class Colocation(Fact):
    """``know.colocation``: the victim's physical qubits on ``device``."""

    id: ClassVar[str] = "know.colocation"
    device: str
    qubits: tuple[int, ...]

    def describe(self) -> str:
        return f"{self.id}: qubits {list(self.qubits)} of {self.device}"


@dataclass(frozen=True)
class KnownEncoding(Fact):
    """``know.encoding``: the data encoding of the victim's QNN (within ``spec``)."""

    id: ClassVar[str] = "know.encoding"
    spec: QNNSpec

    def describe(self) -> str:
        return f"{self.id}: {self.spec.encoding}"


@dataclass(frozen=True)
class KnownArchitecture(Fact):
    """``know.architecture``: the circuit architecture (``spec``, or the gate sequence seen)."""

    id: ClassVar[str] = "know.architecture"
    spec: QNNSpec | None = None
    gates: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.spec is not None:
            s = self.spec
            return f"{self.id}: {s.encoding}/{s.ansatz}/{s.layers} layers/{s.n_qubits} qubits"
        return f"{self.id}: {len(self.gates)} gates"


@dataclass(frozen=True, eq=False)
class KnownParameters(Fact):
    """``know.parameters``: the trained circuit weights."""

    id: ClassVar[str] = "know.parameters"
    theta: np.ndarray


@dataclass(frozen=True, eq=False)
class VictimState(Fact):
    """``know.victim_state``: measured information about the victim's states."""

    id: ClassVar[str] = "know.victim_state"
    qubits: tuple[int, ...]
    advantage: float
    """How much better than guessing the attacker tells the victim's states apart."""


@dataclass(frozen=True, eq=False)
class TrainingInputs(Fact):
    """``know.training_inputs``: (encoded) training inputs."""

    id: ClassVar[str] = "know.training_inputs"
    inputs: np.ndarray
    space: str = "encoded"
    """``encoded`` (circuit inputs, after pre-processing) or ``raw`` (features)."""


@dataclass(frozen=True, eq=False)
class TrainingLabels(Fact):
    """``know.training_labels``: labels (or cluster ids) of :class:`TrainingInputs`."""

    id: ClassVar[str] = "know.training_labels"
    labels: np.ndarray
    clusters: np.ndarray | None = None


@dataclass(frozen=True, eq=False)
class ProxyModel(Fact):
    """``know.proxy_model``: a substitute of the victim on raw features."""

    id: ClassVar[str] = "know.proxy_model"
    model: Any
    source: str = ""


@dataclass(frozen=True, eq=False)
class BackdoorPlanted(Fact):
    """``state.backdoor``: a backdoor embedded in the victim (model or compilation)."""

    id: ClassVar[str] = "state.backdoor"
    kind: str
    """``data`` (poisoned training), ``circuit`` (a trojan in the compiled circuit)."""
    model: Any = None
    trigger: dict[str, Any] = field(default_factory=dict)
    handle: Any = None
    """What the attacker keeps to use the backdoor later (a planted trojan pass)."""


FACT_TYPES: dict[str, type[Fact]] = {
    cls.id: cls
    for cls in (KnownDevice, Colocation, KnownEncoding, KnownArchitecture, KnownParameters,
                VictimState, TrainingInputs, TrainingLabels, ProxyModel, BackdoorPlanted)
}  # fmt: skip
"""Every typed fact, by knowledge-base ID."""

F = TypeVar("F", bound=Fact)


class Facts:
    """What the attacker holds from earlier stages, one fact per ID; reads are recorded."""

    def __init__(self, facts: Iterable[Fact] = ()) -> None:
        self._facts: dict[str, Fact] = {}
        self.read: set[str] = set()
        for fact in facts:
            self.add(fact)

    def add(self, fact: Fact) -> None:
        """Hold ``fact`` (a later fact of the same ID replaces an earlier one)."""
        if not isinstance(fact, Fact) or fact.id not in FACT_TYPES:
            raise TypeError(f"not a typed fact: {fact!r}")
        self._facts[fact.id] = fact

    def get(self, cls: type[F]) -> F | None:
        """The held fact of type ``cls`` (``None`` when not held); the read is recorded."""
        self.read.add(cls.id)
        fact = self._facts.get(cls.id)
        return fact if isinstance(fact, cls) else None

    def __contains__(self, fact_id: object) -> bool:
        return fact_id in self._facts

    def __iter__(self) -> Iterator[Fact]:
        return iter(self._facts.values())

    def __len__(self) -> int:
        return len(self._facts)

    def ids(self) -> list[str]:
        """The IDs held, sorted."""
        return sorted(self._facts)

    def copy(self) -> Facts:
        """A fresh store with the same facts and no reads."""
        return Facts(self._facts.values())
