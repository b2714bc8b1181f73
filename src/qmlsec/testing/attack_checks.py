"""The conformance check every registered attack must pass.

``check_attack(setup)`` asserts the contract of
:class:`~qmlsec.attacks.base.Attack` (cf. scikit-learn's ``check_estimator``):

1. its technique ID exists in the kill-chain knowledge base, whose record lists the
   attack's name under ``implemented_by``;
2. its name is ``"family.name"``, starts with its family and matches its registry key;
3. ``Params`` is a frozen config model constructible from defaults;
4. construction does no work: no learned state, no queries, no result;
5. ``run`` returns an :class:`~qmlsec.attacks.result.AttackResult` whose ``to_json()``
   round-trips through ``json.loads`` and names the attack, technique, params and seed;
6. every per-sample list has the same length;
7. every metric is a finite number;
8. the same seed gives identical metrics (and identical query accounting);
9. a target without the required capabilities is refused at construction, and the
   error names every missing capability;
10. facts: given (perfect-knowledge) typed facts for everything its technique
    ``requires``, the run reads each of them; every typed fact it hands on is one its
    technique ``provides``, and every typed fact it claims under ``provides`` is handed
    on as an object (:mod:`qmlsec.attacks.facts`).

Example:
    >>> from qmlsec.testing import check_attack
    >>> from qmlsec.testing.victims import small_victim
    >>> result = check_attack(small_victim().setup("evasion.fgsm", n_test=8))
    >>> result.deployment["position"]
    'untrusted_classical_cloud'

"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from typing import Any

from qmlsec.attacks.base import Attack
from qmlsec.attacks.facts import FACT_TYPES, Fact
from qmlsec.attacks.perfect_knowledge import perfect_facts
from qmlsec.attacks.queries import QueryCounter
from qmlsec.attacks.registry import get_attack
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.setup import AttackSetup
from qmlsec.attacks.targets import Target
from qmlsec.config import FrozenModel
from qmlsec.exceptions import RequirementError
from qmlsec.killchain.catalog import load_catalog, require_technique_id

NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


class ConformanceError(AssertionError):
    """An attack breaks the attack contract."""


def _fail(attack_cls: type[Attack], message: str) -> ConformanceError:
    return ConformanceError(
        f"{attack_cls.__name__} ({getattr(attack_cls, 'name', '?')}): {message}"
    )


def check_identity(attack_cls: type[Attack], registry_name: str | None = None) -> None:
    """Checks 1-3: technique ID, name format, Params."""
    require_technique_id(attack_cls.technique_id)
    name = attack_cls.name
    listed = load_catalog().technique(attack_cls.technique_id).implemented_by
    if name not in listed:
        raise _fail(
            attack_cls,
            f"technique {attack_cls.technique_id} lists implemented_by {list(listed)}, not {name!r}",
        )
    if not NAME.match(name):
        raise _fail(attack_cls, f"name {name!r} is not 'family.name'")
    if name.split(".")[0] != attack_cls.family:
        raise _fail(attack_cls, f"name {name!r} does not start with family {attack_cls.family!r}")
    if registry_name is not None and registry_name != name:
        raise _fail(attack_cls, f"registered as {registry_name!r} but named {name!r}")
    params_cls = attack_cls.Params
    if not issubclass(params_cls, FrozenModel) or not params_cls.model_config.get("frozen"):
        raise _fail(attack_cls, "Params must be a frozen FrozenModel")
    params_cls()  # defaults must validate


def _queries(target: Target) -> dict[str, int]:
    stats = getattr(target.endpoint, "stats", None)
    return dict(stats.to_dict()) if stats is not None else {}


def _fresh(target: Target) -> Target:
    """The same target with a new, zeroed query counter (so two runs compare cleanly)."""
    counter = target.endpoint
    if not isinstance(counter, QueryCounter):
        return target
    fresh = QueryCounter(
        counter.endpoint, output=counter.output, shots=counter.shots, budget=counter.budget
    )
    return dataclasses.replace(target, endpoint=fresh)


def check_result(attack_cls: type[Attack], attack: Attack, result: Any) -> None:
    """Checks 5-7 on one result."""
    if not isinstance(result, AttackResult):
        raise _fail(attack_cls, f"run returned {type(result).__name__}, not AttackResult")
    data = json.loads(result.to_json())
    if data != json.loads(json.dumps(result.to_dict(), sort_keys=True)):
        raise _fail(attack_cls, "to_json() does not round-trip")
    expected = {"attack": attack.name, "technique_id": attack.technique_id, "seed": attack.seed}
    for key, value in expected.items():
        if data[key] != value:
            raise _fail(attack_cls, f"result {key} is {data[key]!r}, expected {value!r}")
    if data["params"] != json.loads(json.dumps(attack.params.model_dump(mode="json"))):
        raise _fail(attack_cls, "result params differ from the validated params")
    lengths = {key: len(values) for key, values in result.per_sample.items()}
    if len(set(lengths.values())) > 1:
        raise _fail(attack_cls, f"per-sample lists differ in length: {lengths}")
    for key, value in result.metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(attack_cls, f"metric {key!r} is {type(value).__name__}, not a number")
        if not math.isfinite(value):
            raise _fail(attack_cls, f"metric {key!r} is not finite: {value}")


def check_requirements_error(attack_cls: type[Attack], target: Target) -> None:
    """Check 9: a target stripped of capabilities is refused, naming what is missing."""
    if not attack_cls.requires:
        return
    bare = Target(position=target.position, capabilities=frozenset())
    try:
        attack_cls(bare)
    except RequirementError as err:
        missing = [c.value for c in attack_cls.requires if c.value not in str(err)]
        if missing:
            raise _fail(attack_cls, f"requirement error does not name {missing}: {err}") from None
        return
    raise _fail(attack_cls, "accepted a target without any of its required capabilities")


def required_facts(attack_cls: type[Attack]) -> list[str]:
    """The typed facts the attack's technique requires (all of them or any of them)."""
    technique = load_catalog().technique(attack_cls.technique_id)
    return [f for f in (*technique.requires, *technique.requires_any) if f in FACT_TYPES]


