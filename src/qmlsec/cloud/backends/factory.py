"""Build a backend from a device name; a registry lets other engines plug in.

``"ideal"`` resolves to a noiseless :class:`AerBackend` until a faster engine registers
itself for the ``"ideal"`` kind (``register_backend("ideal", EngineBackend)``); fake and
generic devices resolve to :class:`DeviceBackend`.

Example:
    >>> make_backend("fake_manila", noise_scale=0.0).properties.device
    'fake_manila'
    >>> make_backend("ideal").properties.noise
    {'source': 'none'}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qmlsec.cloud.backends.aer import AerBackend
from qmlsec.cloud.backends.base import Backend
from qmlsec.cloud.backends.device import DeviceBackend
from qmlsec.cloud.devices import DeviceKind, DeviceProfile, get_device

BackendFactory = Callable[..., Backend]


def _ideal(device: DeviceProfile, **options: Any) -> Backend:
    options.pop("noise_scale", None)
    return AerBackend(device=device, **options)


def _device(device: DeviceProfile, **options: Any) -> Backend:
    return DeviceBackend(device, **options)


_REGISTRY: dict[str, BackendFactory] = {"ideal": _ideal, "fake": _device, "generic": _device}


def register_backend(kind: DeviceKind, factory: BackendFactory) -> None:
    """Make ``factory(device, **options)`` the backend for devices of ``kind``."""
    _REGISTRY[kind] = factory


def make_backend(device: DeviceProfile | str, **options: Any) -> Backend:
    """The registered backend for ``device`` (options: noise_scale, seed, method...)."""
    profile = get_device(device) if isinstance(device, str) else device
    return _REGISTRY[profile.kind](profile, **options)
