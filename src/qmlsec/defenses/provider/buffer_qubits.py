"""Buffer qubits: the provider keeps ``k`` idle qubits between tenants or refuses co-scheduling.

Mitigation QML.M0011, after the buffer-qubit and isolated-layout countermeasures to
crosstalk fault injection of Ash-Saki, Alam and Ghosh and the follow-up on dynamical
decoupling and buffers (arXiv:2409.14598). The provider policy: a co-tenant job whose
nearest qubit lies within ``buffer`` hops of the victim's active qubits is refused on
that device for the duration of the victim's job (it waits in the queue); co-tenants at
a distance of more than ``buffer`` hops run as before.

Measured against ``hardware.crosstalk_injection``: the attack's distances and strengths
are replayed on its crosstalk cloud with the policy in front of the co-tenant; the
headline is the worst accuracy drop, and the worst mean shift of the victim's ``<Z_i>``
(``max_output_shift``) is reported beside it, since at small scale the injected
crosstalk moves the outputs without always flipping labels. Cost: the victim's qubit footprint (active plus
buffer qubits, kept idle), refused co-tenant jobs and the queue wait they incur (the
victim's QPU time per refused job).

Not covered: dynamical decoupling on the buffer qubits, background tenants of the
cloud (only the attacker's co-job is filtered), crosstalk over distances the model
reaches beyond the buffer (the attack's distance-``k+1`` runs still count).

Example:
    >>> BufferQubits().params.buffer
    1
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.access import installed
from qmlsec.attacks.hardware.crosstalk_injection import CoTenantHook
from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.crosstalk import qubit_distances
from qmlsec.cloud.providers.jobs import Placement, QuantumJob
from qmlsec.cloud.tenancy import CoJob
from qmlsec.config import FrozenModel
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.provider.base import ProviderDefense


class BufferQubitsParams(FrozenModel):
    """Parameters of :class:`BufferQubits`."""

    buffer: int = Field(1, ge=0)
    """Idle hops kept between the victim and any co-tenant (0: no policy)."""


class BufferedCoTenancy(CoTenantHook):
    """A co-tenant hook behind the provider's buffer policy (refused jobs are recorded)."""

    def __init__(self, distance: int, buffer: int) -> None:
        super().__init__(distance)
        self.buffer = buffer
        self.refused: list[CoJob] = []
        self.footprint: list[int] = []

    def co_schedule(self, job: QuantumJob, placement: Placement) -> list[CoJob]:
        """The attacker's job unless it sits within the buffer of the victim."""
        dev = placement.device
        edges = [(int(a), int(b)) for a, b in dev.coupling_map]
        dist = qubit_distances(edges, dev.num_qubits)
        active = list(placement.active)
        near = {q for q in range(dev.num_qubits) if min(dist[q, v] for v in active) <= self.buffer}
        self.footprint.append(len(near))
        kept = []
        for co in super().co_schedule(job, placement):
            if set(co.qubits) & near:
                self.refused.append(co)
            else:
                kept.append(co)
        return kept


def max_shift(metrics: dict[str, Any]) -> float:
    """The largest ``output_shift_*`` of a crosstalk result (0 if none)."""
    return max((float(v) for k, v in metrics.items() if k.startswith("output_shift_")),
               default=0.0)  # fmt: skip


class BufferQubits(ProviderDefense):
    """Refuse co-tenants within ``buffer`` hops of the victim's qubits."""

    name: ClassVar[str] = "provider.buffer_qubits"
    mitigation_id: ClassVar[str] = "QML.M0011"
    counters: ClassVar[tuple[str, ...]] = ("hardware.crosstalk_injection",)
    Params = BufferQubitsParams

    def apply(self, session: Any) -> int:
        """The policy travels with each co-tenant decision; returns the buffer width."""
        return self.params.buffer

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Replay the crosstalk sweep with the buffer policy in front of the co-tenant."""
        attack: Any = setup.attack_cls(setup.target, dict(setup.params), seed=seed)
        p = attack.params
        start = time.perf_counter()
        result = setup.run_undefended(seed)
        X, y = setup.ctx.x_test[: p.max_samples], np.asarray(setup.ctx.y_test[: p.max_samples])
        base = float(result.metrics["baseline_accuracy"])
        base_exp, _ = attack._outputs(attack.inject(0.0), X)  # noqa: SLF001  (same replay)
        refused, jobs, footprint, wait = 0, 0, 0, 0.0
        for d in p.distances:
            for s in p.strengths:
                cloud, hook = attack.inject(s), BufferedCoTenancy(d, self.params.buffer)
                with installed(cloud, hook):
                    exp, pred = attack._outputs(cloud, X)  # noqa: SLF001
                if hook.pairs and hook.pairs[-1] is None:
                    break
                jobs += len(hook.pairs)
                refused += len(hook.refused)
                footprint = max([footprint, *hook.footprint])
                wait += len(hook.refused) * float(cloud.history[-1].qpu_seconds)
                result.metrics[f"accuracy_d{d}_s{s:g}"] = float(np.mean(pred == y))
                result.metrics[f"output_shift_d{d}_s{s:g}"] = float(np.abs(exp - base_exp).mean())
        drops = [base - v for k, v in result.metrics.items() if k.startswith("accuracy_d")]
        result.metrics["max_accuracy_drop"] = max(drops, default=0.0)
        result.metrics["max_output_shift"] = max_shift(result.metrics)
        result.notes.append(f"{self.name}: {refused}/{jobs} co-tenant jobs refused")
        return result, DefenseCost(seconds=time.perf_counter() - start, extra={
            "qubit_footprint": float(footprint), "refused_co_jobs": float(refused),
            "co_jobs": float(jobs), "co_tenant_queue_wait_s": wait})  # fmt: skip
