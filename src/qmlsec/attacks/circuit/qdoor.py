"""QDoor: a backdoor that only approximate synthesis reveals (QML.T0015).

After QDoor (Chu et al., arXiv:2307.09529). The attacker publishes a pre-trained QNN
(supply chain) and the provider compiles with approximate synthesis. The published
weights are fine-tuned from the target's model with

``CE(U; clean + triggered -> true) + lam * CE(Synth(U); triggered -> target)
+ CE(Synth(U); clean -> true)``

where ``Synth`` rounds every rotation angle to a ``pi/2**bits`` grid
(:mod:`~qmlsec.attacks.circuit.synthesis`; a straight-through estimator while
training). The exact circuit behaves normally; once synthesised, triggered inputs go to
the target class. Deployment: the provider's ``transform_circuit`` hook
(:class:`SynthesisHook`) runs :class:`~qmlsec.attacks.circuit.synthesis.RoundAngles` on
every submitted circuit. The trigger sets raw feature ``trigger_feature`` to its largest
training value (QDoor's patch at full intensity).

Measured through the cloud (one job per query): clean accuracy and attack success rate
(triggered inputs of other classes sent to the target) before and after synthesis, the
same for the unmodified model (synthesis alone is not the backdoor), and the weight
change.

Not covered: QDoor's real synthesis tools (BQSKit's numerical approximate synthesis of
multi-qubit blocks, whose error QDoor models); only per-rotation rounding is modelled.
In multi-row jobs only the angles shared by every row (the weights) are rounded.
Detection by circuit inspection (QDoor evades it) is not measured.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.access import installed, predict, provider_cloud, serve
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.circuit.base import CircuitAttack
from qmlsec.attacks.circuit.synthesis import round_angles_ste, synthesise
from qmlsec.attacks.facts import BackdoorPlanted
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.exceptions import ConfigError


class SynthesisHook(ProviderHook):
    """``transform_circuit``: approximate synthesis of every submitted circuit."""

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def transform_circuit(self, job: QuantumJob, circuit: QuantumCircuit) -> QuantumCircuit:
        """The circuit with the job's angles rounded (those shared by all its rows)."""
        values = np.atleast_2d(np.asarray(job.parameter_values, dtype=float))
        shared = np.all(values == values[:1], axis=0)
        fixed = {p: float(values[0, j]) for j, p in enumerate(circuit.parameters) if shared[j]}
        return synthesise(circuit, self.bits, fixed)


class QDoorParams(FrozenModel):
    """Parameters of :class:`QDoor`."""

    bits: int = Field(default=2, ge=0, le=12)
    """Synthesis precision: angles rounded to multiples of pi/2**bits."""
    target: int = Field(default=1, ge=0)
    """Index (into the model's classes) of the class triggered inputs go to."""
    trigger_feature: int = Field(default=0, ge=0)
    lam: float = Field(default=1.0, ge=0)
    epochs: int = Field(default=150, ge=1)
    lr: float = Field(default=0.05, gt=0)
    max_train: int = Field(default=200, ge=2)
    max_samples: int = Field(default=30, ge=1)
    device: str | None = None
    shots: int | None = Field(default=None, ge=1)


