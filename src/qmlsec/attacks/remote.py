"""An attack against a model served over HTTP: the API user's position, nothing more.

A URL grants what any API client of the model has (:data:`URL_GRANTS`): queries
returning labels, probabilities or expectations, and data from the task's distribution
(the attacker's own sample, given as the run's data split). :func:`remote_setup` builds
the :class:`~qmlsec.attacks.setup.AttackSetup` of a black-box attack on an
:class:`~qmlsec.attacks.http_target.HttpEndpoint` wrapped in the attacker's
:class:`~qmlsec.attacks.queries.QueryCounter` (its query budget); an attack that needs
white-box, data-write, tenancy or provider access is refused before any request, with the
capabilities it lacks named. :func:`run_remote` runs it and records the target and every
HTTP request in the result (``result.deployment``).

Example:
    >>> from qmlsec.attacks.registry import get_attack
    >>> check_remote(get_attack("extraction.substitute"))
    >>> try:
    ...     check_remote(get_attack("evasion.pgd"))
    ... except RequirementError as err:
    ...     print(err.message)
    attack 'evasion.pgd' needs input_gradients, which a URL target (query access only) does not give
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.http_target import HttpEndpoint
from qmlsec.attacks.queries import QueryCounter
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.setup import QUERY, AttackSetup, _output
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.exceptions import RequirementError

URL_GRANTS = QUERY | {Capability.TRAINING_DATA_READ}


def check_remote(attack_cls: type[Attack]) -> None:
    """Raise :class:`RequirementError` unless ``attack_cls`` runs on query access alone."""
    missing = frozenset(attack_cls.requires) - URL_GRANTS
    if missing:
        names = ", ".join(sorted(m.value for m in missing))
        raise RequirementError(
            f"attack {attack_cls.name!r} needs {names}, which a URL target "
            "(query access only) does not give",
            hint="run it on a deployment (--deployment DIR) or pick a black-box attack "
            "(`qmlsec attack list`: those requiring only query_access, labels, probabilities)",
        )
    if Position.API_USER not in attack_cls.positions:
        raise RequirementError(
            f"attack {attack_cls.name!r} cannot be mounted by an API user",
            hint="a URL target puts the attacker at the api_user position",
        )


def remote_setup(
    attack_cls: type[Attack],
    endpoint: HttpEndpoint,
    *,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    params: dict[str, Any] | None = None,
    shots: int | None = None,
    budget: int | None = None,
    output: str | None = None,
) -> AttackSetup:
    """The setup of a black-box attack against ``endpoint`` (see the module docstring).

    Raises:
        RequirementError: the attack needs more than query access.
    """
    check_remote(attack_cls)
    attack_cls.validate_params(dict(params or {}))
    endpoint.connect()
    required = frozenset(attack_cls.requires)
    counter = QueryCounter(endpoint, output=output or _output(required), shots=shots, budget=budget)
    target = Target(position=Position.API_USER, capabilities=frozenset(required | QUERY),
                    endpoint=counter)  # fmt: skip
    attack_cls.check_requirements(target)
    ctx = AttackContext(
        x_test=np.array(x_test, dtype=np.float64), y_test=np.array(y_test),
        x_train=np.array(x_train, dtype=np.float64), y_train=np.array(y_train),
    )  # fmt: skip
    return AttackSetup(attack_cls, target, ctx, dict(params or {}), None, output=output)


def run_remote(setup: AttackSetup, seed: int) -> AttackResult:
    """Run ``setup`` and record the URL target and its HTTP requests in the result."""
    counter = setup.target.endpoint
    assert isinstance(counter, QueryCounter) and isinstance(counter.endpoint, HttpEndpoint)
    http: HttpEndpoint = counter.endpoint
    result = setup.run(seed)
    result.deployment = {
        "target_url": http.base_url, "protocol": http.protocol, "model": http.model_id,
        "position": Position.API_USER.value, "shots": counter.shots,
        "device": "remote", "http": http.summary(), "requests": http.queries(),
    }  # fmt: skip
    result.notes.append(
        f"black-box over HTTP ({http.protocol}) at {http.base_url}, model {http.model_id!r}: "
        f"{len(http.records)} requests, {http.summary()['rate_limited']} answered 429, "
        f"{http.summary()['backoff_s']:.1f} s backed off"
    )
    return result
