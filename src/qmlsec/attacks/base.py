"""The attack base class: declared prerequisites, validated params, explicit seed.

:meth:`Attack.run` is the contract of every attack: the one entry the CLI, campaigns,
defenses and ``qmlsec assess`` call. It runs the attack on the data in an
:class:`AttackContext` and returns an :class:`AttackResult`; a subclass implements it in
``_run``. Each family (``evasion``, ``poisoning``, ``extraction``, ``inference``,
``tampering``, ``hardware``, ``circuit``, ``leakage``, ``sidechannel``, ``recon``,
``availability``) has a thin base class in its sub-package. A family declares a verb
only where the family's shared code calls it with one typed signature: evasion's
``generate(x, y, *, eps, box)`` (the robustness-curve run, adversarial training),
poisoning's ``poison(x, y, *, rate)`` and tampering's ``tamper(level, index)`` (the
provider sweep). The other families have no verb; their attacks implement ``_run``.

Constructors store and validate; ``run`` does the work (no I/O or random draws in
``__init__``).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from qmlsec.attacks.facts import Facts
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.config import FrozenModel, validate_params
from qmlsec.exceptions import RequirementError, TimeLimitExceeded
from qmlsec.killchain.catalog import require_technique_id


class NoParams(FrozenModel):
    """An attack without tunable parameters."""


@dataclass
class AttackContext:
    """The data and handles an attack run works on.

    Attributes:
        x_train, y_train: the victim's training split (raw features), when known.
        x_test, y_test: held-out data the attack is evaluated on.
        train_victim: retrains the victim on given data (for poisoning/backdoors);
            returns a fitted model.
        facts: what earlier stages of a kill-chain path established, as typed facts
            keyed by knowledge-base fact ID (:mod:`qmlsec.attacks.facts`).
        progress: optional ``progress(stage, done, total)`` callback for long runs
            (the CLI draws progress bars from it); attacks call :meth:`report`.
        deadline: a :func:`time.monotonic` time; :meth:`report` raises
            :class:`~qmlsec.exceptions.TimeLimitExceeded` once it has passed, so a run
            that reports progress stops at its next report (``None``: no limit).
    """

    x_test: np.ndarray
    y_test: np.ndarray
    x_train: np.ndarray | None = None
    y_train: np.ndarray | None = None
    train_victim: Callable[[np.ndarray, np.ndarray], Any] | None = None
    facts: Facts = field(default_factory=Facts)
    progress: Callable[[str, int, int], None] | None = None
    deadline: float | None = None

    def check_deadline(self, where: str) -> None:
        """Raise :class:`~qmlsec.exceptions.TimeLimitExceeded` once :attr:`deadline` passed."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TimeLimitExceeded(
                f"wall-time limit passed at {where}",
                hint="raise run_time_limit_s in the assess config or shrink the attack's params",
            )

    def report(self, stage: str, done: int, total: int) -> None:
        """Forward progress to :attr:`progress`; stop the run once :attr:`deadline` passed."""
        self.check_deadline(f"{stage} {done}/{total}")
        if self.progress is not None:
            self.progress(stage, done, total)


class Attack(ABC):
    """Base of every attack.

    Subclasses set the class attributes below; construction checks them against the
    target and raises :class:`~qmlsec.exceptions.RequirementError` naming what is missing.
    """

    name: ClassVar[str]
    technique_id: ClassVar[str]
    family: ClassVar[str]
    requires: ClassVar[frozenset[Capability]] = frozenset()
    positions: ClassVar[frozenset[Position]] = frozenset(Position)
    Params: ClassVar[type[FrozenModel]] = NoParams
    check_params: ClassVar[dict[str, Any]] = {}
    """Parameters for a quick run in the conformance check (small budgets); ``{}`` = defaults."""

    def __init__(
        self, target: Target, params: FrozenModel | dict[str, Any] | None = None, *, seed: int = 0
    ) -> None:
        require_technique_id(self.technique_id)
        self.params = self.validate_params(params)
        self.check_requirements(target)
        self.target = target
        self.seed = int(seed)

    @classmethod
    def validate_params(cls, params: FrozenModel | dict[str, Any] | None) -> Any:
        """Validate ``params`` against the attack's ``Params`` model."""
        return validate_params(cls.Params, params, owner=f"attack {cls.name!r}")

    @classmethod
    def check_requirements(cls, target: Target) -> None:
        """Raise if ``target`` lacks a required capability or sits in a wrong position."""
        missing = target.missing(cls.requires)
        if missing:
            names = ", ".join(sorted(c.value for c in missing))
            raise RequirementError(
                f"attack {cls.name!r} needs {names}, which the target does not offer "
                f"(attacker position: {target.position.value})",
                hint="use a target that grants these capabilities, e.g. Target.white_box(model) "
                "for gradient attacks or a probability-returning endpoint",
            )
        if target.position not in cls.positions:
            allowed = ", ".join(sorted(p.value for p in cls.positions))
            raise RequirementError(
                f"attack {cls.name!r} cannot be mounted from position {target.position.value!r}",
                hint=f"allowed positions: {allowed}",
            )

    def new_result(self, **kwargs: Any) -> AttackResult:
        """An :class:`AttackResult` pre-filled with this attack's identity, params and seed."""
        return AttackResult(
            attack=self.name,
            technique_id=self.technique_id,
            params=self.params.model_dump(mode="json"),
            seed=self.seed,
            **kwargs,
        )

    def run(self, ctx: AttackContext) -> AttackResult:
        """Run the attack on ``ctx`` and time it."""
        start = time.perf_counter()
        result = self._run(ctx)
        result.seconds = time.perf_counter() - start
        if self.target.endpoint is not None and hasattr(self.target.endpoint, "stats"):
            result.queries = self.target.endpoint.stats.to_dict()
        return result

    @abstractmethod
    def _run(self, ctx: AttackContext) -> AttackResult:
        """Family/attack-specific work behind :meth:`run`."""