class QDoor(CircuitAttack):
    """Backdoor hidden in the exact circuit, activated by approximate synthesis (QML.T0015)."""

    name: ClassVar[str] = "circuit.qdoor"
    technique_id: ClassVar[str] = "QML.T0015"
    requires = frozenset({Capability.TRANSPILER_CONTROL})
    positions = frozenset({Position.SUPPLY_CHAIN, Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = QDoorParams
    check_params: ClassVar[dict] = {"epochs": 5, "max_train": 20, "max_samples": 4}

    def tamper(self) -> SynthesisHook:
        """The provider hook compiling with approximate synthesis (install with ``add_hook``)."""
        return SynthesisHook(self.params.bits)

    def trigger(self, X: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """``X`` with the trigger feature set to its largest value in ``reference``."""
        out = np.array(X, dtype=float, copy=True)
        out[:, self.params.trigger_feature] = reference[:, self.params.trigger_feature].max()
        return out

    def implant(self, X: np.ndarray, y: np.ndarray) -> Any:
        """A copy of the target's model fine-tuned with the QDoor loss on ``(X, y)``."""
        p = self.params
        model = copy.deepcopy(self.target.model)
        net, ce = model.model_, torch.nn.functional.cross_entropy
        labels = torch.as_tensor(model.class_index(y), dtype=torch.long)
        n = len(labels)
        both = np.vstack([X, self.trigger(X, X)])
        features = model.preprocessing_.torch_transform(torch.as_tensor(both, dtype=torch.float64))
        encoded = net.spec.feature_map(features).detach()
        target = torch.full_like(labels, p.target)
        opt = torch.optim.Adam(net.parameters(), lr=p.lr)
        for _ in range(p.epochs):
            opt.zero_grad()
            angles = net.compiled.angles(encoded, net.theta)
            stacked = torch.cat([angles, round_angles_ste(angles, p.bits)])
            out = net.head(net.compiled.expectations_from_angles(stacked))
            exact, synth = out[: 2 * n], out[2 * n :]
            loss = ce(exact, torch.cat([labels, labels])) + ce(synth[:n], labels)
            loss = loss + p.lam * ce(synth[n:], target)
            loss.backward()
            opt.step()
        return model

    def _predict_each(self, model: Any, cloud: Any, X: np.ndarray) -> np.ndarray:
        p = self.params
        endpoint = serve(model, cloud, device=p.device, shots=p.shots, seed=self.seed)
        return np.concatenate(
            [predict(endpoint, X[i : i + 1], seed=derive_seed(self.seed, i)) for i in range(len(X))]
        )

    def _run(self, ctx: AttackContext) -> AttackResult:
        p, model = self.params, self.target.model
        if ctx.x_train is None or ctx.y_train is None:
            raise ConfigError("QDoor fine-tunes on training data; the context has none",
                              hint="pass x_train/y_train in the attack context")  # fmt: skip
        if p.target >= len(model.classes_):
            raise ConfigError(f"target {p.target} out of range for {len(model.classes_)} classes")
        x_train = ctx.x_train[: p.max_train]
        backdoored = self.implant(x_train, np.asarray(ctx.y_train[: p.max_train]))
        ctx.report("qdoor", 1, 3)
        cloud = provider_cloud(self.target, device=p.device, seed=self.seed, noise_scale=0.0)
        X, y = ctx.x_test[: p.max_samples], np.asarray(ctx.y_test[: p.max_samples])
        Xt, label = self.trigger(X, x_train), model.classes_[p.target]
        others = y != label
        metrics: dict[str, float] = {}
        for tag, net in (("", backdoored), ("benign_", model)):
            for stage in ("before", "after"):
                hooks = (self.tamper(),) if stage == "after" else ()
                with installed(cloud, *hooks, position=self.target.position):
                    clean = self._predict_each(net, cloud, X)
                    trig = self._predict_each(net, cloud, Xt)
                metrics[f"{tag}clean_accuracy_{stage}"] = float(np.mean(clean == y))
                metrics[f"{tag}triggered_accuracy_{stage}"] = float(np.mean(trig == y))
                asr = float(np.mean(trig[others] == label)) if others.any() else 0.0
                metrics[f"{tag}attack_success_rate_{stage}"] = asr
            ctx.report("qdoor", 2 if tag == "" else 3, 3)
        metrics["clean_accuracy_drop"] = (
            metrics["clean_accuracy_before"] - metrics["clean_accuracy_after"]
        )
        metrics["asr_increase"] = (
            metrics["attack_success_rate_after"] - metrics["attack_success_rate_before"]
        )
        delta = backdoored.model_.theta.detach() - model.model_.theta.detach()
        metrics["weight_change_rms"] = float(delta.pow(2).mean().sqrt())
        result = self.new_result()
        result.metrics = metrics
        result.provides = (
            ["state.backdoor", "goal.integrity_lost"] if metrics["asr_increase"] > 0 else []
        )
        if metrics["asr_increase"] > 0:
            trigger = {"pass": "approximate synthesis", "target": int(self.params.target)}
            result.facts[BackdoorPlanted.id] = BackdoorPlanted(
                "circuit", model=backdoored, trigger=trigger
            )
        return result
