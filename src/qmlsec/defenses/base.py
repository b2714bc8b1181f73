"""The defense base class: a mitigation of the knowledge base, a role, validated params.

Every defense names the mitigation it implements (``QML.M0001`` ...), the role it plays
in the QMLaaS pipeline and the attacks it counters. Each role has a thin base class with
one verb (in the role's sub-package ``base.py``):

========================  =====================================================
role                      verb
========================  =====================================================
``trainer``               ``fit(X, y) -> model``
``postprocessor``         ``__call__(probs) -> probs``
``detector``              ``observe(key_id, model_id, X) -> alert | None``
``circuit``               ``transform(circuit) -> circuit`` (pure)
``provider``              ``apply(session)`` installs a policy or a hook
========================  =====================================================

and one uniform entry, :meth:`Defense.protect`, that the evaluation
(:func:`qmlsec.defenses.evaluate.evaluate_defense`) uses: it takes an
:class:`~qmlsec.attacks.setup.AttackSetup` (the attack class, its target, context,
params and deployment) and returns the
setup the attack faces with the defense in place plus the defense's
:class:`DefenseCost`. A defense that cannot be expressed as a change of the attack's
setup (e.g. a check that runs beside the attacked executions) overrides
:meth:`Defense.defended_run` instead.

Constructors store and validate; the verb does the work (no I/O or random draws in
``__init__``; learned state ends in ``_``).
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.setup import AttackSetup
from qmlsec.config import FrozenModel, validate_params
from qmlsec.exceptions import ConfigError
from qmlsec.killchain.catalog import require_mitigation_id

Role = Literal["trainer", "preprocessor", "postprocessor", "detector", "circuit", "provider"]
ROLES: tuple[str, ...] = ("trainer", "preprocessor", "postprocessor", "detector", "circuit",
                          "provider")  # fmt: skip


class NoParams(FrozenModel):
    """A defense without tunable parameters."""


@dataclass
class DefenseCost:
    """What a defense costs the defender (zero where it does not apply).

    Attributes:
        accuracy_drop: clean test accuracy lost (positive = worse).
        depth_overhead: relative circuit-depth increase (0.1 = 10% deeper).
        extra_shots: shots spent beyond the undefended run.
        seconds: defender-side wall time (training, checks, transforms).
        price: simulated price of the extra executions (USD).
        extra: defense-specific cost figures (time multiplier, refused jobs, ...).
    """

    accuracy_drop: float = 0.0
    depth_overhead: float = 0.0
    extra_shots: int = 0
    seconds: float = 0.0
    price: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out: dict[str, Any] = {
            "accuracy_drop": float(self.accuracy_drop),
            "depth_overhead": float(self.depth_overhead),
            "extra_shots": int(self.extra_shots),
            "seconds": float(self.seconds),
            "price": float(self.price),
        }
        out.update({k: float(v) for k, v in self.extra.items()})
        return out


class Defense(ABC):
    """Base of every defense.

    Subclasses set the class attributes below. Construction validates the mitigation
    ID and the params and does nothing else.

    Attributes:
        name: registry name ``"role.name"``, listed under the mitigation's
            ``implemented_by`` in the knowledge base.
        mitigation_id: the knowledge-base mitigation, e.g. ``QML.M0004``.
        role: where the defense acts (see the module docstring).
        counters: registry names of the attacks it is measured against.
        Params: frozen pydantic model of its parameters.
        check_params: parameters for a quick run in the conformance check.
    """

    name: ClassVar[str]
    mitigation_id: ClassVar[str]
    role: ClassVar[Role]
    counters: ClassVar[tuple[str, ...]] = ()
    Params: ClassVar[type[FrozenModel]] = NoParams
    check_params: ClassVar[dict[str, Any]] = {}

    def __init__(
        self, params: FrozenModel | dict[str, Any] | None = None, *, seed: int = 0
    ) -> None:
        require_mitigation_id(self.mitigation_id)
        if self.role not in ROLES:
            raise ConfigError(f"defense {self.name!r} has unknown role {self.role!r}",
                              hint=f"use one of {', '.join(ROLES)}")  # fmt: skip
        self.params = self.validate_params(params)
        self.seed = int(seed)

    @classmethod
    def validate_params(cls, params: FrozenModel | dict[str, Any] | None) -> Any:
        """Validate ``params`` against the defense's ``Params`` model."""
        return validate_params(cls.Params, params, owner=f"defense {cls.name!r}")

    def protect(self, setup: AttackSetup) -> tuple[AttackSetup, DefenseCost]:
        """The setup the attack faces with this defense in place, and the defense's cost.

        Role base classes implement it; a defense measured through
        :meth:`defended_run` leaves it unimplemented.
        """
        raise NotImplementedError(
            f"defense {self.name!r} does not change an attack's setup; use defended_run"
        )

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[AttackResult, DefenseCost]:
        """Run the attack of ``setup`` with this defense in place.

        The default protects the setup and runs the attack on it. Defenses that act
        beside the attacked executions (canaries, fingerprints, pads) override this and
        return an :class:`AttackResult` with the attack's own metric names.
        """
        protected, cost = self.protect(setup)
        result = protected.run(seed)
        result.notes.extend(protected.notes)
        return result, cost

    def describe(self) -> dict[str, Any]:
        """Identity, role, counters and params (JSON-ready)."""
        return {
            "name": self.name,
            "mitigation_id": self.mitigation_id,
            "role": self.role,
            "counters": list(self.counters),
            "params": self.params.model_dump(mode="json"),
            "seed": self.seed,
        }
