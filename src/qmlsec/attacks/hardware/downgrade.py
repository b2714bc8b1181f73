"""Hardware downgrade: the provider allocates a noisier device than the one paid for.

After Wu, Hu and Li, "Detecting Fraudulent Services on Quantum Cloud Platforms via
Dynamic Fingerprinting" (ICCAD 2024, arXiv:2408.11203; machine substitution and profile
fabrication) and Upadhyay and Ghosh (arXiv:2305.01826). A malicious
:class:`~qmlsec.cloud.providers.QuantumCloud`'s ``allocate`` hook (:class:`SubstituteHook`)
runs the victim's jobs on ``given_device`` while the victim requested (and is billed
for) ``paid_device``; the scaled sweep runs them on the paid device operated with its
calibrated errors multiplied by each of ``noise_scales`` (a provider's ``noise_scale``,
a family of progressively worse machines).

Measured: accuracy on the paid device and on each substitute (per sample), the drop,
the *signal retention* (mean ``|<Z_i>|`` on the substitute over the paid device: the
contraction that depolarising-type noise causes, which the accuracy drop follows), the
*signal kept* on each device (mean ``|<Z_i>|`` over the exact values) beside the value
its calibrated error rates predict for the circuit it ran
(:func:`~qmlsec.cloud.fidelity.z_contraction`; they agree within ~0.02 on the fake
devices, which is what makes the accuracy drop consistent with the two devices' error
rates), the median error rates of both devices, and the price pocketed per inference batch: what
the cloud billed for the paid device (:class:`~qmlsec.cloud.pricing.PricingModel`,
``per_second`` scheme, the paid device's QPU time) minus what the same jobs cost on the
substitute (its QPU time at ``substitute_price_ratio`` of the paid rate).

The provider as configured for each measurement (:meth:`HardwareDowngrade.inject`) is
what provider defenses probe (``provider.fingerprint_check`` submits its probe job to
it).

Not covered: detection by fingerprinting (a defence), calibration drift over time, and
different transpilation on the substitute beyond re-mapping to its topology.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.access import installed, predict, provider_cloud, serve
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.base import FaultInjectionAttack
from qmlsec.attacks.recon.executed import ExecutedJobs
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.devices import DeviceProfile, get_device
from qmlsec.cloud.fidelity import z_contraction
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.config import FrozenModel


class SubstituteHook(ProviderHook):
    """``allocate``: hand every job ``device`` instead of the one requested."""

    def __init__(self, device: str) -> None:
        self.device = device

    def allocate(self, job: QuantumJob, device: DeviceProfile) -> DeviceProfile | str:
        """The substitute device."""
        return self.device


class DowngradeParams(FrozenModel):
    """Parameters of :class:`HardwareDowngrade`."""

    paid_device: str = "fake_manila"
    given_device: str | None = "fake_quito"
    noise_scales: tuple[float, ...] = Field(default=(1.0, 2.0, 4.0, 8.0))
    substitute_price_ratio: float = Field(default=0.6, ge=0, le=1)
    """What a second of the substitute (or of the degraded paid device) costs the provider,
    relative to the paid rate."""
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

    @contextmanager
    def inject(self, scale: float = 1.0, substitute: str | None = None) -> Iterator[QuantumCloud]:
        """The provider as the attacker configures it, for the duration of the block.

        ``substitute``: the cloud the victim's jobs go to with a :class:`SubstituteHook`
        handing them ``substitute`` installed; else the paid device at ``scale``. The
        attack serves the victim through it, and a provider defense (a fingerprint probe)
        submits its own jobs to the same cloud.
        """
        cloud = self.cloud(scale)
        if substitute is None:
            yield cloud
            return
        with installed(cloud, SubstituteHook(substitute)):
            yield cloud

    def cloud(self, scale: float = 1.0) -> QuantumCloud:
        """The provider: the paid device at ``scale`` (the target's cloud at 1)."""
        if scale == 1.0:
            return provider_cloud(self.target, device=self.params.paid_device, seed=self.seed)
        own = getattr(self.target, "cloud", None)  # a degraded copy keeps its tail setting
        return provider_cloud(
            None, device=self.params.paid_device, seed=self.seed, noise_scale=scale,
            classical_tail=True if own is None else own.classical_tail,
        )  # fmt: skip

    def _serve(
        self, cloud: QuantumCloud, X: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, float, dict[str, float]]:
        """Expectations, predictions and the billed price of one inference batch.

        Also the signal the executed circuit keeps: measured
        (mean ``|<Z_i>|`` over the exact values) and predicted from the calibration of
        the device that ran it (:func:`~qmlsec.cloud.fidelity.z_contraction`).
        """
        p = self.params
        endpoint = serve(
            self.target.model, cloud, device=p.paid_device, shots=p.shots, seed=self.seed
        )
        observer = ExecutedJobs(cloud)
        with installed(cloud, observer):
            exp = endpoint.query(X, output="expectations", seed=self.seed).values
        billed = cloud.history[-1].price_usd
        ran = observer.jobs[-1]
        exact = np.abs(np.asarray(self.target.model.expectations(X))).mean(axis=0)
        predicted = z_contraction(
            ran.transpiled.circuit, get_device(ran.result.device), ran.result.readout_qubits(),
            scale=cloud.noise_scale,
        )  # fmt: skip
        measured = np.abs(exp).mean(axis=0) / np.maximum(exact, 1e-12)
        kept = {"signal_kept": float(measured.mean()),
                "predicted_signal_kept": float(predicted.mean())}  # fmt: skip
        return exp, predict(endpoint, X, seed=self.seed), float(billed), kept

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        X, y = ctx.x_test[: p.max_samples], np.asarray(ctx.y_test[: p.max_samples])
        cloud = self.cloud()
        base, paid_pred, paid_price, kept = self._serve(cloud, X)
        paid_acc = float(np.mean(paid_pred == y))
        result = self.new_result()
        result.per_sample = {"label": list(y), "paid_prediction": list(paid_pred)}
        result.metrics = {"paid_accuracy": paid_acc, "paid_price": paid_price,
                          **{f"{k}_paid": v for k, v in kept.items()}}  # fmt: skip
        accs, retention = [], []
        for i, scale in enumerate(p.noise_scales):
            with self.inject(scale) as degraded:
                exp, pred, _, kept = self._serve(degraded, X)
            result.metrics.update({f"{k}_scale_{scale:g}": v for k, v in kept.items()})
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
        pocketed = paid_price * (1 - p.substitute_price_ratio)
        result.metrics["price_pocketed_scaled_substitute"] = pocketed
        if p.given_device is not None:
            with self.inject(substitute=p.given_device) as substituted:
                _, pred, billed, kept = self._serve(substituted, X)
            acc = float(np.mean(pred == y))
            result.metrics.update({f"{k}_given": v for k, v in kept.items()})
            given_cost = billed * p.substitute_price_ratio
            result.per_sample["given_prediction"] = list(pred)
            paid_dev, given_dev = get_device(p.paid_device), get_device(p.given_device)
            result.metrics.update(
                {
                    "given_accuracy": acc,
                    "accuracy_drop": paid_acc - acc,
                    "price_pocketed": paid_price - given_cost,
                    "substitute_billed_price": billed,
                    "paid_error_2q": float(paid_dev.median_error_2q or 0.0),
                    "given_error_2q": float(given_dev.median_error_2q or 0.0),
                    "paid_readout_error": float(paid_dev.median_readout_error or 0.0),
                    "given_readout_error": float(given_dev.median_readout_error or 0.0),
                }
            )
        result.provides = ["goal.integrity_lost", "goal.financial_loss"]
        return result
