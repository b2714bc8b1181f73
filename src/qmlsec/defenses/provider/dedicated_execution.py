"""Dedicated execution: no other tenant's job runs on the device during the victim's jobs.

Mitigation QML.M0018, after the dedicated-access mode of cloud QPUs and the temporal
tenant separation of QONTEXTS (Kumar et al., "zero-knowledge crosstalk attacks and
QONTEXTS context switching", arXiv:2504.07048): crosstalk, the channel of fault
injection, readout leakage and locality fingerprinting between tenants, needs two jobs
on the chip at the same time. Under this policy the provider co-schedules nothing
beside the victim's jobs; another tenant's job waits in the queue until the victim's
job has finished, and then runs alone.

Against the co-tenant attacks, replayed with the policy in front of the co-tenant:

* ``hardware.crosstalk_injection``: every co-tenant job is refused for the duration of
  the victim's job (:class:`~qmlsec.defenses.provider.buffer_qubits.BufferedCoTenancy`
  with a buffer spanning the whole device); the headline is the worst accuracy drop.
* ``leakage.crosstalk``: the attacker's readout probe can no longer share the victim's
  readout window; it reads out afterwards, alone, so the coupling between the victim's
  watched qubit and the probe is zero and only its own readout error ``eps`` remains.
* ``recon.locality_fingerprint``: the probe scan never overlaps a victim job, so the
  crosstalk the scan would pick up from the victim's active qubits is zero.

Cost: the share of the device reserved while the victim runs (``price_multiplier``,
device qubits over the victim's active qubits, the factor a provider charging for
the whole chip adds), refused co-tenant jobs and their queue wait.

Not covered: reset leakage (``leakage.reset``) and device fingerprinting
(``recon.fingerprint``), which need no concurrency: the next tenant still inherits the
qubits after the victim (see the one-time pads, QML.M0010); QONTEXTS' context-switch
calibration itself; background load beyond the attacker's co-jobs.

Example:
    >>> DedicatedExecution().describe()["counters"][0]
    'hardware.crosstalk_injection'
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.devices import get_device
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.provider.base import ProviderDefense
from qmlsec.defenses.provider.buffer_qubits import BufferQubits


class DedicatedExecution(ProviderDefense):
    """Refuse every co-scheduled tenant on the device during the victim's jobs."""

    name: ClassVar[str] = "provider.dedicated_execution"
    mitigation_id: ClassVar[str] = "QML.M0018"
    counters: ClassVar[tuple[str, ...]] = (
        "hardware.crosstalk_injection", "leakage.crosstalk", "recon.locality_fingerprint",
    )  # fmt: skip
    check_params: ClassVar[dict[str, Any]] = {}

    def apply(self, session: Any) -> str:
        """The policy travels with each co-scheduling decision; returns its name."""
        return "dedicated"

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Replay the co-tenant attack with no job beside the victim's."""
        start = time.perf_counter()
        name = setup.attack_cls.name
        extra: dict[str, float] = {}
        if name == "hardware.crosstalk_injection":
            # a buffer wider than any device: every co-tenant job is refused
            result, cost = BufferQubits({"buffer": 10_000}, seed=self.seed).defended_run(
                setup, seed
            )
            for key in ("refused_co_jobs", "co_jobs", "co_tenant_queue_wait_s"):
                extra[key] = cost.extra[key]
        else:
            result = setup.replace(attack_cls=alone(setup.attack_cls)).run(seed)
        active = result.outputs.get("victim_qubits") or []
        device = getattr(setup.attack_cls.Params(**setup.params), "device", None)
        if active and isinstance(device, str):
            extra["price_multiplier"] = get_device(device).num_qubits / len(active)
        result.notes.append(f"{self.name}: no co-tenant job beside the victim's")
        return result, DefenseCost(seconds=time.perf_counter() - start, extra=extra)


def alone(attack_cls: type) -> type:
    """``attack_cls`` whose probes run after the victim's job, never beside it."""
    name = getattr(attack_cls, "name", "")

    class Alone(attack_cls):  # type: ignore[misc, valid-type]
        if name == "leakage.crosstalk":

            def leak(self: Any, p_a: float, p_b: float, coupling: float) -> Any:
                return super().leak(p_a, p_b, 0.0)

            def probe(self: Any, cloud: Any, X: Any, victim: Any, distance: int,
                      coupling: float, key: str) -> Any:  # fmt: skip
                return super().probe(cloud, X, victim, distance, 0.0, key)

        elif name == "recon.locality_fingerprint":

            def cloud(self: Any, strength: float, device: str) -> Any:
                return super().cloud(0.0, device)

    Alone.__name__ = attack_cls.__name__
    return Alone
