"""Execute planned kill-chain paths stage by stage, each stage's output feeding the next.

A stage's attack runs with a target matching the attacker's position (the profile's
position the attack allows): white-box when the attack needs the model in hand (the
path established model theft), a counted black-box endpoint otherwise, a provider
session for provider-level attacks. The typed facts every earlier stage of the path
established (``AttackResult.facts``: a proxy model, the device, the co-location, the
circuit and its parameters, stolen inputs and labels, a planted backdoor...) are handed
to the next stage in ``AttackContext.facts``, so an extraction stage's proxy model is
what the transfer-evasion stage attacks with. A white-box stage uses the model the
path stole when an earlier stage established its architecture and parameters; otherwise
it is given the victim's model and says so (oracle knowledge).

Provider-level attacks run on the victim's device (their ``device`` / ``paid_device``
params default to it) unless the config sets them.

Identical stages (same attack, same upstream runs) are executed once and shared by the
paths that contain them.

Each run has the config's wall-time limit (``run_time_limit_s``): its context's
``deadline`` makes the attack's next progress report raise
:class:`~qmlsec.exceptions.TimeLimitExceeded`, and the run ends with status
``timed_out`` and the seconds it ran. A provider-level run is also stopped at its next
job on the provider's cloud (:class:`DeadlineHook`). An attack that does neither cannot
be stopped; when it finishes past the limit its result is kept with a note.
"""

from __future__ import annotations

import copy
import dataclasses
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from qmlsec.attacks.facts import Fact, Facts, KnownArchitecture, KnownParameters
from qmlsec.attacks.registry import available_attacks
from qmlsec.attacks.setup import MODEL_IN_HAND, AttackSetup, granted
from qmlsec.attacks.targets import Capability, Position
from qmlsec.campaigns.assess_config import AssessConfig
from qmlsec.campaigns.execute import headline
from qmlsec.campaigns.planner import PlannedPath
from qmlsec.campaigns.victim import Victim
from qmlsec.cloud.deployment import Deployment
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.config import derive_seed
from qmlsec.exceptions import QmlsecError, RequirementError, TimeLimitExceeded

Progress = Callable[[str], None]
#: The device a provider downgrades the victim to (older, noisier, enough qubits).
NOISIER_DEVICE = "fake_melbourne"


@dataclass
class StageRun:
    """One attack execution of a stage."""

    run_id: str
    attack: str
    technique_id: str
    position: str
    params: dict[str, Any]
    seed: int
    inputs: tuple[str, ...]
    status: str = "ok"
    error: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    sweep: dict[str, Any] | None = None
    facts: dict[str, Fact] = field(default_factory=dict, repr=False)
    setup: Any = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (in-memory outputs excluded)."""
        return {
            "run_id": self.run_id, "attack": self.attack, "technique_id": self.technique_id,
            "position": self.position, "params": self.result.get("params", self.params),
            "seed": self.seed, "inputs": list(self.inputs), "status": self.status,
            "error": self.error, "seconds": self.seconds, "sweep": self.sweep,
            "metrics": self.result.get("metrics", {}), "curves": self.result.get("curves", {}),
            "per_sample": self.result.get("per_sample", {}),
            "queries": self.result.get("queries", {}), "provides": self.result.get("provides", []),
            "notes": self.result.get("notes", []),
            "intervals": self.result.get("intervals", {}),
            "headline": headline(self.attack, self.result.get("metrics", {}),
                                 self.result.get("intervals")),  # fmt: skip
        }  # fmt: skip


def retrain_recipe(victim: Victim, config: AssessConfig) -> Callable[[np.ndarray, np.ndarray], Any]:
    """How poisoning attacks retrain the victim (shorter than the original training)."""
    model = victim.model

    def train_victim(x: np.ndarray, y: np.ndarray) -> Any:
        params = {**model.get_params(), "epochs": min(model.epochs, config.retrain_epochs)}
        n = config.retrain_max_train
        return type(model)(**params).fit(np.array(x[:n]), np.array(y[:n]))

    return train_victim


def stolen_model(model: Any, architecture: KnownArchitecture, parameters: KnownParameters) -> Any:
    """The deployed pipeline with the **stolen** circuit weights in place of the victim's.

    The theft recovers the circuit (architecture and weights); the pre-processing and the
    classical head live on the classical cloud and are the deployed model's.

    Raises:
        RequirementError: the stolen architecture or weights do not fit the pipeline.
    """
    spec = model.model_.spec
    if architecture.spec is not None and architecture.spec != spec:
        raise RequirementError(
            "the stolen architecture differs from the deployed circuit "
            f"({architecture.spec.encoding}/{architecture.spec.ansatz} x{architecture.spec.layers} "
            f"vs {spec.encoding}/{spec.ansatz} x{spec.layers})",
            hint="the white-box stage needs a theft that recovered the circuit exactly",
        )
    theta = torch.as_tensor(np.asarray(parameters.theta, dtype=np.float64))
    current = model.model_.theta
    if tuple(theta.shape) != tuple(current.shape):
        raise RequirementError(
            f"{theta.numel()} stolen weights do not fit the circuit's {current.numel()}",
            hint="the white-box stage needs a theft that recovered every weight",
        )
    clone = copy.deepcopy(model)
    with torch.no_grad():
        clone.model_.theta.copy_(theta.to(current.dtype))
    return clone


def white_box_knowledge(attack_cls: Any, facts: Facts) -> tuple[frozenset[Capability], str]:
    """What a white-box stage holds: the model the path stole, or (oracle) the victim's."""
    if not frozenset(attack_cls.requires) & MODEL_IN_HAND:
        return frozenset(), ""
    stolen = facts.get(KnownArchitecture) is not None and facts.get(KnownParameters) is not None
    if stolen:
        return MODEL_IN_HAND, (
            "white-box: gradients from the stolen model (the weights an earlier stage "
            "recovered, in the deployed pipeline's pre-processing and head, which the "
            "theft does not recover)"
        )
    return MODEL_IN_HAND, ("white-box with the victim's model: no earlier stage established "
                           "know.architecture and know.parameters (oracle knowledge)")  # fmt: skip