def check_facts(
    attack_cls: type[Attack], result: AttackResult, needed: list[str], read: set[str]
) -> None:
    """Check 10: consumed and produced facts match the technique's requires/provides."""
    unread = [f for f in needed if f not in read]
    if unread:
        raise _fail(attack_cls, f"never reads the fact(s) {unread} its technique requires")
    provides = set(load_catalog().technique(attack_cls.technique_id).provides)
    for fact_id, fact in result.facts.items():
        if fact_id not in FACT_TYPES or not isinstance(fact, FACT_TYPES[fact_id]):
            raise _fail(attack_cls, f"hands on {fact!r} under {fact_id!r}, not its typed fact")
        if fact_id not in provides:
            raise _fail(attack_cls, f"hands on {fact_id!r}, which its technique does not provide")
    claimed = sorted(f for f in result.provides if f in FACT_TYPES and f not in result.facts)
    if claimed:
        raise _fail(attack_cls, f"claims {claimed} under provides without handing them on")


PLANTERS = {"state.backdoor": "poisoning.backdoor"}
"""Facts that are a change an attack makes to the victim (no perfect-knowledge form): the
check establishes them by running the attack that makes that change, with its check
params, on the same deployment."""


def planted(setup: AttackSetup, fact_id: str, seed: int) -> Fact:
    """Run the planting attack of ``fact_id`` on ``setup``'s deployment; the fact it made."""
    ctx = setup.ctx
    assert setup.deployment is not None and ctx.x_train is not None and ctx.y_train is not None
    planter = AttackSetup.from_deployment(
        PLANTERS[fact_id], setup.deployment, x_train=ctx.x_train, y_train=ctx.y_train,
        x_test=ctx.x_test, y_test=ctx.y_test, train_victim=ctx.train_victim,
        params=dict(get_attack(PLANTERS[fact_id]).check_params),
    )  # fmt: skip
    fact = planter.run(seed).facts.get(fact_id)
    if fact is None:
        raise _fail(setup.attack_cls, f"{PLANTERS[fact_id]} did not establish {fact_id}")
    return fact


def check_attack(
    setup: AttackSetup,
    *,
    params: dict[str, Any] | None = None,
    seed: int = 0,
    registry_name: str | None = None,
) -> AttackResult:
    """Run the whole conformance check; return the first run's result.

    Args:
        setup: the attack on a deployment
            (:meth:`~qmlsec.attacks.setup.AttackSetup.from_deployment`); keep its data
            small, the attack runs twice.
        params: parameters; default ``attack_cls.check_params``.
        seed: the run seed.
        registry_name: the key it is registered under, if any.

    Raises:
        ConformanceError: on the first broken rule.
    """
    attack_cls = setup.attack_cls
    check_identity(attack_cls, registry_name)
    params = dict(attack_cls.check_params if params is None else params)
    first_target = _fresh(setup.target)
    attack = attack_cls(first_target, params, seed=seed)
    learned = [k for k in vars(attack) if k.endswith("_") and not k.startswith("_")]
    if learned:
        raise _fail(attack_cls, f"construction set learned state {learned}")
    if any(_queries(first_target).values()):
        raise _fail(attack_cls, "construction sent queries to the target")
    needed = required_facts(attack_cls)
    if needed and setup.deployment is not None:
        ctx = setup.ctx
        known = [f for f in needed if f not in PLANTERS]
        held = perfect_facts(setup.deployment, known, ctx.x_train if ctx.x_train is not None
                             else ctx.x_test, ctx.y_train if ctx.y_train is not None else ctx.y_test)  # fmt: skip
        for fact_id in needed:
            if fact_id in PLANTERS:
                held.add(planted(setup, fact_id, seed))
        setup = setup.replace(ctx=dataclasses.replace(ctx, facts=held))
    first = setup.replace(target=first_target, params=params).run(seed)
    check_result(attack_cls, attack, first)
    check_facts(attack_cls, first, needed, setup.ctx.facts.read)
    second_target = _fresh(setup.target)
    second = setup.replace(target=second_target, params=params).run(seed)
    if second.metrics != first.metrics:
        changed = sorted(k for k in first.metrics if first.metrics[k] != second.metrics.get(k))
        raise _fail(attack_cls, f"same seed, different metrics: {changed}")
    if _queries(second_target) != _queries(first_target):
        raise _fail(attack_cls, "same seed, different query accounting")
    check_requirements_error(attack_cls, setup.target)
    return first
