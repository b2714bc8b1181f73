"""The conformance check every registered defense must pass.

``check_defense(defense_cls)`` asserts the contract of
:class:`~qmlsec.defenses.base.Defense` (cf. scikit-learn's ``check_estimator``):

1. its mitigation ID exists in the kill-chain knowledge base, whose record lists the
   defense's name under ``implemented_by``;
2. its name is ``"role.name"``, starts with its role and matches its registry key;
3. ``Params`` is a frozen config model constructible from defaults and from
   ``check_params``; bad params raise :class:`~qmlsec.exceptions.ConfigError`;
4. construction does no work: no learned state (attributes ending in ``_``);
5. every attack it counters is a registered attack;
6. it implements its role's verb (``fit``, ``__call__``, ``observe``, ``transform``
   or ``sign``/``verify``, ``apply``);
7. its docstrings cite the work it follows and say what it does not cover;
8. ``describe()`` is JSON-serialisable;
9. role behaviour on synthetic input: a post-processor returns probability rows and is
   deterministic for a seed; a detector returns ``None`` or an alert with the service's
   fields and forgets on ``reset``.

Example:
    >>> from qmlsec.defenses.detector.prada import PRADA
    >>> from qmlsec.testing.defense_checks import check_defense
    >>> check_defense(PRADA, registry_name="detector.prada").name
    'detector.prada'
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any

import numpy as np

from qmlsec.attacks.registry import available_attacks
from qmlsec.config import FrozenModel
from qmlsec.defenses.base import ROLES, Defense
from qmlsec.exceptions import ConfigError
from qmlsec.killchain.catalog import load_catalog, require_mitigation_id

NAME = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
VERBS = {
    "trainer": ("fit",),
    "postprocessor": ("__call__",),
    "preprocessor": ("transform",),
    "detector": ("observe", "reset"),
    "circuit": ("transform",),
    "provider": ("apply",),
}
ALERT_FIELDS = ("detector", "key_id", "model_id", "score", "threshold", "detail")


class DefenseConformanceError(AssertionError):
    """A defense breaks the defense contract."""


def _fail(cls: type[Defense], message: str) -> DefenseConformanceError:
    return DefenseConformanceError(f"{cls.__name__} ({getattr(cls, 'name', '?')}): {message}")


def _implements(cls: type[Defense], verb: str) -> bool:
    method = getattr(cls, verb, None)
    return callable(method) and not getattr(method, "__isabstractmethod__", False)


def check_identity(cls: type[Defense], registry_name: str | None = None) -> None:
    """Checks 1, 2, 5, 6 and 7."""
    require_mitigation_id(cls.mitigation_id)
    listed = load_catalog().mitigation(cls.mitigation_id).implemented_by
    if cls.name not in listed:
        raise _fail(
            cls, f"{cls.mitigation_id} lists implemented_by {list(listed)}, not {cls.name!r}"
        )
    if not NAME.match(cls.name):
        raise _fail(cls, f"name {cls.name!r} is not 'role.name'")
    if cls.role not in ROLES or cls.name.split(".")[0] != cls.role:
        raise _fail(cls, f"name {cls.name!r} does not start with its role {cls.role!r}")
    if registry_name is not None and registry_name != cls.name:
        raise _fail(cls, f"registered as {registry_name!r} but named {cls.name!r}")
    unknown = sorted(set(cls.counters) - set(available_attacks()))
    if unknown:
        raise _fail(cls, f"counters unregistered attacks {unknown}")
    verbs = VERBS[cls.role]
    if cls.name == "circuit.artifact_signing":
        verbs = ("sign", "verify")
    missing = [v for v in verbs if not _implements(cls, v)]
    if missing:
        raise _fail(cls, f"role {cls.role!r} needs {missing}")
    doc = inspect.getdoc(inspect.getmodule(cls)) or ""
    if not re.search(r"arXiv|\(\w[^)]*\d{4}\)|\d{4}\)", doc) or "Not covered" not in doc:
        raise _fail(cls, "module docstring must cite its source and say what is not covered")


def check_params(cls: type[Defense]) -> None:
    """Check 3."""
    params_cls = cls.Params
    if not issubclass(params_cls, FrozenModel) or not params_cls.model_config.get("frozen"):
        raise _fail(cls, "Params must be a frozen FrozenModel")
    params_cls()
    params_cls(**cls.check_params)
    try:
        cls({"no_such_parameter": 1})
    except ConfigError:
        pass
    else:
        raise _fail(cls, "accepted an unknown parameter")


def _check_postprocessor(cls: type[Defense], params: dict[str, Any], seed: int) -> None:
    gen = np.random.default_rng(seed)
    probs = gen.dirichlet(np.ones(3), size=8)
    post: Any = cls(params, seed=seed)
    first = np.asarray(post(probs))
    second = np.asarray(post.__class__(params, seed=seed)(probs))
    if first.shape != probs.shape or (first < -1e-12).any():
        raise _fail(cls, "post-processor must return non-negative rows of the input shape")
    if not np.allclose(first.sum(axis=1), 1.0):
        raise _fail(cls, "post-processor rows must sum to 1")
    if not np.array_equal(first, second):
        raise _fail(cls, "same seed, different outputs")


def _check_detector(cls: type[Defense], params: dict[str, Any], seed: int) -> None:
    det: Any = cls(params, seed=seed)
    gen = np.random.default_rng(seed)
    alert = None
    for _ in range(40):
        alert = det.observe("key", "model", gen.normal(size=(1, 4))) or alert
    if alert is not None and any(not hasattr(alert, f) for f in ALERT_FIELDS):
        raise _fail(cls, f"alerts must carry {ALERT_FIELDS}")
    det.reset()
    fresh: Any = cls(params, seed=seed)
    if (det.observe("key", "model", np.zeros((1, 4))) is None) != (
        fresh.observe("key", "model", np.zeros((1, 4))) is None
    ):
        raise _fail(cls, "reset does not forget the history")


def check_defense(
    cls: type[Defense], *, registry_name: str | None = None, seed: int = 0
) -> Defense:
    """Run the whole conformance check; return a constructed instance.

    Raises:
        DefenseConformanceError: on the first broken rule.
    """
    check_identity(cls, registry_name)
    check_params(cls)
    params = dict(cls.check_params)
    defense = cls(params, seed=seed)
    learned = [k for k in vars(defense) if k.endswith("_") and not k.startswith("_")]
    if learned:
        raise _fail(cls, f"construction set learned state {learned}")
    json.dumps(defense.describe())
    if cls.role == "postprocessor":
        _check_postprocessor(cls, params, seed)
    if cls.role == "detector":
        _check_detector(cls, params, seed)
    return defense
