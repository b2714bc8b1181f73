"""What a quantum cloud charges: per QPU second (IBM) or per task plus per shot (Braket).

``per_second`` prices the estimated QPU time, default $1.60/s (the rate the QMLaaS
literature quotes for IBM Quantum). ``per_task_shot`` prices like AWS Braket: a fee per
task (one circuit execution) plus a fee per shot, default $0.30 + $0.00035/shot.
Exact evaluations (``shots=None``) are billed as ``shots_for_exact`` shots, the shots a
hardware run would have needed.

Example:
    >>> PricingModel().price(qpu_seconds=10.0, tasks=4, shots=4096)
    16.0
    >>> round(PricingModel(scheme="per_task_shot").price(qpu_seconds=10.0, tasks=4, shots=4096), 4)
    2.6336
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from qmlsec.config import FrozenModel


class PricingModel(FrozenModel):
    """A price list (USD)."""

    scheme: Literal["per_second", "per_task_shot"] = "per_second"
    per_second_usd: float = Field(default=1.60, ge=0)
    per_task_usd: float = Field(default=0.30, ge=0)
    per_shot_usd: float = Field(default=0.00035, ge=0)
    shots_for_exact: int = Field(default=1024, ge=1)

    def billed_shots(self, shots: int | None) -> int:
        """Shots billed per circuit for a requested shot count (None = exact)."""
        return self.shots_for_exact if shots is None else int(shots)

    def price(self, *, qpu_seconds: float, tasks: int, shots: int) -> float:
        """Price of ``tasks`` circuits totalling ``shots`` shots and ``qpu_seconds`` of QPU time."""
        if self.scheme == "per_second":
            return qpu_seconds * self.per_second_usd
        return tasks * self.per_task_usd + shots * self.per_shot_usd
