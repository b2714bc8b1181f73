"""Cloud providers: trust levels, hooks, the classical and the quantum cloud."""

from qmlsec.cloud.parties import TrustLevel
from qmlsec.cloud.providers.allocation import POLICIES, Policy, allocate, estimated_fidelity
from qmlsec.cloud.providers.classical import ClassicalCloud
from qmlsec.cloud.providers.hooks import (
    MODIFYING,
    OBSERVING,
    CircuitTransformHook,
    ProviderHook,
    check_hook,
    hook_capabilities,
)
from qmlsec.cloud.providers.jobs import JobResult, Placement, QuantumJob
from qmlsec.cloud.providers.quantum import QuantumCloud
from qmlsec.cloud.providers.queueing import DeviceQueue, LoadModel

__all__ = [
    "MODIFYING",
    "OBSERVING",
    "POLICIES",
    "CircuitTransformHook",
    "ClassicalCloud",
    "DeviceQueue",
    "JobResult",
    "LoadModel",
    "Placement",
    "Policy",
    "ProviderHook",
    "QuantumCloud",
    "QuantumJob",
    "TrustLevel",
    "allocate",
    "check_hook",
    "estimated_fidelity",
    "hook_capabilities",
]
