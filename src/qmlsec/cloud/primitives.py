"""Real quantum-cloud interfaces: Qiskit V2 primitives that execute the provider's jobs.

A :class:`PrimitiveSettings` names how a :class:`~qmlsec.cloud.providers.QuantumCloud`
executes the circuits it has allocated, transpiled and queued:

==========================  ===============================================================
``builtin``                 qmlsec's own simulated backends (Aer with scaled calibration
                            noise, co-tenancy crosstalk); the default
``aer``                     ``qiskit_aer.primitives.SamplerV2`` / ``EstimatorV2`` with the
                            device's calibration noise model (exact expectations with
                            ``shots=None``)
``ibm-runtime-local``       ``qiskit_ibm_runtime.SamplerV2`` in local testing mode on the
                            device's fake backend (its own calibration snapshot), inside a
                            ``Session`` or ``Batch`` when ``execution`` asks for one
``ibm-runtime``             ``qiskit_ibm_runtime.SamplerV2`` on IBM Quantum hardware
                            (``remote_backend``, e.g. ``ibm_brisbane``) through the account
                            saved with ``QiskitRuntimeService.save_account``
``braket-local``            Amazon Braket's local simulator through ``qiskit-braket-provider``
                            (extra ``braket``) and Qiskit's ``BackendSamplerV2``
==========================  ===============================================================

:func:`open_runner` builds a :class:`PrimitiveRunner` for one device; it is the only
place that imports the optional SDKs, and a missing one is a
:class:`~qmlsec.exceptions.ConfigError` naming the extra to install. A runner submits
the PUBs of one provider job as one primitive job and returns the job's metadata
(primitive, mode, session id, job id, backend, shots), which the quantum cloud records
in its ledger and job results.

Only ``ibm-runtime`` touches the network (when its first job runs); every other kind is
local. The provider layer around the primitive (allocation, queues, pricing, hooks) stays
qmlsec's simulation: a provider-side attack acts on that layer, never on the real
provider.

Example:
    >>> from qmlsec.cloud.devices import get_device
    >>> runner = open_runner(PrimitiveSettings(name="aer"), get_device("fake_manila"))
    >>> runner.name, runner.exact
    ('aer', True)
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import Field

from qmlsec.cloud.devices import DeviceProfile
from qmlsec.config import FrozenModel
from qmlsec.exceptions import BackendError, ConfigError

PrimitiveName = Literal["builtin", "aer", "ibm-runtime-local", "ibm-runtime", "braket-local"]
PRIMITIVES: tuple[str, ...] = ("builtin", "aer", "ibm-runtime-local", "ibm-runtime", "braket-local")
Execution = Literal["job", "session", "batch"]
_SEED_MOD = 2**31 - 1


class PrimitiveSettings(FrozenModel):
    """How the quantum cloud executes its jobs (see the module docstring)."""

    name: PrimitiveName = "builtin"
    execution: Execution = "job"
    """``ibm-runtime*``: each provider job on its own (``job``), or every job of the cloud
    inside one ``Session`` (iterative training) or ``Batch``."""
    remote_backend: str | None = Field(default=None, min_length=1)
    """``ibm-runtime``: the IBM Quantum backend (e.g. ``ibm_brisbane``)."""
    instance: str | None = None
    """``ibm-runtime``: the IBM Cloud instance (CRN) of the saved account, if not its default."""

    @property
    def external(self) -> bool:
        """Whether jobs run through a primitive rather than qmlsec's own backends."""
        return self.name != "builtin"


def require(module: str, extra: str, what: str) -> Any:
    """Import ``module`` or raise a ConfigError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"the {what} primitive needs {module.split('.')[0]}, which is not installed",
            hint=f"pip install 'qmlsec[{extra}]'",
        ) from None


@contextlib.contextmanager
def _quiet_runtime() -> Iterator[None]:
    """Silence qiskit-ibm-runtime's deprecation of ``SamplerV2`` (>= 0.50, in favour of
    client-side primitives): the V2 classes are still the documented interface here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"qiskit_ibm_runtime")
        warnings.filterwarnings("ignore", message=r".*(SamplerV2|EstimatorV2) class is deprecated")
        yield


