"""Denial of service by a provider that holds a fraction of the victim's jobs indefinitely.

After the SoK on QMLaaS security (an untrusted quantum cloud controls availability) and
the kill chain's QML.T0030. The provider's ``delay`` hook
(:class:`~qmlsec.attacks.availability.latency_injection.DelayHook`) holds each victim job
with probability ``rate`` for ``hold_s`` simulated seconds; a query is *available* when
it is answered within the service-level deadline ``deadline_s``.

Measured: availability (fraction of queries answered within the deadline) with and
without the attack, and latency p50/p99.

Not covered: outright job rejection (the cloud has no failure path a hook may take),
and the victim retrying elsewhere.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.access import installed, provider_cloud
from qmlsec.attacks.availability.base import AvailabilityAttack
from qmlsec.attacks.availability.latency_injection import DelayHook
from qmlsec.attacks.availability.service import latency_metrics, serve_queries
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel


class DoSParams(FrozenModel):
    """Parameters of :class:`DenialOfService`."""

    rate: float = Field(default=0.5, ge=0, le=1)
    hold_s: float = Field(default=3600.0, gt=0)
    deadline_s: float = Field(default=60.0, gt=0)
    max_samples: int = Field(default=20, ge=1)
    shots: int = Field(default=256, ge=1)
    device: str | None = None


class DenialOfService(AvailabilityAttack):
    """Provider withholds a fraction of the victim's jobs (QML.T0030)."""

    name: ClassVar[str] = "availability.dos"
    technique_id: ClassVar[str] = "QML.T0030"
    requires = frozenset({Capability.PROVIDER_CONTROL})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = DoSParams
    check_params: ClassVar[dict] = {"max_samples": 6, "shots": 64}

    def disrupt(self) -> DelayHook:
        """The provider hook (install with ``add_hook``)."""
        return DelayHook(self.params.hold_s, rate=self.params.rate, seed=self.seed)

    def _latencies(self, ctx: AttackContext, hooked: bool) -> np.ndarray:
        p = self.params
        cloud = provider_cloud(None, device=p.device, seed=self.seed)
        hooks = (self.disrupt(),) if hooked else ()
        with installed(cloud, *hooks):
            lat, _, _ = serve_queries(self.target.model, cloud, ctx.x_test[: p.max_samples],
                                      shots=p.shots, seed=self.seed)  # fmt: skip
        return lat

    def _run(self, ctx: AttackContext) -> AttackResult:
        deadline = self.params.deadline_s
        clean, attacked = self._latencies(ctx, False), self._latencies(ctx, True)
        result = self.new_result()
        result.per_sample = {"clean_latency_s": clean.tolist(), "latency_s": attacked.tolist()}
        result.metrics = {
            "clean_availability": float(np.mean(clean <= deadline)),
            "availability": float(np.mean(attacked <= deadline)),
            **latency_metrics(clean, "clean_latency"),
            **latency_metrics(attacked, "latency"),
        }
        lost = result.metrics["availability"] < result.metrics["clean_availability"]
        result.provides = ["goal.availability_lost"] if lost else []
        return result
