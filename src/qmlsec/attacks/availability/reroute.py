"""Rerouting: a malicious provider sends the victim's jobs to a congested device.

After the SoK on QMLaaS security (the provider's allocation decides where and when a job
runs) and the kill chain's QML.T0030.002. The cloud's pool holds the requested device
and ``congested_device`` whose background arrival rate is ``congestion`` times the
default (:class:`~qmlsec.cloud.providers.queueing.LoadModel` ``device_load``); the
provider's ``allocate`` hook (:class:`~qmlsec.attacks.hardware.downgrade.SubstituteHook`)
reroutes every victim job there. The victim arrives ``warmup_s`` simulated seconds into
the provider's day, so each queue holds the backlog its background load has built (a
cloud that starts empty at t=0 makes every device look idle). At the default
congestion (3: utilisation 1.2) the congested device is saturated and its backlog grows
with time; at ``congestion < 2.5`` it is stable and the increase is random per seed.

Measured on the simulated clock: inference latency p50/p99 with and without rerouting,
the training-time increase for ``train_steps`` training-batch jobs, and accuracy on both
devices.

Not covered: rerouting across providers, and congestion that changes over time.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.access import DEFAULT_DEVICE, installed
from qmlsec.attacks.availability.base import AvailabilityAttack
from qmlsec.attacks.availability.latency_injection import training_seconds
from qmlsec.attacks.availability.service import latency_metrics, serve_queries
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.downgrade import SubstituteHook
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.devices import fake_device_sizes, get_device
from qmlsec.cloud.providers import LoadModel, QuantumCloud
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.exceptions import ConfigError, NotFoundError


class RerouteParams(FrozenModel):
    """Parameters of :class:`Reroute`."""

    device: str = DEFAULT_DEVICE
    congested_device: str | None = None
    """Where the jobs are rerouted; default ``fake_jakarta``, or the smallest fake device
    other than ``device`` with enough qubits for the victim's circuit."""
    congestion: float = Field(default=3.0, ge=1)
    """Arrival-rate multiplier (utilisation 0.4 x congestion under the default load)."""
    warmup_s: float = Field(default=3600.0, ge=0)
    """Simulated seconds of background load before the victim's first job."""
    max_samples: int = Field(default=20, ge=1)
    train_steps: int = Field(default=3, ge=0)
    shots: int = Field(default=256, ge=1)


class Reroute(AvailabilityAttack):
    """Provider reroutes the victim to a congested device (QML.T0030.002)."""

    name: ClassVar[str] = "availability.reroute"
    technique_id: ClassVar[str] = "QML.T0030.002"
    requires = frozenset({Capability.PROVIDER_CONTROL})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = RerouteParams
    check_params: ClassVar[dict] = {"max_samples": 4, "train_steps": 1, "shots": 64}

    def congested(self) -> str:
        """The device the victim's jobs are sent to."""
        p = self.params
        if p.congested_device is not None:
            return p.congested_device
        width = int(self.target.model.model_.spec.n_qubits) if self.target.model else 1
        if get_device("fake_jakarta").num_qubits >= width and p.device != "fake_jakarta":
            return "fake_jakarta"
        sizes = sorted((n, name) for name, n in fake_device_sizes().items())
        for _, name in (s for s in sizes if s[0] >= width and s[1] != p.device):
            try:
                return get_device(name).name  # the smallest that fits and loads
            except NotFoundError:
                continue
        raise ConfigError(f"no catalogued device other than {p.device} has {width} qubits",
                          hint="set congested_device")  # fmt: skip

    def disrupt(self) -> SubstituteHook:
        """The provider hook (install with ``add_hook``)."""
        return SubstituteHook(self.congested())

    def _measure(self, ctx: AttackContext, hooked: bool) -> tuple[np.ndarray, np.ndarray, float]:
        p, model = self.params, self.target.model
        congested = self.congested()
        load = LoadModel(device_load={congested: p.congestion})
        cloud = QuantumCloud([p.device, congested], trust="malicious", load=load,
                             seed=derive_seed(self.seed, "provider"))  # fmt: skip
        X = ctx.x_test[: p.max_samples]
        x_train = ctx.x_train if ctx.x_train is not None else ctx.x_test
        cloud.clock = p.warmup_s
        with installed(cloud, *((self.disrupt(),) if hooked else ())):
            lat, pred, _ = serve_queries(
                model, cloud, X, shots=p.shots, seed=self.seed, device=p.device
            )
            train = training_seconds(
                model,
                cloud,
                x_train[: p.max_samples],
                steps=p.train_steps,
                shots=p.shots,
                seed=self.seed,
            )
        return lat, pred, train

    def _run(self, ctx: AttackContext) -> AttackResult:
        y = np.asarray(ctx.y_test[: self.params.max_samples])
        clean, clean_pred, clean_train = self._measure(ctx, False)
        slow, pred, slow_train = self._measure(ctx, True)
        result = self.new_result()
        result.per_sample = {"clean_latency_s": clean.tolist(), "latency_s": slow.tolist()}
        result.metrics = {
            **latency_metrics(clean, "clean_latency"),
            **latency_metrics(slow, "latency"),
            "latency_increase_p50_s": float(np.percentile(slow, 50) - np.percentile(clean, 50)),
            "latency_increase_p99_s": float(np.percentile(slow, 99) - np.percentile(clean, 99)),
            "clean_training_s": clean_train,
            "training_s": slow_train,
            "training_time_increase_s": slow_train - clean_train,
            "clean_accuracy": float(np.mean(clean_pred == y)),
            "accuracy": float(np.mean(pred == y)),
        }
        result.notes.append(f"rerouted from {self.params.device} to {self.congested()}")
        result.provides = ["goal.availability_lost"] if slow.mean() > clean.mean() else []
        return result