class DeadlineHook(ProviderHook):
    """Observing hook: a job submitted after the run's deadline raises ``TimeLimitExceeded``."""

    harness = True

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    def on_submit(self, job: Any) -> None:
        """Stop the run when the job comes after its deadline."""
        self.ctx.check_deadline(f"provider job {job.job_id}")


@contextmanager
def deadline(setup: AttackSetup, limit_s: float | None) -> Iterator[float]:
    """Arm the run's deadline on its context and its provider cloud; yield the start time."""
    now = time.monotonic()
    setup.ctx.deadline = None if limit_s is None else now + limit_s
    cloud = setup.target.cloud
    hook = DeadlineHook(setup.ctx)
    if cloud is not None:
        cloud.add_hook(hook)
    try:
        yield now
    finally:
        if cloud is not None and hook in cloud.hooks:
            cloud.hooks.remove(hook)


def overran(seconds: float, limit_s: float | None) -> str | None:
    """The note of a run that finished past its limit without a progress report to stop at."""
    if limit_s is None or seconds <= limit_s:
        return None
    return f"ran {seconds:.3g} s, past the {limit_s:g} s limit (no progress report to stop at)"


def stage_position(
    attack_cls: Any, positions: tuple[str, ...], spec: Any = None
) -> Position | None:
    """The attacker's position the attack is mounted from.

    The profile's positions come first, then ``api_user`` (every profile reaches the
    public inference API, QML.T0009); among them the first the attack allows whose
    grants on the deployment ``spec`` cover what the attack needs, else the first it
    allows (whose refusal then names what is missing).
    """
    allowed = [Position(p) for p in (*positions, Position.API_USER.value)
               if Position(p) in attack_cls.positions]  # fmt: skip
    if spec is not None:
        for pos in allowed:
            if frozenset(attack_cls.requires) <= granted(pos, spec) | MODEL_IN_HAND:
                return pos
    return allowed[0] if allowed else None


