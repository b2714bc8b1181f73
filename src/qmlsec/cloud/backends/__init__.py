"""Execution backends behind one protocol (:class:`Backend`)."""

from qmlsec.cloud.backends.aer import AerBackend
from qmlsec.cloud.backends.base import Backend, BackendProperties, BackendStats, ExecutionResult
from qmlsec.cloud.backends.device import DeviceBackend
from qmlsec.cloud.backends.factory import make_backend, register_backend

__all__ = [
    "AerBackend",
    "Backend",
    "BackendProperties",
    "BackendStats",
    "DeviceBackend",
    "ExecutionResult",
    "make_backend",
    "register_backend",
]
