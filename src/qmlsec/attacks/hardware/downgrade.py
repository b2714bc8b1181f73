"""Hardware downgrade: the provider allocates a noisier device than the one paid for.

After Wu, Hu and Li, "Detecting Fraudulent Services on Quantum Cloud Platforms via
Dynamic Fingerprinting" (ICCAD 2024, arXiv:2408.11203; machine substitution and profile
fabrication) and Upadhyay and Ghosh (arXiv:2305.01826). The provider's allocation hook
runs the victim's jobs on ``given_device`` (or on the paid device's calibration scaled
by each of ``noise_scales``, a family of progressively worse machines) while billing
``paid_device``.

Measured: accuracy on the paid device and on each substitute (per sample), the drop,
the *signal retention* (mean ``|<Z_i>|`` on the substitute over the paid device: the
contraction that depolarising-type noise causes, which the accuracy drop follows), the
median error rates of both devices, and the price difference pocketed per inference
batch under ``price_per_kshot`` (a tariff by device; the paid rate applies to every
shot while the cheaper rate is what the substitute costs).

Not covered: detection by fingerprinting (a defence), calibration drift over time, and
different transpilation on the substitute beyond re-mapping to its topology.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.base import FaultInjectionAttack
from qmlsec.attacks.hardware.session import ProviderSession
from qmlsec.attacks.hardware.victim import VictimCircuits
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.devices import get_device
from qmlsec.config import FrozenModel

DEFAULT_TARIFF = {"fake_manila": 1.60, "fake_quito": 0.96, "fake_jakarta": 1.60}
"""USD per 1000 shots, an illustrative tariff (better calibrated device, higher price)."""


class DowngradeParams(FrozenModel):
    """Parameters of :class:`HardwareDowngrade`."""

    paid_device: str = "fake_manila"
    given_device: str | None = "fake_quito"
    noise_scales: tuple[float, ...] = Field(default=(1.0, 2.0, 4.0, 8.0))
    price_per_kshot: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_TARIFF))
    substitute_discount: float = Field(default=0.4, ge=0, le=1)
    """Cost saving of a scaled-noise substitute relative to the paid rate."""
    shots: int = Field(default=1024, ge=1)
    max_samples: int = Field(default=60, ge=1)


class HardwareDowngrade(FaultInjectionAttack):
    """Provider reallocates the victim to lower-quality hardware (QML.T0019)."""

    name: ClassVar[str] = "hardware.downgrade"
    technique_id: ClassVar[str] = "QML.T0019"
    requires = frozenset({Capability.PROVIDER_CONTROL})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = DowngradeParams
    check_params: ClassVar[dict] = {"noise_scales": (1.0, 4.0), "max_samples": 8, "shots": 256}

    def inject(self, device: str, scale: float = 1.0) -> ProviderSession:
        """The session the allocation hook hands the victim: ``device`` at ``scale``."""
        return ProviderSession(device, noisy=True, noise_scale=scale)

    def _price(self, device: str, shots: int, discount: float = 0.0) -> float:
        rate = self.params.price_per_kshot.get(device, 1.0)
        return rate * (1 - discount) * shots / 1000

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        victim = VictimCircuits(self.target.model)
        X, y = ctx.x_test[: p.max_samples], np.asarray(ctx.y_test[: p.max_samples])
        paid = self.inject(p.paid_device)
        circuits = victim.transpiled(X, paid.backend)
        base = victim.expectations(paid.execute(circuits, shots=p.shots, seed=self.seed))
        paid_pred = victim.predict_from_expectations(base)
        paid_acc = float(np.mean(paid_pred == y))
        total = p.shots * len(X)
        paid_price = self._price(p.paid_device, total)
        result = self.new_result()
        result.per_sample = {"label": list(y), "paid_prediction": list(paid_pred)}
        result.metrics = {"paid_accuracy": paid_acc, "paid_price": paid_price}
        accs, retention = [], []
        for i, scale in enumerate(p.noise_scales):
            session = self.inject(p.paid_device, scale)
            exp = victim.expectations(session.execute(circuits, shots=p.shots, seed=self.seed))
            pred = victim.predict_from_expectations(exp)
            accs.append(float(np.mean(pred == y)))
            retention.append(float(np.abs(exp).mean() / max(np.abs(base).mean(), 1e-12)))
            result.per_sample[f"scaled_prediction_{i}"] = list(pred)
            ctx.report("downgrade", i + 1, len(p.noise_scales))
        result.curves["accuracy_vs_noise_scale"] = {"x": list(p.noise_scales), "y": accs}
        result.curves["signal_retention_vs_noise_scale"] = {
            "x": list(p.noise_scales),
            "y": retention,
        }
        for scale, acc, ret in zip(p.noise_scales, accs, retention, strict=True):
            result.metrics[f"accuracy_drop_scale_{scale:g}"] = paid_acc - acc
            result.metrics[f"signal_retention_scale_{scale:g}"] = ret
        pocketed = paid_price - self._price(p.paid_device, total, p.substitute_discount)
        result.metrics["price_pocketed_scaled_substitute"] = pocketed
        if p.given_device is not None:
            given = self.inject(p.given_device)
            acc, pred = given.accuracy(victim, X, y, shots=p.shots, seed=self.seed)
            result.per_sample["given_prediction"] = list(pred)
            paid_dev, given_dev = get_device(p.paid_device), get_device(p.given_device)
            result.metrics.update(
                {
                    "given_accuracy": acc,
                    "accuracy_drop": paid_acc - acc,
                    "price_pocketed": paid_price - self._price(p.given_device, total),
                    "paid_error_2q": float(paid_dev.median_error_2q or 0.0),
                    "given_error_2q": float(given_dev.median_error_2q or 0.0),
                    "paid_readout_error": float(paid_dev.median_readout_error or 0.0),
                    "given_readout_error": float(given_dev.median_readout_error or 0.0),
                }
            )
        result.provides = ["goal.integrity_lost", "goal.financial_loss"]
        return result
