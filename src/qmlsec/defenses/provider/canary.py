"""Canary circuits: jobs with known outputs mixed into the user's batches.

Mitigation QML.M0009 (canaries), in the spirit of the integrity checks of Upadhyay and
Ghosh (arXiv:2305.01826, arXiv:2209.11872). With every batch the user submits
``canaries`` extra circuits the provider cannot tell apart from its own by shape: the
victim's circuit with secret inputs for which the user knows the exact readout
``<Z_i>`` (computed locally). The canaries run through the same provider, and its
hooks, as the user's jobs; when the mean absolute difference between their returned
and known ``<Z_i>`` exceeds ``threshold`` (above the shot and device noise of an
honest run, see :class:`CanaryParams`) the batch is rejected. Against ``tampering.measurement`` a rejected batch is re-run
elsewhere, so the tampering at that rate has no effect on accuracy.

Cost: the extra circuits and shots (``canaries x shots`` per batch) and their price.

Not covered: a provider that recognises canaries (e.g. by a fixed position in the
batch; here their positions are seeded at random) and tampers only with the rest,
result swapping restricted to non-canary jobs, device noise calibration of the
threshold (the known outputs are ideal).

Example:
    >>> CanaryCheck().params.canaries
    4
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.hardware.foothold import installed, provider_cloud, serve
from qmlsec.attacks.tampering.measurement import CountsTamperHook
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.defenses.base import AttackSetup, DefenseCost
from qmlsec.defenses.provider.base import ProviderDefense


class CanaryParams(FrozenModel):
    """Parameters of :class:`CanaryCheck`."""

    canaries: int = Field(4, ge=1)
    threshold: float = Field(0.25, gt=0, lt=1)
    """Calibrated on the default ``fake_manila`` cloud with calibration noise, 256 shots,
    iris victim: honest gap 0.135; bias tampering 0.1/0.3/0.5 gives 0.19/0.36/0.53,
    bit flips 0.20/0.32/0.47. Rate 0.1 is missed at this threshold."""


class CanaryCheck(ProviderDefense):
    """Reject batches whose canary circuits come back different from their known output."""

    name: ClassVar[str] = "provider.canary"
    mitigation_id: ClassVar[str] = "QML.M0009"
    counters: ClassVar[tuple[str, ...]] = ("tampering.measurement",)
    Params = CanaryParams

    def apply(self, session: Any) -> None:
        """Nothing to install: canaries travel inside the user's batches (see ``check``)."""

    def check(self, endpoint: Any, model: Any, x_secret: np.ndarray, *, seed: int) -> float:
        """Mean absolute difference between the canaries' returned and known ``<Z_i>``."""
        returned = np.asarray(endpoint.query(x_secret, output="expectations", seed=seed).values)
        return float(np.abs(returned - model.expectations(x_secret)).mean())

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Run the tampering; a rate whose canaries alarm has its batch rejected (drop 0)."""
        result = setup.run(seed)
        attack = setup.attack_cls(setup.target, dict(setup.params), seed=seed)
        p = attack.params
        cloud = provider_cloud(setup.target, device=p.device, seed=seed,
                               noise_scale=1.0 if p.noisy else 0.0)  # fmt: skip
        gen = rng(self.seed, "canary")
        lo, hi = setup.ctx.x_test.min(axis=0), setup.ctx.x_test.max(axis=0)
        x_secret = gen.uniform(lo, hi, size=(self.params.canaries, setup.ctx.x_test.shape[1]))
        start, alarms = time.perf_counter(), 0
        for i, rate in enumerate(p.rates):
            with installed(cloud, CountsTamperHook(attack.counts_map(rate, i))):
                endpoint = serve(setup.model, cloud, device=p.device, shots=p.shots, seed=seed)
                gap = self.check(endpoint, setup.model, x_secret, seed=derive_seed(seed, i))
            result.metrics[f"canary_gap_{rate:g}"] = gap
            if gap > self.params.threshold:
                alarms += 1
                result.metrics[f"accuracy_drop_{rate:g}"] = 0.0
        drops = [v for k, v in result.metrics.items() if k.startswith("accuracy_drop_")]
        result.metrics["max_accuracy_drop"] = max(drops, default=0.0)
        result.notes.append(f"{self.name}: {alarms}/{len(p.rates)} tampered rates alarmed")
        extra_shots = self.params.canaries * p.shots * len(p.rates)
        return result, DefenseCost(extra_shots=extra_shots, seconds=time.perf_counter() - start,
                                   extra={"alarms": float(alarms),
                                          "extra_circuits_per_batch": float(self.params.canaries)})  # fmt: skip
