"""Facts as an attacker with perfect knowledge of a deployment would hold them.

:func:`perfect_facts` reads the truth off a :class:`~qmlsec.cloud.deployment.Deployment`
(its device, where its circuit is placed, the model's spec and weights, its encoded
training inputs and labels) and returns it as the typed facts of
:mod:`qmlsec.attacks.facts`. It is the oracle a realistic kill chain is compared with
(the same end stage given perfect knowledge), and what the conformance check hands an
attack to verify it consumes the facts its technique requires.

Example:
    >>> from qmlsec.testing.victims import small_victim
    >>> v = small_victim()
    >>> facts = perfect_facts(v.deployment(), ["know.device", "know.encoding"], v.x_train, v.y_train)
    >>> facts.ids(), facts.get(KnownDevice).device
    (['know.device', 'know.encoding'], 'fake_manila')
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from qmlsec.attacks.facts import (
    FACT_TYPES,
    BackdoorPlanted,
    Colocation,
    Fact,
    Facts,
    KnownArchitecture,
    KnownDevice,
    KnownEncoding,
    KnownParameters,
    ProxyModel,
    TrainingInputs,
    TrainingLabels,
    VictimState,
)
from qmlsec.attacks.inference.state_prep_theft import circuit_inputs
from qmlsec.cloud.deployment import Deployment
from qmlsec.exceptions import ConfigError


def true_placement(deployment: Deployment) -> tuple[int, ...]:
    """The physical qubits the deployment's circuit occupies on its device."""
    d = deployment
    compiled = d.model.model_.compiled
    backend = d.quantum.backend(d.quantum.pool[0])
    plan = getattr(backend, "plan", None)
    if d.device == "ideal" or plan is None:
        return tuple(range(compiled.n_qubits))
    transpiled = plan(compiled.expanded_circuit(), list(compiled.observables), d.shots)[0]
    return tuple(sorted(int(q) for q in transpiled.report.active_qubits))


def perfect_facts(
    deployment: Deployment,
    ids: Iterable[str],
    x_train: np.ndarray,
    y_train: np.ndarray,
) -> Facts:
    """The facts ``ids`` (knowledge-base IDs of typed facts) as the truth gives them.

    Raises:
        ConfigError: an ID that is not a typed fact.
    """
    model = deployment.model
    spec = model.spec()
    out: list[Fact] = []
    for fact_id in ids:
        if fact_id not in FACT_TYPES:
            raise ConfigError(f"{fact_id!r} is not a typed fact", hint=", ".join(FACT_TYPES))
        if fact_id == KnownDevice.id:
            out.append(KnownDevice(deployment.device))
        elif fact_id == Colocation.id:
            out.append(Colocation(deployment.device, true_placement(deployment)))
        elif fact_id == KnownEncoding.id:
            out.append(KnownEncoding(spec))
        elif fact_id == KnownArchitecture.id:
            out.append(KnownArchitecture(spec=spec))
        elif fact_id == KnownParameters.id:
            out.append(KnownParameters(model.model_.theta.detach().numpy().copy()))
        elif fact_id == TrainingInputs.id:
            out.append(TrainingInputs(circuit_inputs(model, x_train), space="encoded"))
        elif fact_id == TrainingLabels.id:
            out.append(TrainingLabels(np.asarray(y_train).copy()))
        elif fact_id == ProxyModel.id:
            out.append(ProxyModel(model, source="perfect knowledge"))
        elif fact_id == VictimState.id:
            out.append(VictimState(true_placement(deployment), advantage=1.0))
        else:  # state.backdoor: a change an attack makes, not knowledge the truth holds
            raise ConfigError(
                f"{BackdoorPlanted.id} has no perfect-knowledge form",
                hint="run the attack that plants the backdoor",
            )
    return Facts(out)
