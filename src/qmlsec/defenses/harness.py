"""Build the setup an attack runs on, and re-point it at a defended model or endpoint.

:func:`setup_for` gives a registered attack the target its requirements ask for
(through :func:`qmlsec.attacks.harness.target_for`, which also gives attacks that need a
foothold in the quantum cloud a default ``QuantumCloud``).

Example:
    >>> from qmlsec.attacks.registry import get_attack
from qmlsec.attacks.targets import Target
    >>> from qmlsec.defenses.harness import needs_cloud
    >>> needs_cloud(get_attack("hardware.downgrade")), needs_cloud(get_attack("evasion.pgd"))
    (True, False)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.harness import NEEDS_CLOUD, target_for
from qmlsec.attacks.queries import QueryCounter
from qmlsec.attacks.registry import get_attack
from qmlsec.attacks.targets import Target
from qmlsec.defenses.base import AttackSetup


def needs_cloud(attack_cls: type[Attack]) -> bool:
    """Whether the attack acts from inside the quantum cloud."""
    return bool(frozenset(attack_cls.requires) & NEEDS_CLOUD)


def setup_for(
    attack: str | type[Attack],
    model: Any,
    ctx: AttackContext,
    *,
    params: dict[str, Any] | None = None,
    shots: int | None = None,
    budget: int | None = None,
    endpoint: Any = None,
    output: str | None = None,
) -> AttackSetup:
    """The setup of ``attack`` against ``model`` (params default to the attack's defaults).

    ``output`` overrides what a black-box endpoint returns (e.g. ``"probabilities"`` to a
    label-only attack, the setting output hardening is measured in).
    """
    attack_cls = get_attack(attack) if isinstance(attack, str) else attack
    target = target_for(attack_cls, model, endpoint=endpoint, shots=shots, budget=budget)
    counter = target.endpoint
    if output is not None and isinstance(counter, QueryCounter) and output != counter.output:
        richer = Target.black_box(counter, output=output).capabilities
        target = replace(target, capabilities=target.capabilities | richer, endpoint=QueryCounter(
            counter.endpoint, output=output, shots=shots, budget=budget))  # fmt: skip
    return AttackSetup(attack_cls, target, ctx, dict(params or {}), model, output=output)


def with_model(setup: AttackSetup, model: Any) -> AttackSetup:
    """The same setup against another victim model (the endpoint serves the new one)."""
    counter = setup.target.endpoint
    shots = counter.shots if isinstance(counter, QueryCounter) else None
    budget = counter.budget if isinstance(counter, QueryCounter) else None
    fresh = setup_for(setup.attack_cls, model, setup.ctx, params=setup.params, shots=shots,
                      budget=budget, output=setup.output)  # fmt: skip
    # the attacker keeps its foothold: the same provider cloud (device, trust) and position
    target = replace(fresh.target, cloud=setup.target.cloud, position=setup.target.position)
    return setup.replace(target=target, model=model)


def with_endpoint(setup: AttackSetup, wrap: Any) -> AttackSetup:
    """The same setup whose black-box endpoint is ``wrap(inner_endpoint)``.

    The query counter stays outermost, so the attacker's accounting is unchanged.
    """
    counter = setup.target.endpoint
    if not isinstance(counter, QueryCounter):
        return setup
    wrapped = QueryCounter(wrap(counter.endpoint), output=counter.output, shots=counter.shots,
                           budget=counter.budget)  # fmt: skip
    return setup.replace(target=replace(setup.target, endpoint=wrapped))
