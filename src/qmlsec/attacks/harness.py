"""Build the target and context an attack needs from a victim model and its data split.

The CLI (``qmlsec attack run``) and the conformance check use this to hand every
registered attack a target that matches its declared requirements:

- input gradients / weights: a white-box target holding the model;
- query access only: a black-box target whose endpoint (the model served in process,
  or one passed in, e.g. from ``qmlsec.cloud.inference``) is wrapped in a
  :class:`~qmlsec.attacks.queries.QueryCounter` returning labels, probabilities or
  expectations as required, with the given shots and budget;
- training-data access: the model (its training recipe and encoder) plus the data;
- provider, transpiler, co-tenancy or physical access: the model plus the foothold's
  capabilities and a provider handle: the ``cloud`` given, else a default
  :class:`~qmlsec.cloud.providers.QuantumCloud` on a small fake device whose trust level
  follows the foothold (``malicious`` for provider, transpiler or co-tenancy control,
  whose hooks modify jobs; ``honest-but-curious`` for attacks that only observe).

Example:
    >>> from qmlsec.attacks.evasion.fgsm import FGSM
    >>> target_for(FGSM, model=object()).position.value
    'untrusted_classical_cloud'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.local_endpoint import LocalEndpoint
from qmlsec.attacks.queries import QueryCounter
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.exceptions import RequirementError

C = Capability
MODEL_IN_HAND = frozenset({C.INPUT_GRADIENTS, C.WEIGHTS})
QUERY = frozenset({C.QUERY_ACCESS, C.LABELS, C.PROBABILITIES, C.EXPECTATIONS})
DATA = frozenset({C.TRAINING_DATA_WRITE, C.TRAINING_DATA_READ, C.SHARED_GRADIENTS,
                  C.CLASSICAL_CONTROL})  # fmt: skip
NEEDS_CLOUD = frozenset({C.CIRCUIT_ACCESS, C.PROVIDER_CONTROL, C.TRANSPILER_CONTROL,
                         C.CO_TENANCY, C.SEQUENTIAL_TENANCY, C.PHYSICAL_ACCESS})  # fmt: skip
MODIFYING = frozenset({C.PROVIDER_CONTROL, C.TRANSPILER_CONTROL, C.CO_TENANCY})
DEFAULT_DEVICE = "fake_manila"
_PREFERRED = (Position.API_USER, Position.UNTRUSTED_CLASSICAL_CLOUD, Position.SUPPLY_CHAIN)


def endpoint_output(required: frozenset[Capability]) -> str:
    """The richest endpoint output ``required`` asks for."""
    if C.EXPECTATIONS in required:
        return "expectations"
    if C.PROBABILITIES in required:
        return "probabilities"
    return "labels"


def needs_endpoint(attack_cls: type[Attack]) -> bool:
    """Whether the attack reaches the victim through queries only (no model in hand)."""
    required = frozenset(attack_cls.requires)
    return bool(required & QUERY) and not required & MODEL_IN_HAND


def _position(attack_cls: type[Attack], black_box: bool) -> Position:
    allowed = attack_cls.positions
    order = _PREFERRED if black_box else _PREFERRED[1:] + _PREFERRED[:1]
    for pos in (*order, *Position):
        if pos in allowed:
            return pos
    raise RequirementError(f"attack {attack_cls.name!r} allows no attacker position")


def default_cloud(required: frozenset[Capability], *, seed: int = 0) -> Any:
    """A provider foothold on ``fake_manila`` with the trust level ``required`` needs."""
    from qmlsec.cloud.providers import QuantumCloud

    trust = "malicious" if required & MODIFYING else "honest-but-curious"
    return QuantumCloud([DEFAULT_DEVICE], trust=trust, seed=seed)


def target_for(
    attack_cls: type[Attack],
    model: Any,
    *,
    endpoint: Any = None,
    shots: int | None = None,
    budget: int | None = None,
    cloud: Any = None,
) -> Target:
    """A target granting exactly what ``attack_cls`` declares it needs.

    Args:
        attack_cls: the attack class.
        model: the fitted victim.
        endpoint: a served victim for black-box access; default: ``model`` served in
            process by :class:`~qmlsec.attacks.local_endpoint.LocalEndpoint`.
        shots: shots per query of the endpoint (``None``: exact).
        budget: query budget in samples.
        cloud: a provider handle for attacks acting through a foothold in the cloud;
            default: :func:`default_cloud` when the attack needs one.

    Raises:
        RequirementError: if the attack allows no attacker position.
    """
    required = frozenset(attack_cls.requires)
    white_box = bool(required & MODEL_IN_HAND)
    black_box = needs_endpoint(attack_cls)
    caps = set(required)
    counter = None
    if white_box:
        caps |= Target.white_box(model).capabilities
    if black_box:
        output = endpoint_output(required)
        served = endpoint if endpoint is not None else LocalEndpoint(model)
        counter = QueryCounter(served, output=output, shots=shots, budget=budget)
        caps |= Target.black_box(counter, output=output).capabilities
    if cloud is None and required & NEEDS_CLOUD:
        cloud = default_cloud(required)
    keep_model = white_box or bool(required & (DATA | NEEDS_CLOUD)) or not black_box
    return Target(
        position=_position(attack_cls, black_box),
        capabilities=frozenset(caps),
        model=model if keep_model else None,
        endpoint=counter,
        cloud=cloud,
    )


def refit_like(model: Any) -> Any:
    """``train_victim`` for a context: fit a fresh copy of ``model`` (same params)."""

    def train_victim(x: np.ndarray, y: np.ndarray) -> Any:
        return type(model)(**model.get_params()).fit(x, y)

    return train_victim


def context_for(
    model: Any,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    **extras: Any,
) -> AttackContext:
    """A context over a train/test split whose ``train_victim`` refits ``model``'s recipe."""
    return AttackContext(
        x_test=np.array(x_test, dtype=np.float64),
        y_test=np.array(y_test),
        x_train=np.array(x_train, dtype=np.float64),
        y_train=np.array(y_train),
        train_victim=refit_like(model),
        extras=dict(extras),
    )