class PathExecutor:
    """Runs planned paths against one victim, caching identical stages."""

    def __init__(
        self,
        victim: Victim,
        config: AssessConfig,
        progress: Progress | None = None,
        *,
        runs: dict[str, StageRun] | None = None,
        deployment: Deployment | None = None,
        persistent: bool = False,
        chain: str | None = None,
    ) -> None:
        self.victim = victim
        self.config = config
        self.progress = progress
        self.runs: dict[str, StageRun] = {} if runs is None else runs
        self.deployment = victim.deployment if deployment is None else deployment
        self.persistent = persistent
        """Whether what a run leaves on the deployment (a planted pass) stays for later runs."""
        self.chain = chain
        """The chain this executor runs (``None``: the planned paths)."""
        self._cache: dict[tuple[Any, ...], list[str]] = {}

    def setup(self, attack: str, position: Position | None, facts: Facts,
              params: dict[str, Any]) -> AttackSetup:  # fmt: skip
        """The attack setup for a stage: the victim's deployment seen from ``position``."""
        v, n = self.victim, self.config.samples_for(attack)
        knowledge, note = white_box_knowledge(available_attacks()[attack], facts)
        setup = AttackSetup.from_deployment(
            attack, self.deployment, position, params=params, shots=self.config.endpoint_shots,
            x_train=v.x_train, y_train=v.y_train, x_test=v.x_test[:n], y_test=v.y_test[:n],
            train_victim=retrain_recipe(v, self.config), facts=facts, knowledge=knowledge,
        )  # fmt: skip
        if knowledge:
            arch, theta = facts.get(KnownArchitecture), facts.get(KnownParameters)
            if arch is not None and theta is not None:
                clone = stolen_model(self.deployment.model, arch, theta)
                setup = setup.replace(target=dataclasses.replace(setup.target, model=clone))
        if note:
            setup.notes.append(note)
        return setup

    def _execute(self, attack: str, technique_id: str, position: Position | None,
                 facts: Facts, inputs: tuple[str, ...],
                 sweep: dict[str, Any] | None) -> StageRun:  # fmt: skip
        cls = available_attacks()[attack]
        fields = cls.Params.model_fields
        listed = {k for k, f in fields.items() if k != "eps" or isinstance(f.default, list | tuple)}
        params = self.config.attack_params(attack, cls.check_params, listed)
        user = self.config.quick.params if self.config.quick_applied else self.config.params
        for key, device in (("device", self.victim.spec.device),
                            ("paid_device", self.victim.spec.device),
                            ("given_device", NOISIER_DEVICE)):  # fmt: skip
            if key in fields and key not in user.get(attack, {}):
                params[key] = device
        if self.config.quick_applied and "max_samples" in fields and "max_samples" in params:
            params["max_samples"] = min(int(params["max_samples"]), self.config.quick.max_samples)
        params.update(sweep or {})
        seed = derive_seed(self.config.seed, "stage", attack, *inputs)
        run = StageRun(f"r{len(self.runs) + 1:03d}", attack, technique_id,
                       position.value if position else "", params, seed, inputs, sweep=sweep)  # fmt: skip
        if self.progress is not None:
            self.progress(f"{attack}" + (f" {sweep}" if sweep else ""))
        start = time.perf_counter()
        limit = self.config.run_time_limit_s
        hooks = list(self.deployment.quantum.hooks)
        try:
            run.setup = self.setup(attack, position, facts, params)
            with deadline(run.setup, limit):
                result = run.setup.run(seed)
            run.result, run.facts = result.to_dict(), dict(result.facts)
            # the raw outcome (stated intervals only), for defenses that decorate it
            run.setup = run.setup.replace(undefended=dataclasses.replace(result, outputs={}))
        except TimeLimitExceeded as err:
            run.status, run.error = "timed_out", str(err)
        except QmlsecError as err:
            run.status, run.error = "error", str(err)
        except Exception as err:  # one broken attack must not end the assessment
            run.status, run.error = "error", f"{type(err).__name__}: {err}"
            run.result = {"notes": [traceback.format_exc(limit=3)]}
        if not self.persistent:  # a pass a run planted stays out of the other paths' runs
            self.deployment.quantum.hooks[:] = hooks
        run.seconds = time.perf_counter() - start
        note = overran(run.seconds, limit) if run.status == "ok" else None
        if note is not None:
            run.result.setdefault("notes", []).append(note)
        self.runs[run.run_id] = run
        return run

    def run_stage(self, attack: str, technique_id: str, positions: tuple[str, ...],
                  facts: Facts, inputs: tuple[str, ...]) -> list[StageRun]:  # fmt: skip
        """Run one attack of a stage (every sweep point); the last run feeds forward."""
        key = (attack, inputs)
        if key in self._cache:
            return [self.runs[i] for i in self._cache[key]]
        position = stage_position(available_attacks()[attack], positions, self.deployment.spec)
        sweep = self.config.sweeps.get(attack, {})
        points = [
            {k: v[i] for k, v in sweep.items()}
            for i in range(min(map(len, sweep.values()), default=0))
        ]
        runs = [self._execute(attack, technique_id, position, facts, inputs, p)
                for p in points] or [self._execute(attack, technique_id, position, facts, inputs, None)]  # fmt: skip
        self._cache[key] = [r.run_id for r in runs]
        return runs

    def final_runs(self) -> list[StageRun]:
        """The run of each stage that fed forward (the last point of a sweep)."""
        return [self.runs[ids[-1]] for ids in self._cache.values()]

    def run_path(self, planned: PlannedPath) -> dict[str, Any]:
        """Execute one path; return its JSON-ready record with per-stage outcomes."""
        facts = Facts()
        inputs: tuple[str, ...] = ()
        stages = []
        for stage in planned.stages:
            record: dict[str, Any] = {
                "technique_id": stage.technique_id, "name": stage.name, "tactic": stage.tactic,
                "status": stage.status, "implemented_by": list(stage.implemented_by), "runs": [],
            }  # fmt: skip
            feeding = []
            for attack in stage.attacks:
                runs = self.run_stage(attack, stage.technique_id, planned.profile.positions,
                                      facts, inputs)  # fmt: skip
                record["runs"].extend(r.run_id for r in runs)
                last = runs[-1]
                if last.status == "ok":
                    feeding.append(last)
            if stage.status == "runnable":
                record["status"] = "executed" if feeding else "failed"
            for run in feeding:
                for fact in run.facts.values():
                    facts.add(fact)
            record["facts"] = facts.ids()
            inputs = inputs + tuple(r.run_id for r in feeding)
            stages.append(record)
        return {
            **planned.path.to_dict(), "profile": planned.profile.id, "key": planned.key,
            "stages": stages, "executed": any(s["status"] == "executed" for s in stages),
            "selected_for": planned.selected_for,
        }  # fmt: skip
