"""Run a compiled QNN's circuits on a quantum cloud: the bridge between model and provider.

A :class:`CloudExecutor` is the executor ``f(angles (N, G)) -> (N, n_obs)`` the gradient
methods call (:mod:`qmlsec.gradients`). Each call becomes one :class:`QuantumJob` of the
angle-parameterised circuit (:meth:`CompiledCircuit.expanded_circuit`), so the forward
pass and every shifted or perturbed gradient circuit is executed, priced, queued and
recorded by the provider like any other job. Its :attr:`CloudExecutor.shifted` sibling
submits the shifted or perturbed circuits of the backward pass (the gradient rules call
it), so those jobs are accounted as gradient circuits under the workflow's gradient
step.

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine import compile_circuit
    >>> from qmlsec.cloud.providers import QuantumCloud
    >>> spec = QNNSpec(n_qubits=2, layers=1)
    >>> cc = compile_circuit(spec.build(), spec.observables())
    >>> run = CloudExecutor(QuantumCloud(["ideal"]), cc, device="ideal", shots=None)
    >>> angles = cc.angles(torch.zeros(3, 2, dtype=torch.float64), torch.zeros(cc.n_weights))
    >>> torch.allclose(run(angles), cc.expectations_from_angles(angles))
    True
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
import torch

from qmlsec.cloud.providers.jobs import JobResult, QuantumJob
from qmlsec.config import derive_seed
from qmlsec.engine import CompiledCircuit


class CloudExecutor:
    """Executes angle batches of one compiled circuit on a quantum cloud.

    Args:
        cloud: the provider (:class:`~qmlsec.cloud.providers.QuantumCloud`).
        compiled: the compiled QNN circuit.
        device: requested device name.
        shots: shots per circuit, ``None`` for exact expectations.
        tenant: the tenant the jobs belong to.
        seed: job seeds derive from it and a running job counter.
        step: workflow step recorded with the jobs.
        purpose: what the jobs are for in the cost account (``forward``, ``gradient``,
            ``inference``...).
        submitter, submitter_trust: who hands the jobs over (a ledger party).
    """

    def __init__(
        self,
        cloud: Any,
        compiled: CompiledCircuit,
        *,
        device: str,
        shots: int | None,
        tenant: str = "victim",
        seed: int = 0,
        step: str = "execute",
        purpose: str = "forward",
        submitter: str = "classical_cloud",
        submitter_trust: str = "trusted",
    ) -> None:
        self.cloud = cloud
        self.compiled = compiled
        self.circuit = compiled.expanded_circuit()
        self.observables = tuple(compiled.observables)
        self.device = device
        self.shots = shots
        self.tenant = tenant
        self.seed = seed
        self.step = step
        self.submitter = submitter
        self.submitter_trust = submitter_trust
        self.purpose = purpose
        self.jobs = 0
        self.results: deque[JobResult] = deque(maxlen=64)
        self._shifted: CloudExecutor | None = None

    def __call__(self, angles: torch.Tensor) -> torch.Tensor:
        values = np.asarray(angles.detach().cpu(), dtype=np.float64)
        self.jobs += 1
        job = QuantumJob(
            tenant=self.tenant,
            circuit=self.circuit,
            parameter_values=values,
            observables=self.observables,
            shots=self.shots,
            requested_device=self.device,
            purpose=self.purpose,
            step=self.step,
            submitter=self.submitter,
            submitter_trust=self.submitter_trust,
            seed=derive_seed(self.seed, "job", self.jobs),
        )
        result = self.cloud.submit(job)
        self.results.append(result)
        return torch.as_tensor(np.asarray(result.expectations), dtype=angles.dtype)

    @property
    def shifted(self) -> CloudExecutor:
        """The executor of the backward pass's circuits (purpose and step ``gradient``)."""
        if self.purpose == "gradient":
            return self
        if self._shifted is None:
            self._shifted = CloudExecutor(
                self.cloud, self.compiled, device=self.device, shots=self.shots,
                tenant=self.tenant, seed=derive_seed(self.seed, "gradient"), step="gradient",
                purpose="gradient", submitter=self.submitter, submitter_trust=self.submitter_trust,
            )  # fmt: skip
        return self._shifted

    @property
    def last(self) -> JobResult | None:
        """The most recent job result."""
        return self.results[-1] if self.results else None