class PrimitiveRunner:
    """Submits PUBs to one kind of primitive for one device (see :func:`open_runner`).

    Attributes:
        name: the primitive kind.
        execution: ``job``, ``session`` or ``batch``.
        target: the ``BackendV2`` whose target the circuits are transpiled for (``None``:
            the device's own profile is used).
        exact: whether ``shots=None`` (exact expectations) is possible.
    """

    def __init__(self, settings: PrimitiveSettings, device: DeviceProfile, target: Any = None):
        self.name = settings.name
        self.execution: Execution = settings.execution
        self.settings = settings
        self.device = device
        self.target = target
        self.exact = settings.name == "aer"
        self.jobs = 0
        self._mode: Any = None

    # -- the primitive job ---------------------------------------------------------------
    def sample(
        self, pubs: list[Any], *, shots: int, seed: int, noise_model: Any = None
    ) -> tuple[Any, dict[str, Any]]:
        """Run sampler PUBs as one primitive job; return its result and metadata."""
        sampler = self._sampler(shots=shots, seed=seed, noise_model=noise_model)
        try:
            with _quiet_runtime():
                job = sampler.run(pubs, shots=shots)
                result = job.result()
        except (ValueError, TypeError, RuntimeError) as err:
            raise BackendError(
                f"the {self.name} sampler failed: {type(err).__name__}: {err}",
                hint="check the primitive's backend and the circuit",
            ) from None
        return result, self._metadata(job, shots)

    def estimate(
        self, pubs: list[Any], *, seed: int, noise_model: Any = None
    ) -> tuple[Any, dict[str, Any]]:
        """Exact expectation values (``aer`` only) as one primitive job."""
        if not self.exact:
            raise ConfigError(
                f"the {self.name} primitive samples; exact expectations need shots=None on aer",
                hint="set quantum.shots (e.g. 1024) or use --primitive aer",
            )
        from qiskit_aer.primitives import EstimatorV2

        method = "density_matrix" if noise_model is not None else "statevector"
        estimator = EstimatorV2(options={
            "default_precision": 0.0,
            "backend_options": {"noise_model": noise_model, "method": method},
            "run_options": {"seed_simulator": seed % _SEED_MOD},
        })  # fmt: skip
        job = estimator.run(pubs)
        return job.result(), self._metadata(job, None)

    def close(self) -> None:
        """Close the session or batch this runner opened (a no-op otherwise)."""
        if self._mode is not None and hasattr(self._mode, "close"):
            self._mode.close()
        self._mode = None

    # -- internals --------------------------------------------------------------------------
    def _sampler(self, *, shots: int, seed: int, noise_model: Any) -> Any:
        if self.name == "aer":
            from qiskit_aer.primitives import SamplerV2

            options = {"backend_options": {"noise_model": noise_model}} if noise_model else {}
            return SamplerV2(default_shots=shots, seed=seed % _SEED_MOD, options=options)
        if self.name == "braket-local":
            from qiskit.primitives import BackendSamplerV2

            return BackendSamplerV2(backend=self.target, options={"default_shots": shots})
        runtime = require("qiskit_ibm_runtime", "ibm", self.name)
        with _quiet_runtime():
            sampler = runtime.SamplerV2(mode=self._open_mode(runtime))
            sampler.options.default_shots = shots
            if self.name == "ibm-runtime-local":
                sampler.options.simulator.seed_simulator = seed % _SEED_MOD
        return sampler

    def _open_mode(self, runtime: Any) -> Any:
        if self.execution == "job":
            return self.target
        if self._mode is None:
            cls = runtime.Session if self.execution == "session" else runtime.Batch
            with _quiet_runtime():
                self._mode = cls(backend=self.target)
        return self._mode

    def _metadata(self, job: Any, shots: int | None) -> dict[str, Any]:
        self.jobs += 1
        job_id = job.job_id() if callable(getattr(job, "job_id", None)) else None
        session = getattr(self._mode, "session_id", None)
        return {
            "primitive": self.name,
            "execution": self.execution,
            "session_id": session if session is not None else (
                "local" if self._mode is not None else None),
            "job_id": str(job_id) if job_id is not None else None,
            "backend": getattr(self.target, "name", None) or self.device.name,
            "shots": shots,
            "local": self.name != "ibm-runtime",
        }  # fmt: skip


def open_runner(settings: PrimitiveSettings, device: DeviceProfile) -> PrimitiveRunner:
    """The runner executing ``device``'s jobs through the primitive ``settings`` names.

    Raises:
        ConfigError: ``builtin`` (no primitive), a missing optional SDK (the message
            names the extra), ``ibm-runtime`` without ``remote_backend``.
        BackendError: no saved IBM Quantum account, or the backend is unknown to it.
    """
    name = settings.name
    if name == "builtin":
        raise ConfigError("the builtin backends are no primitive", hint="use make_backend()")
    if name == "aer":  # qiskit-aer is a core dependency
        return PrimitiveRunner(settings, device)
    if name == "braket-local":
        braket = require("qiskit_braket_provider", "braket", "braket-local")
        return PrimitiveRunner(settings, device, braket.BraketLocalBackend())
    runtime = require("qiskit_ibm_runtime", "ibm", name)
    if name == "ibm-runtime-local":
        if device.is_ideal:
            from qiskit_aer import AerSimulator

            return PrimitiveRunner(settings, device, AerSimulator())
        return PrimitiveRunner(settings, device, device.backend)
    if not settings.remote_backend:
        raise ConfigError(
            "the ibm-runtime primitive needs the IBM backend to run on",
            hint="pass --backend ibm_<name> (e.g. ibm_brisbane)",
        )
    try:
        service = runtime.QiskitRuntimeService(instance=settings.instance)
        backend = service.backend(settings.remote_backend)
    except Exception as err:  # the SDK raises its own account and network errors
        raise BackendError(
            f"cannot open IBM Quantum backend {settings.remote_backend!r}: "
            f"{type(err).__name__}: {err}",
            hint="save an account first: QiskitRuntimeService.save_account(token=..., "
            "instance=...); see docs/cloud-interfaces.md",
        ) from None
    return PrimitiveRunner(settings, device, backend)
