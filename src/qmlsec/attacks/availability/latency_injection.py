"""Latency injection: a malicious provider holds the victim's jobs before queueing them.

After the SoK on QMLaaS security (availability threats from an untrusted quantum cloud:
a provider can delay jobs at will) and the kill chain's QML.T0030.001. A
:class:`DelayHook` (``delay``) adds ``delay_s`` simulated seconds to every job of the
victim's tenant before it enters the device queue. Measured on the cloud's simulated
clock: inference latency p50/p99 with and without the hook, and the training-time
increase for ``train_steps`` batch jobs over the training split (the forward jobs a
cloud-trained QNN submits per step; gradient jobs would be delayed alike).

Not covered: jitter that adapts to the victim's deadlines, and delays the victim could
detect by timestamps (the cloud reports ``delay_s`` honestly here).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.access import installed, provider_cloud
from qmlsec.attacks.availability.base import AvailabilityAttack
from qmlsec.attacks.availability.service import latency_metrics, serve_queries
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.config import FrozenModel, rng


class DelayHook(ProviderHook):
    """``delay``: hold each job of ``tenant`` for ``delay_s`` (with probability ``rate``)."""

    def __init__(
        self, delay_s: float, *, rate: float = 1.0, seed: int = 0, tenant: str = "victim"
    ) -> None:
        self.delay_s, self.rate, self.tenant = delay_s, rate, tenant
        self.gen = rng(seed, "delay")

    def delay(self, job: QuantumJob) -> float:
        """Seconds to hold ``job``."""
        if job.tenant != self.tenant or self.gen.random() >= self.rate:
            return 0.0
        return self.delay_s


def training_seconds(
    model: object, cloud: object, X: np.ndarray, *, steps: int, shots: int, seed: int
) -> float:
    """Simulated seconds ``steps`` training-batch jobs take on ``cloud``."""
    start = cloud.clock  # type: ignore[attr-defined]
    for step in range(steps):
        serve_queries(model, cloud, X, shots=shots, seed=seed + step, gap_s=0.0, batch=True)
    return float(cloud.clock - start)  # type: ignore[attr-defined]


class LatencyInjectionParams(FrozenModel):
    """Parameters of :class:`LatencyInjection`."""

    delay_s: float = Field(default=30.0, ge=0)
    max_samples: int = Field(default=20, ge=1)
    train_steps: int = Field(default=3, ge=0)
    shots: int = Field(default=256, ge=1)
    device: str | None = None


class LatencyInjection(AvailabilityAttack):
    """Provider delays every victim job (QML.T0030.001)."""

    name: ClassVar[str] = "availability.latency_injection"
    technique_id: ClassVar[str] = "QML.T0030.001"
    requires = frozenset({Capability.PROVIDER_CONTROL})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = LatencyInjectionParams
    check_params: ClassVar[dict] = {"max_samples": 4, "train_steps": 1, "shots": 64}

    def disrupt(self) -> DelayHook:
        """The provider hook (install with ``add_hook``)."""
        return DelayHook(self.params.delay_s, seed=self.seed)

    def _measure(self, ctx: AttackContext, hooked: bool) -> tuple[np.ndarray, float]:
        p, model = self.params, self.target.model
        cloud = provider_cloud(None, device=p.device, seed=self.seed)
        hooks = (self.disrupt(),) if hooked else ()
        X = ctx.x_test[: p.max_samples]
        x_train = ctx.x_train if ctx.x_train is not None else ctx.x_test
        with installed(cloud, *hooks):
            lat, _, _ = serve_queries(model, cloud, X, shots=p.shots, seed=self.seed)
            train = training_seconds(
                model,
                cloud,
                x_train[: p.max_samples],
                steps=p.train_steps,
                shots=p.shots,
                seed=self.seed,
            )
        return lat, train

    def _run(self, ctx: AttackContext) -> AttackResult:
        clean, clean_train = self._measure(ctx, False)
        slow, slow_train = self._measure(ctx, True)
        result = self.new_result()
        result.per_sample = {"clean_latency_s": clean.tolist(), "latency_s": slow.tolist()}
        result.metrics = {
            **latency_metrics(clean, "clean_latency"),
            **latency_metrics(slow, "latency"),
            "latency_increase_p50_s": float(np.percentile(slow, 50) - np.percentile(clean, 50)),
            "clean_training_s": clean_train,
            "training_s": slow_train,
            "training_time_increase_s": slow_train - clean_train,
        }
        result.provides = ["goal.availability_lost"] if slow.mean() > clean.mean() else []
        return result
