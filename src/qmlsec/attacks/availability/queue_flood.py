"""Queue flooding: a co-tenant fills the shared device queue ahead of the victim.

After the SoK on QMLaaS security (shared QPUs are queued; a tenant who submits long jobs
delays everyone behind it) and the kill chain's QML.T0030.000. The attacker is an
ordinary tenant of the same :class:`~qmlsec.cloud.providers.QuantumCloud`: before each
victim query it submits ``flood_jobs`` jobs of its own (a ``width``-qubit circuit,
``flood_shots`` shots each) to the victim's device, so the FIFO queue
(:class:`~qmlsec.cloud.providers.queueing.DeviceQueue`) serves them first. No hook: it
is plain use of the cloud.

Measured on the simulated clock: victim inference latency p50/p99 with and without the
flood, and the attacker's own bill (the price of the flood).

Not covered: fair-share schedulers or per-tenant quotas (the cloud's queue is FIFO),
and priority tiers.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.access import provider_cloud
from qmlsec.attacks.availability.base import AvailabilityAttack
from qmlsec.attacks.availability.service import latency_metrics, serve_queries
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.config import FrozenModel, derive_seed


def flood_circuit(width: int) -> QuantumCircuit:
    """The attacker's (parameter-free) job: a layer of H and a CNOT chain, measured."""
    qc = QuantumCircuit(width, name="flood")
    qc.h(range(width))
    for q in range(width - 1):
        qc.cx(q, q + 1)
    return qc


class QueueFloodParams(FrozenModel):
    """Parameters of :class:`QueueFlood`."""

    flood_jobs: int = Field(default=2, ge=0)
    flood_shots: int = Field(default=20000, ge=1)
    width: int = Field(default=2, ge=1)
    max_samples: int = Field(default=20, ge=1)
    shots: int = Field(default=256, ge=1)
    device: str | None = None


class QueueFlood(AvailabilityAttack):
    """A co-tenant floods the device queue ahead of the victim (QML.T0030.000)."""

    name: ClassVar[str] = "availability.queue_flood"
    technique_id: ClassVar[str] = "QML.T0030.000"
    requires = frozenset({Capability.CO_TENANCY})
    positions = frozenset({Position.CO_TENANT, Position.API_USER})
    Params = QueueFloodParams
    check_params: ClassVar[dict] = {"max_samples": 4, "shots": 64, "flood_shots": 2000}

    def disrupt(self, cloud: object, index: int) -> float:
        """Submit the flood jobs for victim query ``index``; return their price."""
        p = self.params
        price = 0.0
        for k in range(p.flood_jobs):
            job = QuantumJob("attacker", flood_circuit(p.width), np.zeros((1, 0)),
                             shots=p.flood_shots, requested_device=cloud.pool[0].name,  # type: ignore[attr-defined]
                             purpose="flood", submitter="co_tenant", submitter_trust="malicious",
                             seed=derive_seed(self.seed, "flood", index, k))  # fmt: skip
            price += cloud.submit(job).price_usd  # type: ignore[attr-defined]
        return price

    def _run(self, ctx: AttackContext) -> AttackResult:
        p, model = self.params, self.target.model
        X = ctx.x_test[: p.max_samples]
        clean_cloud = provider_cloud(None, device=p.device, seed=self.seed)
        clean, _, _ = serve_queries(model, clean_cloud, X, shots=p.shots, seed=self.seed)
        cloud, spent = provider_cloud(None, device=p.device, seed=self.seed), [0.0]

        def flood(i: int) -> None:
            arrival = max(cloud.clock, float(i))
            cloud.clock = arrival
            spent[0] += self.disrupt(cloud, i)
            cloud.clock = arrival  # the victim arrives with the flood already queued

        attacked, _, _ = serve_queries(
            model, cloud, X, shots=p.shots, seed=self.seed, before_each=flood
        )
        result = self.new_result()
        result.per_sample = {"clean_latency_s": clean.tolist(), "latency_s": attacked.tolist()}
        result.metrics = {
            **latency_metrics(clean, "clean_latency"),
            **latency_metrics(attacked, "latency"),
            "latency_increase_p50_s": float(np.percentile(attacked, 50) - np.percentile(clean, 50)),
            "attacker_price_usd": spent[0],
        }
        result.provides = ["goal.availability_lost"] if attacked.mean() > clean.mean() else []
        return result
