"""The one way an attack gets its setup: from a deployment and the attacker's position.

:meth:`AttackSetup.from_deployment` is used by the CLI, campaign runs, kill-chain paths
and the defense harness alike. What the attacker holds follows from where it sits and
how far the deployment trusts that party (:func:`granted`):

==========================  ==========================================================
position                    capabilities
==========================  ==========================================================
``api_user``                queries returning labels, probabilities, expectations;
                            data from the task's distribution (shadow data)
``co_tenant``               co-scheduled and sequential tenancy on the quantum cloud
``untrusted_quantum_cloud`` honest-but-curious: sees submitted circuits and results;
                            malicious: also controls allocation, circuits, results,
                            timing, co-tenancy (and the transpiler when it hosts it)
                            and runs the victim's circuits on the victim's account
``untrusted_classical_cloud`` honest-but-curious: holds the model, the training data
                            and the gradients; malicious: also writes training data,
                            controls pre/post-processing (and the transpiler when it
                            hosts it)
``supply_chain``            supplies the transpiler pass, training data or the model
``physical_insider``        measures the control electronics
==========================  ==========================================================

A trusted party grants nothing. ``knowledge`` adds what earlier stages gave the
attacker (a stolen model's gradients); the setup's attack is constructed against the
target, so a missing capability fails before any work, naming the trust level at fault.
The black-box endpoint is the deployment's own (its device, shots and query count);
provider-level attacks act through the deployment's own quantum cloud, so their hooks
see the victim's jobs and everything they do lands in the deployment's ledger under
the attack's name.

Example:
    >>> from qmlsec.cloud.deployment import DeploymentSpec
    >>> spec = DeploymentSpec(quantum={"device": "ideal", "trust": "honest-but-curious"})
    >>> sorted(c.value for c in granted(Position.UNTRUSTED_QUANTUM_CLOUD, spec))
    ['circuit_access']
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.facts import Fact, Facts
from qmlsec.attacks.queries import QueryCounter
from qmlsec.attacks.registry import get_attack
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position, Target
from qmlsec.cloud.deployment import Deployment, DeploymentSpec
from qmlsec.cloud.parties import TrustLevel
from qmlsec.exceptions import RequirementError

C = Capability
MODEL_IN_HAND = frozenset({C.INPUT_GRADIENTS, C.WEIGHTS})
QUERY = frozenset({C.QUERY_ACCESS, C.LABELS, C.PROBABILITIES, C.EXPECTATIONS})
DATA = frozenset({C.TRAINING_DATA_WRITE, C.TRAINING_DATA_READ, C.SHARED_GRADIENTS,
                  C.CLASSICAL_CONTROL})  # fmt: skip
NEEDS_CLOUD = frozenset({C.CIRCUIT_ACCESS, C.PROVIDER_CONTROL, C.TRANSPILER_CONTROL,
                         C.CO_TENANCY, C.SEQUENTIAL_TENANCY, C.PHYSICAL_ACCESS})  # fmt: skip
_PREFERRED = (Position.API_USER, Position.UNTRUSTED_CLASSICAL_CLOUD, Position.SUPPLY_CHAIN)


def granted(position: Position, spec: DeploymentSpec) -> frozenset[Capability]:
    """What an attacker at ``position`` holds in the deployment ``spec`` (module table)."""
    q, c = spec.quantum.trust, spec.classical.trust
    if position is Position.API_USER:
        return QUERY | {C.TRAINING_DATA_READ}
    if position is Position.CO_TENANT:
        return frozenset({C.CO_TENANCY, C.SEQUENTIAL_TENANCY})
    if position is Position.UNTRUSTED_QUANTUM_CLOUD:
        caps: set[Capability] = set()
        if q.may_observe:
            caps |= {C.CIRCUIT_ACCESS}
        if q.may_modify:
            # it also runs the victim's circuits at will on the victim's account, and it
            # operates the hardware, control electronics included
            caps |= {C.PROVIDER_CONTROL, C.CO_TENANCY, C.SEQUENTIAL_TENANCY, C.QUERY_ACCESS,
                     C.PHYSICAL_ACCESS}  # fmt: skip
            if spec.transpiler_host == "quantum_cloud":
                caps.add(C.TRANSPILER_CONTROL)
        return frozenset(caps)
    if position is Position.UNTRUSTED_CLASSICAL_CLOUD:
        caps = set()
        if c.may_observe:
            caps |= MODEL_IN_HAND | QUERY | {C.TRAINING_DATA_READ, C.SHARED_GRADIENTS}
        if c.may_modify:
            caps |= {C.TRAINING_DATA_WRITE, C.CLASSICAL_CONTROL}
            if spec.transpiler_host == "classical_cloud":
                caps.add(C.TRANSPILER_CONTROL)
        return frozenset(caps)
    if position is Position.SUPPLY_CHAIN:
        return frozenset({C.TRANSPILER_CONTROL, C.TRAINING_DATA_WRITE})
    return frozenset({C.PHYSICAL_ACCESS})


def _why(position: Position, spec: DeploymentSpec) -> str:
    trust = {Position.UNTRUSTED_QUANTUM_CLOUD: ("quantum cloud", spec.quantum.trust),
             Position.UNTRUSTED_CLASSICAL_CLOUD: ("classical cloud", spec.classical.trust)}  # fmt: skip
    if position not in trust:
        return ""
    party, level = trust[position]
    what = {TrustLevel.TRUSTED: "grants no foothold",
            TrustLevel.HONEST_BUT_CURIOUS: "may observe but never modify",
            TrustLevel.MALICIOUS: "may observe and modify"}[level]  # fmt: skip
    return f" (the deployment's {party} is {level.value}: it {what})"


def choose_position(
    attack_cls: type[Attack],
    spec: DeploymentSpec,
    knowledge: frozenset[Capability] = frozenset(),
) -> Position:
    """The first position the attack allows whose grants cover its requirements (the
    attack's own ``preferred_positions`` first, when it declares them).

    Raises:
        RequirementError: no allowed position does, naming what each one lacks.
    """
    required = frozenset(attack_cls.requires)
    black_box = bool(required & QUERY) and not required & MODEL_IN_HAND
    order = _PREFERRED if black_box else _PREFERRED[1:2] + _PREFERRED[:1] + _PREFERRED[2:]
    first = tuple(getattr(attack_cls, "preferred_positions", ()))
    allowed = [p for p in (*first, *order, *Position) if p in attack_cls.positions]
    reasons = []
    for pos in dict.fromkeys(allowed):
        if not granted(pos, spec):
            reasons.append(f"{pos.value} is no foothold{_why(pos, spec)}")
            continue
        missing = required - granted(pos, spec) - knowledge
        if not missing:
            return pos
        names = ", ".join(sorted(m.value for m in missing))
        reasons.append(f"{pos.value} lacks {names}{_why(pos, spec)}")
    raise RequirementError(
        f"attack {attack_cls.name!r} cannot run on this deployment: " + "; ".join(reasons),
        hint="change the deployment's trust (`qmlsec deployment configure`) or pick an attack "
        "the attacker's position allows",
    )


@dataclass
class AttackSetup:
    """An attack ready to run: its class, target, context and params, on a deployment.

    Attributes:
        attack_cls: the registered attack class.
        target: what the attacker holds.
        ctx: the data it runs on (``train_victim`` is how the victim is retrained).
        params: the attack's params.
        model: the victim model the defender deploys (clean accuracy is measured on it).
        deployment: the deployment the attack acts on (its ledger records the attack).
        output: what the black-box endpoint returns, when not the attack's default.
        notes: what the builder or a defense changed, in words.
        undefended: this setup's run without a defense, when it has already run (a
            defense that decorates the undefended outcome takes it from here instead of
            running the attack again; see :meth:`run_undefended`).
    """

    attack_cls: type[Attack]
    target: Target
    ctx: AttackContext
    params: dict[str, Any]
    model: Any
    deployment: Deployment | None = None
    output: str | None = None
    notes: list[str] = field(default_factory=list)
    undefended: AttackResult | None = field(default=None, repr=False)

    def replace(self, **changes: Any) -> AttackSetup:
        """A copy with ``changes`` applied (``notes`` copied, never shared)."""
        changes.setdefault("notes", list(self.notes))
        return dataclasses.replace(self, **changes)

    def run(self, seed: int) -> AttackResult:
        """Construct the attack on this setup and run it, recording it in the ledger."""
        attack = self.attack_cls(self.target, dict(self.params), seed=seed)
        ctx = dataclasses.replace(self.ctx)  # the facts store records what the run reads
        if self.deployment is None:
            result = attack.run(ctx)
        else:
            with self.deployment.ledger.acting(self.attack_cls.name):
                result = attack.run(ctx)
            counter = self.target.endpoint
            result.deployment = {
                **self.deployment.serving_info(), "position": self.target.position.value,
                "shots": counter.shots if isinstance(counter, QueryCounter) else
                self.deployment.endpoint().shots,
            }  # fmt: skip
        result.notes.extend(n for n in self.notes if n not in result.notes)
        return result

    def run_undefended(self, seed: int) -> AttackResult:
        """The run without a defense: a copy of ``undefended`` when it ran with ``seed``
        (its in-memory ``facts`` and ``outputs`` shared, everything else copied), else
        :meth:`run`. The same seed on the same setup gives the same run, so a defense
        checking the undefended outcome need not pay for the attack twice."""
        done = self.undefended
        if done is None or done.seed != seed:
            return self.run(seed)
        shared = ("facts", "outputs")
        return AttackResult(**{
            f.name: getattr(done, f.name) if f.name in shared else copy.deepcopy(getattr(done, f.name))
            for f in dataclasses.fields(AttackResult)
        })  # fmt: skip

    @classmethod
    def from_deployment(
        cls,
        attack: str | type[Attack],
        deployment: Deployment,
        position: Position | str | None = None,
        *,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_test: np.ndarray,
        y_test: np.ndarray,
        params: dict[str, Any] | None = None,
        knowledge: frozenset[Capability] = frozenset(),
        shots: int | None | Literal["deployment"] = "deployment",
        budget: int | None = None,
        output: str | None = None,
        train_victim: Callable[[np.ndarray, np.ndarray], Any] | None = None,
        facts: Iterable[Fact] = (),
    ) -> AttackSetup:
        """The setup of ``attack`` from ``position`` against ``deployment``.

        Args:
            attack: registry name or class.
            deployment: the victim's deployment.
            position: the attacker's position (default: :func:`choose_position`).
            x_train, y_train, x_test, y_test: the data split the run works on.
            params: the attack's params (defaults otherwise).
            knowledge: capabilities earlier stages gave the attacker.
            shots: shots per endpoint query (default: the deployment's).
            budget: query budget in samples.
            output: what the endpoint returns, overriding the attack's need (e.g.
                ``"probabilities"`` to a label-only attack).
            train_victim: how poisoning attacks retrain the victim (default: the same
                recipe on the given data).
            facts: what earlier stages established (typed facts).

        Raises:
            RequirementError: the position does not grant what the attack needs.
        """
        attack_cls = get_attack(attack) if isinstance(attack, str) else attack
        spec = deployment.spec
        if position is None:
            pos = choose_position(attack_cls, spec, knowledge)
        else:
            pos = Position(position)
            if pos not in attack_cls.positions:
                allowed = ", ".join(sorted(p.value for p in attack_cls.positions))
                raise RequirementError(
                    f"attack {attack_cls.name!r} cannot be mounted from position {pos.value!r}",
                    hint=f"allowed positions: {allowed}",
                )
        caps = granted(pos, spec) | knowledge
        required = frozenset(attack_cls.requires)
        missing = required - caps
        if missing:
            names = ", ".join(sorted(m.value for m in missing))
            raise RequirementError(
                f"attack {attack_cls.name!r} needs {names}, which position {pos.value!r} does "
                f"not grant on this deployment{_why(pos, spec)}",
                hint="change the deployment's trust (`qmlsec deployment configure`)",
            )
        want = output or _output(required)
        endpoint = None
        if required & QUERY or (required & MODEL_IN_HAND and caps & QUERY):
            served = deployment.endpoint()
            n_shots = served.shots if isinstance(shots, str) else shots
            endpoint = QueryCounter(served, output=want, shots=n_shots, budget=budget)
        keep_model = bool(required & (MODEL_IN_HAND | DATA | NEEDS_CLOUD)) or endpoint is None
        target = Target(
            position=pos,
            capabilities=frozenset(required | (caps & (QUERY | MODEL_IN_HAND))),
            model=deployment.model if keep_model else None,
            endpoint=endpoint,
            cloud=deployment.quantum if required & NEEDS_CLOUD else None,
        )
        attack_cls.check_requirements(target)
        ctx = AttackContext(
            x_test=np.array(x_test, dtype=np.float64), y_test=np.array(y_test),
            x_train=np.array(x_train, dtype=np.float64), y_train=np.array(y_train),
            train_victim=train_victim or refit_like(deployment.model), facts=Facts(facts),
        )  # fmt: skip
        return cls(attack_cls, target, ctx, dict(params or {}), deployment.model,
                   deployment=deployment, output=output)  # fmt: skip

    def with_model(self, model: Any) -> AttackSetup:
        """The same setup against another victim model (a defended re-training).

        The deployment is the same (its clouds, trust and ledger) with ``model`` served;
        the attacker keeps its position and its foothold.
        """
        assert self.deployment is not None, "a setup from a deployment"
        deployment = self.deployment.with_model(model)
        counter = self.target.endpoint
        endpoint = None
        if isinstance(counter, QueryCounter):
            endpoint = QueryCounter(deployment.endpoint(), output=counter.output,
                                    shots=counter.shots, budget=counter.budget)  # fmt: skip
        target = dataclasses.replace(
            self.target, model=model if self.target.model is not None else None,
            endpoint=endpoint, cloud=self.target.cloud,
        )  # fmt: skip
        return self.replace(target=target, model=model, deployment=deployment)

    def with_endpoint(self, wrap: Callable[[Any], Any]) -> AttackSetup:
        """The same setup whose black-box endpoint is ``wrap(inner_endpoint)``.

        The query counter stays outermost, so the attacker's accounting is unchanged.
        """
        counter = self.target.endpoint
        if not isinstance(counter, QueryCounter):
            return self
        wrapped = QueryCounter(wrap(counter.endpoint), output=counter.output,
                               shots=counter.shots, budget=counter.budget)  # fmt: skip
        return self.replace(target=dataclasses.replace(self.target, endpoint=wrapped))


def _output(required: frozenset[Capability]) -> str:
    """The richest endpoint output ``required`` asks for."""
    if C.EXPECTATIONS in required:
        return "expectations"
    if C.PROBABILITIES in required:
        return "probabilities"
    return "labels" if C.LABELS in required else "probabilities"


def refit_like(model: Any) -> Callable[[np.ndarray, np.ndarray], Any]:
    """``train_victim`` for a context: fit a fresh copy of ``model`` (same params)."""

    def train_victim(x: np.ndarray, y: np.ndarray) -> Any:
        return type(model)(**model.get_params()).fit(x, y)

    return train_victim


def needs_cloud(attack_cls: type[Attack]) -> bool:
    """Whether the attack acts from inside the quantum cloud."""
    return bool(frozenset(attack_cls.requires) & NEEDS_CLOUD)
