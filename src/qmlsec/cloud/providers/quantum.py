"""The quantum cloud: device pool, allocation, FIFO queues, co-tenancy, pricing, hooks.

:meth:`QuantumCloud.submit` runs one :class:`QuantumJob` end to end on a simulated
clock: observe -> allocate -> transform circuit -> place (transpile) -> co-schedule ->
delay -> queue -> execute (one backend call) -> transform result -> record (ledger and
cost account) -> observe result. Hooks (:mod:`.hooks`) are the only way to interfere;
the trust level decides which hooks a cloud may carry.

Example:
    >>> import numpy as np
    >>> from qiskit import QuantumCircuit
    >>> from qiskit.circuit import Parameter
    >>> from qiskit.quantum_info import SparsePauliOp
    >>> qc = QuantumCircuit(1); _ = qc.ry(Parameter("a"), 0)
    >>> cloud = QuantumCloud(["ideal"], seed=0)
    >>> job = QuantumJob("alice", qc, np.array([[0.0]]), (SparsePauliOp("Z"),), shots=None)
    >>> res = cloud.submit(job)
    >>> res.device, float(res.expectations[0, 0])
    ('ideal', 1.0)
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from qmlsec.cloud.backends.base import Backend
from qmlsec.cloud.backends.factory import make_backend
from qmlsec.cloud.backends.measurement import measurement_bases
from qmlsec.cloud.backends.primitive import PrimitiveBackend
from qmlsec.cloud.cost import CostAccount
from qmlsec.cloud.devices import DeviceProfile, get_device
from qmlsec.cloud.ledger import ExposureLedger
from qmlsec.cloud.noise import NoiseContributor
from qmlsec.cloud.parties import Asset, Party, TrustLevel
from qmlsec.cloud.pricing import PricingModel
from qmlsec.cloud.primitives import PrimitiveSettings, open_runner
from qmlsec.cloud.providers.allocation import Policy, allocate
from qmlsec.cloud.providers.hooks import ProviderHook, check_hook, hook_capabilities
from qmlsec.cloud.providers.jobs import JobResult, Placement, QuantumJob
from qmlsec.cloud.providers.queueing import DeviceQueue, LoadModel
from qmlsec.cloud.providers.timing import DEFAULT_REP_DELAY_S, circuit_duration
from qmlsec.cloud.tenancy import CoJob
from qmlsec.cloud.transpile import TranspileCache
from qmlsec.config import derive_seed, rng
from qmlsec.exceptions import ConfigError

PARTY = "quantum_cloud"


class QuantumCloud:
    """A QPU provider simulated end to end; every time is simulated seconds.

    Args:
        devices: the pool (names or profiles).
        policy: ``requested``, ``least-busy``, ``best-fidelity`` or ``cheapest``.
        trust: trust level (decides which hooks it may carry).
        pricing: price list; ``device_pricing`` overrides it per device name.
        load: background load and co-tenancy model.
        noise_scale, optimization_level, classical_tail: passed to each device's builtin
            backend.
        seed: fans out to the transpiler, simulators, queues and co-tenancy.
        ledger, cost: where hand-offs and executions are recorded (optional).
        contributors: extra noise terms for every execution (crosstalk...).
        tenants: the other tenants whose background jobs share the devices (names drawn
            at random when empty).
        primitive: the Qiskit V2 primitive that executes the jobs
            (:mod:`qmlsec.cloud.primitives`; default: the builtin simulated backends). A
            cloud with noise contributors keeps the builtin backends (co-tenancy noise is
            simulated there only).
    """

    def __init__(
        self,
        devices: Sequence[str | DeviceProfile],
        *,
        policy: Policy = "requested",
        trust: TrustLevel | str = TrustLevel.HONEST_BUT_CURIOUS,
        pricing: PricingModel | None = None,
        device_pricing: dict[str, PricingModel] | None = None,
        load: LoadModel | None = None,
        noise_scale: float = 1.0,
        optimization_level: int = 1,
        classical_tail: bool = True,
        seed: int = 0,
        ledger: ExposureLedger | None = None,
        cost: CostAccount | None = None,
        contributors: Sequence[NoiseContributor] = (),
        rep_delay_s: float = DEFAULT_REP_DELAY_S,
        tenants: Sequence[str] = (),
        primitive: PrimitiveSettings | None = None,
    ) -> None:
        if not devices:
            raise ConfigError(
                "a quantum cloud needs at least one device", hint="e.g. ['fake_manila']"
            )
        if policy not in ("requested", "least-busy", "best-fidelity", "cheapest"):
            raise ConfigError(
                f"unknown allocation policy {policy!r}",
                hint="requested, least-busy, best-fidelity, cheapest",
            )
        self.pool = [get_device(d) if isinstance(d, str) else d for d in devices]
        self.policy: Policy = policy
        self.trust = TrustLevel(trust)
        self.pricing = pricing or PricingModel()
        self.device_pricing = dict(device_pricing or {})
        self.load = load or LoadModel()
        self.noise_scale = noise_scale
        self.optimization_level = optimization_level
        self.classical_tail = classical_tail
        self.seed = seed
        self.ledger = ledger
        self.cost = cost
        self.contributors = tuple(contributors)
        self.rep_delay_s = rep_delay_s
        self.tenants = tuple(tenants)
        self.primitive = primitive or PrimitiveSettings()
        self.clock = 0.0
        self.hooks: list[Any] = []
        self.history: deque[JobResult] = deque(maxlen=1000)
        self.cache = TranspileCache()
        self._backends: dict[str, Backend] = {}
        self._queues: dict[str, DeviceQueue] = {}
        self._co_rng = rng(seed, "co-tenancy")
        self._submitted = 0

    # -- configuration -----------------------------------------------------------------
    def add_hook(self, hook: ProviderHook | Any, *, supplied: bool = False) -> None:
        """Attach a hook; raises ConfigError if this cloud's trust level forbids it.

        ``supplied``: a compiler pass from a third party (supply chain) that the provider's
        transpiler runs whatever the provider's trust (see :func:`check_hook`).
        """
        check_hook(hook, self.trust, supplied=supplied)
        self.hooks.append(hook)

    def backend(self, device: DeviceProfile) -> Backend:
        """The (cached) backend executing on ``device``."""
        if device.name not in self._backends and self.primitive.external and not self.contributors:
            self._backends[device.name] = PrimitiveBackend(
                device, open_runner(self.primitive, device), noise_scale=self.noise_scale,
                optimization_level=self.optimization_level, seed=derive_seed(self.seed, "backend"),
                cache=self.cache,
            )  # fmt: skip
        if device.name not in self._backends:
            self._backends[device.name] = make_backend(
                device,
                noise_scale=self.noise_scale,
                optimization_level=self.optimization_level,
                seed=derive_seed(self.seed, "backend"),
                cache=self.cache,
                contributors=self.contributors,
                classical_tail=self.classical_tail,
            )
        return self._backends[device.name]

    def queue(self, device: DeviceProfile) -> DeviceQueue:
        """The simulated FIFO queue of ``device``."""
        if device.name not in self._queues:
            self._queues[device.name] = DeviceQueue(device.name, self.load, seed=self.seed)
        return self._queues[device.name]

    def pricing_for(self, device: DeviceProfile) -> PricingModel:
        """Price list that applies on ``device``."""
        return self.device_pricing.get(device.name, self.pricing)

    # -- the job ---------------------------------------------------------------------
    def submit(self, job: QuantumJob) -> JobResult:
        """Run ``job`` and return its result (see the module docstring for the order)."""
        wall = time.perf_counter()
        self._submitted += 1
        job = replace(job, job_id=job.job_id or f"job-{self._submitted:06d}")
        self._call("on_submit", job)
        submitted = self.clock
        device = allocate(
            self.policy, job.circuit, self.pool, requested=job.requested_device,
            backlog=lambda d: self.queue(d).backlog(submitted),
            price=lambda d: self._estimate_price(job, d),
        )  # fmt: skip
        tampered: list[str] = []
        for hook in self._with("allocate"):
            chosen = hook.allocate(job, device)
            chosen = get_device(chosen) if isinstance(chosen, str) else chosen
            if chosen != device:
                tampered.append("allocate")
            device = chosen
        circuit = job.circuit
        for hook in self._with("transform_circuit"):
            circuit = hook.transform_circuit(job, circuit)
        if circuit is not job.circuit:
            tampered.append("transform_circuit")
        backend = self.backend(device)
        placement, duration = self._place(backend, device, circuit, job)
        co_jobs = self._background_co_jobs(placement)
        for hook in self._with("co_schedule"):
            co_jobs.extend(hook.co_schedule(job, placement))
        delay = float(sum(hook.delay(job) for hook in self._with("delay")))
        n_bases = (
            1 if job.shots is None else len(measurement_bases(job.observables, circuit.num_qubits))
        )
        circuits = job.num_samples * n_bases
        pricing = self.pricing_for(device)
        billed = pricing.billed_shots(job.shots)
        qpu_seconds = circuits * billed * (duration + self.rep_delay_s)
        start, wait = self.queue(device).submit(submitted + delay, qpu_seconds)
        co_jobs = [
            replace(c, start_s=c.start_s or start, duration_s=c.duration_s or qpu_seconds)
            for c in co_jobs
        ]
        execution = backend.run(
            circuit,
            job.parameter_values,
            list(job.observables),
            shots=job.shots,
            seed=job.seed,
            co_jobs=co_jobs,
        )
        self.clock = start + qpu_seconds
        result = JobResult(
            job_id=job.job_id, tenant=job.tenant, expectations=execution.expectations, device=device.name,
            transpile=execution.transpile, queue_wait_s=wait, delay_s=delay, submitted_at=submitted,
            started_at=start, finished_at=self.clock, qpu_seconds=qpu_seconds,
            price_usd=pricing.price(qpu_seconds=qpu_seconds, tasks=circuits, shots=circuits * billed),
            circuits=circuits, shots=job.shots, wall_s=0.0, method=execution.method,
            counts=execution.counts, co_jobs=tuple(co_jobs), tampered=tuple(tampered),
            primitive=dict(execution.metadata) or None, classical_tail=execution.classical_tail,
        )  # fmt: skip
        for hook in self._with("transform_result"):
            changed = hook.transform_result(job, result)
            if changed is not result:
                result = replace(changed, tampered=(*changed.tampered, "transform_result"))
        result = replace(result, wall_s=time.perf_counter() - wall)
        self._record(job, result)
        self.history.append(result)
        self._call("on_result", job, result)
        return result

    # -- internals -------------------------------------------------------------------
    def _with(self, method: str) -> list[Any]:
        return [h for h in self.hooks if method in hook_capabilities(h)]

    def _call(self, method: str, *args: Any) -> None:
        for hook in self._with(method):
            getattr(hook, method)(*args)

    def _place(
        self, backend: Backend, device: DeviceProfile, circuit: Any, job: QuantumJob
    ) -> tuple[Placement, float]:
        """Where the job runs: the layout of the first circuit the backend will execute."""
        plan = getattr(backend, "plan", None)
        if device.is_ideal or plan is None:
            ident = tuple(range(circuit.num_qubits))
            return Placement(device, ident, ident, ()), 0.0
        tc = plan(circuit, list(job.observables), job.shots)[0]
        active = set(tc.report.active_qubits)
        neighbours = sorted(
            {b for a, b in device.coupling_map if a in active}
            | {a for a, b in device.coupling_map if b in active}
        )
        placement = Placement(
            device,
            tc.report.final_layout,
            tuple(sorted(active)),
            tuple(q for q in neighbours if q not in active),
        )
        measured = any(inst.operation.name == "measure" for inst in tc.circuit.data)
        readout = 0.0 if measured else (device.median_duration_readout or 0.0)
        return placement, circuit_duration(tc.circuit, device) + readout

    def _background_co_jobs(self, placement: Placement) -> list[CoJob]:
        device = placement.device
        if device.is_ideal or not placement.neighbours:
            return []
        adjacency: dict[int, set[int]] = {}
        for a, b in device.coupling_map:
            adjacency.setdefault(a, set()).add(b)
            adjacency.setdefault(b, set()).add(a)
        taken = set(placement.active)
        jobs = []
        for _ in range(int(self._co_rng.poisson(self.load.co_tenancy))):
            free = [q for q in placement.neighbours if q not in taken]
            if not free:
                break
            qubits = [free[int(self._co_rng.integers(len(free)))]]
            while len(qubits) < self.load.co_job_qubits:
                frontier = sorted(
                    {
                        n
                        for q in qubits
                        for n in adjacency.get(q, ())
                        if n not in taken and n not in qubits
                    }
                )
                if not frontier:
                    break
                qubits.append(frontier[int(self._co_rng.integers(len(frontier)))])
            taken.update(qubits)
            tenant = (
                self.tenants[int(self._co_rng.integers(len(self.tenants)))]
                if self.tenants
                else f"tenant-{int(self._co_rng.integers(1, 10_000)):04d}"
            )
            jobs.append(CoJob(tenant=tenant, qubits=tuple(sorted(qubits))))
        return jobs

    def _estimate_price(self, job: QuantumJob, device: DeviceProfile) -> float:
        pricing = self.pricing_for(device)
        depth = job.circuit.depth()
        step = max(device.median_duration_1q or 0.0, device.median_duration_2q or 0.0)
        duration = depth * step + (device.median_duration_readout or 0.0)
        shots = pricing.billed_shots(job.shots) * job.num_samples
        return pricing.price(
            qpu_seconds=shots * (duration + self.rep_delay_s), tasks=job.num_samples, shots=shots
        )

    def _record(self, job: QuantumJob, result: JobResult) -> None:
        if self.cost is not None:
            self.cost.record(
                job.purpose, circuits=result.circuits, shots=result.circuits * self.pricing_for(get_device(result.device)).billed_shots(job.shots),
                queue_wait_s=result.queue_wait_s, price_usd=result.price_usd,
                qpu_seconds=result.qpu_seconds, wall_s=result.wall_s,
            )  # fmt: skip
        if self.ledger is None:
            return
        trust, t, step, n = self.trust.value, result.submitted_at, job.step, job.num_samples
        rec = self.ledger.record
        if job.submitter == Party.CO_TENANT:
            rec(step, Asset.PROBE_CIRCUIT, "bound circuit", job.submitter, PARTY, trust, time=t,
                count=n)  # fmt: skip
        else:
            for asset in (Asset.ENCODING_CIRCUIT, Asset.PQC_ARCHITECTURE):
                rec(step, asset, "parameterised circuit", job.submitter, PARTY, trust, time=t)
            rec(step, Asset.BOUND_PARAMETERS, "angles in bound circuit", job.submitter, PARTY,
                trust, time=t, count=n)  # fmt: skip
        if result.transpile is not None and result.device != "ideal":
            # (3) transpile and map: the provider's transpiler hands the native-gate
            # circuit for the allocated device to the execution queue
            rec("transpile", Asset.LOGICAL_CIRCUIT, "parameterised circuit", PARTY,
                Party.TRANSPILER, trust, time=t)  # fmt: skip
            rec("transpile", Asset.TRANSPILED_CIRCUIT, f"native-gate circuit for {result.device}",
                Party.TRANSPILER, PARTY, trust, time=t)  # fmt: skip
        form = "expectation values" if job.shots is None else "counts"
        if result.primitive:  # the real interface that executed the job
            p = result.primitive
            form += f" via {p['primitive']} ({p['execution']}, backend {p['backend']})"
        rec(step, Asset.MEASUREMENT_RESULTS, form, PARTY, job.submitter, job.submitter_trust,
            time=result.finished_at, count=n)  # fmt: skip
        self._record_hooks(job, result)

    def _record_hooks(self, job: QuantumJob, result: JobResult) -> None:
        """What the attacker's hooks saw of and did to ``job`` (its footprint)."""
        assert self.ledger is not None
        hooks = [h for h in self.hooks if not getattr(h, "harness", False)]
        caps = set().union(*(hook_capabilities(h) for h in hooks)) if hooks else set()
        t, n, rec = result.submitted_at, job.num_samples, self.ledger.record
        if caps & {"on_submit", "on_result"}:
            for asset, form in ((Asset.LOGICAL_CIRCUIT, "observed by provider hook"),
                                (Asset.BOUND_PARAMETERS, "observed by provider hook")):  # fmt: skip
                rec("observe", asset, form, PARTY, Party.ATTACKER, "malicious", time=t, count=n)
        if "on_result" in caps:
            rec("observe", Asset.MEASUREMENT_RESULTS, "observed by provider hook", PARTY,
                Party.ATTACKER, "malicious", time=result.finished_at, count=n)  # fmt: skip
        tampered = {
            "allocate": (Asset.TRANSPILED_CIRCUIT, "re-allocated to another device"),
            "transform_circuit": (Asset.LOGICAL_CIRCUIT, "modified before execution"),
            "transform_result": (Asset.MEASUREMENT_RESULTS, "modified before hand-back"),
        }
        for what in (w for w in dict.fromkeys(result.tampered) if w in caps):
            asset, form = tampered[what]
            rec("tamper", asset, form, Party.ATTACKER, PARTY, self.trust.value, time=t, count=n)
        if "delay" in caps and result.delay_s > 0:
            rec("tamper", Asset.MEASUREMENT_RESULTS, "delayed", Party.ATTACKER, PARTY,
                self.trust.value, time=t, count=n)  # fmt: skip
        if "co_schedule" in caps and result.co_jobs:
            rec("tamper", Asset.CO_SCHEDULED_CIRCUIT, "co-scheduled beside the job",
                Party.ATTACKER, PARTY, self.trust.value, time=t)  # fmt: skip
