"""Explicit provider hooks: the only way attacks act from inside a cloud.

Subclass :class:`ProviderHook` and override what you need. Observing methods
(``on_submit``, ``on_result``) need at least an honest-but-curious provider; modifying
methods (``allocate``, ``transform_circuit``, ``transform_result``, ``co_schedule``,
``delay``) need a malicious one. :func:`check_hook` enforces this when a hook is added.

Example:
    >>> class Spy(ProviderHook):
    ...     def on_submit(self, job): pass
    >>> sorted(hook_capabilities(Spy()))
    ['on_submit']
    >>> check_hook(Spy(), TrustLevel.HONEST_BUT_CURIOUS)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from qiskit import QuantumCircuit
from qiskit.transpiler import PassManager
from qiskit.transpiler.basepasses import BasePass

from qmlsec.cloud.devices import DeviceProfile
from qmlsec.cloud.parties import TrustLevel
from qmlsec.cloud.tenancy import CoJob
from qmlsec.exceptions import ConfigError

if TYPE_CHECKING:
    from qmlsec.cloud.providers.jobs import JobResult, Placement, QuantumJob

OBSERVING = ("on_submit", "on_result")
MODIFYING = ("allocate", "transform_circuit", "transform_result", "co_schedule", "delay")


class ProviderHook:
    """No-op base; every method is optional and called in the order listed.

    ``on_submit`` -> ``allocate`` -> ``transform_circuit`` -> ``co_schedule`` ->
    ``delay`` -> (execution) -> ``transform_result`` -> ``on_result``.

    What an attacker's hook observes or modifies is recorded in the cloud's exposure
    ledger (steps ``observe`` and ``tamper``, party ``attacker``). The testbed's own
    instrumentation (a run's deadline) sets ``harness = True``: it is neither recorded
    nor subject to the provider's trust level.
    """

    harness: ClassVar[bool] = False

    def on_submit(self, job: QuantumJob) -> None:
        """See the submitted job (circuit, parameter values, observables)."""

    def allocate(self, job: QuantumJob, device: DeviceProfile) -> DeviceProfile | str:
        """Return the device to actually use."""
        return device

    def transform_circuit(self, job: QuantumJob, circuit: QuantumCircuit) -> QuantumCircuit:
        """Return the logical circuit to execute instead."""
        return circuit

    def co_schedule(self, job: QuantumJob, placement: Placement) -> Sequence[CoJob]:
        """Jobs to run beside this one (e.g. on ``placement.neighbours``)."""
        return ()

    def delay(self, job: QuantumJob) -> float:
        """Extra simulated seconds before the job starts."""
        return 0.0

    def transform_result(self, job: QuantumJob, result: JobResult) -> JobResult:
        """Return the result to hand back instead."""
        return result

    def on_result(self, job: QuantumJob, result: JobResult) -> None:
        """See the result handed back."""


def hook_capabilities(hook: Any) -> frozenset[str]:
    """Hook methods ``hook`` really implements (overridden or duck-typed)."""
    found = set()
    for name in (*OBSERVING, *MODIFYING):
        method = getattr(type(hook), name, None)
        if callable(method) and method is not getattr(ProviderHook, name):
            found.add(name)
    return frozenset(found)


def check_hook(hook: Any, trust: TrustLevel, *, supplied: bool = False) -> None:
    """Raise ConfigError if a provider of ``trust`` may not carry ``hook``.

    ``supplied``: the hook is a compiler pass a third party supplied to the provider's
    transpiler (a supply-chain attacker); it may only transform circuits, and the
    provider's own trust does not limit it (the provider runs it unknowingly).
    """
    caps = hook_capabilities(hook)
    if getattr(hook, "harness", False) and not caps & set(MODIFYING):
        return
    if supplied:
        if not caps or caps - {"transform_circuit"}:
            raise ConfigError(
                f"a supplied compiler pass only transforms circuits; {type(hook).__name__} "
                f"implements {', '.join(sorted(caps)) or 'nothing'}",
                hint="a supply-chain attacker controls a transpiler pass, not the provider",
            )
        return
    if not caps:
        raise ConfigError(
            f"{type(hook).__name__} implements no hook method",
            hint=", ".join(OBSERVING + MODIFYING),
        )
    modifying = sorted(caps & set(MODIFYING))
    if modifying and not trust.may_modify:
        raise ConfigError(
            f"a {trust.value} provider cannot carry a hook that modifies ({', '.join(modifying)})",
            hint="set the provider's trust to 'malicious' to model an active insider",
        )
    if not trust.may_observe:
        raise ConfigError(
            "a trusted provider carries no hooks",
            hint="set trust to 'honest-but-curious' (observe) or 'malicious' (modify)",
        )


class CircuitTransformHook(ProviderHook):
    """Applies circuit transformers (callables or Qiskit passes) before execution.

    Example:
        >>> from qiskit.transpiler.passes import RemoveBarriers
        >>> hook = CircuitTransformHook([RemoveBarriers()])
        >>> qc = QuantumCircuit(1); _ = qc.barrier()
        >>> len(hook.transform_circuit(None, qc).data)
        0
    """

    def __init__(
        self, transformers: Sequence[Callable[[QuantumCircuit], QuantumCircuit] | BasePass]
    ) -> None:
        self.transformers = list(transformers)

    def transform_circuit(self, job: QuantumJob, circuit: QuantumCircuit) -> QuantumCircuit:
        """Apply every transformer in order (a Qiskit pass through a PassManager)."""
        for transformer in self.transformers:
            if isinstance(transformer, BasePass):
                circuit = PassManager([transformer]).run(circuit)
            else:
                circuit = transformer(circuit)
        return circuit
