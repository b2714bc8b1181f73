"""Cost harvesting: excessive queries billed to the victim's pay-per-query account.

After the SoK on QMLaaS security (pay-per-use quantum execution turns query volume into
the victim's cost) and the kill chain's QML.T0032. The victim's endpoint runs on a
:class:`~qmlsec.cloud.providers.QuantumCloud` whose executions are recorded in a
:class:`~qmlsec.cloud.cost.CostAccount`; an API user holding (or abusing) the victim's
access sends ``factor`` times the victim's own query volume, in batches of
``batch`` rows, and every one of those circuits is priced by the cloud's
:class:`~qmlsec.cloud.pricing.PricingModel` and billed to the victim.

Measured: the victim's bill (USD, QPU seconds, circuits) for its normal workload and
with the attack, the extra cost and the cost ratio.

Not covered: rate limits or budgets (a defense), and provider-side over-billing of
shots (a malicious provider could also inflate ``shots``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.access import provider_cloud, serve
from qmlsec.attacks.availability.base import AvailabilityAttack
from qmlsec.attacks.availability.service import serve_queries
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.cost import CostAccount
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.exceptions import RequirementError


class CostHarvestParams(FrozenModel):
    """Parameters of :class:`CostHarvest`."""

    factor: float = Field(default=10.0, ge=0)
    batch: int = Field(default=16, ge=1)
    max_samples: int = Field(default=20, ge=1)
    shots: int = Field(default=256, ge=1)
    device: str | None = None


class CostHarvest(AvailabilityAttack):
    """Excessive queries inflate the victim's bill (QML.T0032)."""

    name: ClassVar[str] = "availability.cost_harvest"
    technique_id: ClassVar[str] = "QML.T0032"
    requires = frozenset({Capability.QUERY_ACCESS})
    positions = frozenset({Position.API_USER, Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = CostHarvestParams
    check_params: ClassVar[dict] = {"max_samples": 4, "factor": 2.0, "shots": 64}

    def disrupt(self, endpoint: Any, X: np.ndarray) -> int:
        """Send ``factor * len(X)`` junk rows (drawn inside ``X``'s range); return the count."""
        p = self.params
        n = int(round(p.factor * len(X)))
        gen = rng(self.seed, "harvest")
        junk = gen.uniform(X.min(axis=0), X.max(axis=0), size=(n, X.shape[1]))
        for i, start in enumerate(range(0, n, p.batch)):
            endpoint.query(
                junk[start : start + p.batch], output="labels", seed=derive_seed(self.seed, i)
            )
        return n

    def _deployed(self) -> object:
        """The deployed classifier (the target's model, or the one behind its endpoint)."""
        if self.target.model is not None:
            return self.target.model
        inner = getattr(self.target.endpoint, "endpoint", self.target.endpoint)
        model = getattr(inner, "classifier", None) or getattr(inner, "model", None)
        if model is None:
            raise RequirementError(
                "cost harvesting needs the deployed classifier to simulate its billing",
                hint="pass the model or an endpoint that exposes it",
            )
        return model

    def _bill(self, ctx: AttackContext, attacked: bool) -> dict[str, float]:
        p, model = self.params, self._deployed()
        cost = CostAccount()
        cloud = provider_cloud(None, device=p.device, seed=self.seed, cost=cost)
        X = ctx.x_test[: p.max_samples]
        serve_queries(model, cloud, X, shots=p.shots, seed=self.seed)
        if attacked:
            self.disrupt(serve(model, cloud, device=p.device, shots=p.shots, seed=self.seed), X)
        total = cost.total()
        return {
            "price_usd": total.price_usd,
            "qpu_seconds": total.qpu_seconds,
            "circuits": float(total.circuits),
        }

    def _run(self, ctx: AttackContext) -> AttackResult:
        clean, attacked = self._bill(ctx, False), self._bill(ctx, True)
        result = self.new_result()
        result.metrics = {
            **{f"clean_{k}": v for k, v in clean.items()},
            **{f"attacked_{k}": v for k, v in attacked.items()},
            "extra_cost_usd": attacked["price_usd"] - clean["price_usd"],
            "cost_ratio": attacked["price_usd"] / max(clean["price_usd"], 1e-12),
        }
        result.provides = ["goal.financial_loss"] if result.metrics["extra_cost_usd"] > 0 else []
        return result
