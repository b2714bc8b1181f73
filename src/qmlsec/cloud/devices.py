"""Device catalog: fake IBM devices, generic topologies and the ideal engine.

Every fake device of :mod:`qiskit_ibm_runtime.fake_provider` that loads offline becomes
a frozen :class:`DeviceProfile` whose medians are computed from the backend's
:class:`~qiskit.transpiler.Target`. Qiskit's ``GenericBackendV2`` adds named topologies:
``generic_line_<n>``, ``generic_ring_<n>``, ``generic_grid_<r>x<c>`` and
``generic_heavyhex_<d>`` (odd code distance ``d``). ``"ideal"`` names the noiseless,
all-to-all engine.

Profiles are built once per process (the fake devices' JSON snapshots are parsed on
first use) and cached; noise models are never built here.

Example:
    >>> from qmlsec.cloud.devices import get_device
    >>> dev = get_device("fake_manila")
    >>> dev.num_qubits, dev.processor_family
    (5, 'Falcon')
    >>> 0 < dev.median_error_2q < 0.05
    True
    >>> get_device("generic_ring_4").coupling_map[:2]
    ((0, 1), (0, 3))
"""

from __future__ import annotations

import difflib
import functools
import inspect
import re
import warnings
from collections.abc import Callable

from qiskit.providers import BackendV2
from qiskit.transpiler import CouplingMap

from qmlsec.cloud.profile import DeviceKind, DeviceProfile, profile_from_backend
from qmlsec.exceptions import NotFoundError

__all__ = [
    "IDEAL_PROFILE",
    "DeviceKind",
    "DeviceProfile",
    "device_names",
    "generic_coupling_map",
    "get_device",
    "list_devices",
    "profile_from_backend",
]

IDEAL = "ideal"
IDEAL_MAX_QUBITS = 32
_GENERIC_RE = re.compile(r"^generic_(line|ring|grid|heavyhex)_(\d+)(?:x(\d+))?$")
GENERIC_DEFAULTS = (
    "generic_line_5",
    "generic_line_8",
    "generic_ring_8",
    "generic_grid_3x3",
    "generic_heavyhex_3",
)


@functools.cache
def _fake_classes() -> tuple[type[BackendV2], ...]:
    from qiskit_ibm_runtime import fake_provider
    from qiskit_ibm_runtime.fake_provider.fake_backend import FakeBackendV2

    return tuple(
        cls
        for name, cls in sorted(vars(fake_provider).items())
        if name.startswith("Fake")
        and inspect.isclass(cls)
        and issubclass(cls, FakeBackendV2)
        and cls is not FakeBackendV2
    )


@functools.cache
def _fake_profile(class_name: str) -> DeviceProfile | None:
    from qiskit_ibm_runtime import fake_provider

    cls = getattr(fake_provider, class_name)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            backend = cls()
            _ = backend.target
        family = str((backend.configuration().processor_type or {}).get("family", "unknown"))
        notes = tuple(sorted({str(w.message) for w in caught}))
        return profile_from_backend(backend, kind="fake", factory=cls, family=family, notes=notes)
    except Exception:  # a snapshot that cannot be loaded offline is skipped
        return None


@functools.cache
def _fake_profiles() -> dict[str, DeviceProfile]:
    profiles: dict[str, DeviceProfile] = {}
    for cls in _fake_classes():
        profile = _fake_profile(cls.__name__)
        if profile is not None:
            profiles.setdefault(profile.name, profile)
    return profiles


def _fake_by_name(name: str) -> DeviceProfile | None:
    """Load only the snapshot called ``name`` (class attribute ``backend_name``)."""
    for cls in _fake_classes():
        if getattr(cls, "backend_name", None) == name:
            return _fake_profile(cls.__name__)
    return None


def generic_coupling_map(topology: str, size: int, cols: int | None = None) -> CouplingMap:
    """The coupling map of a named generic topology.

    Example:
        >>> generic_coupling_map("grid", 2, 3).size()
        6
    """
    if topology == "line" and size >= 2:
        return CouplingMap.from_line(size)
    if topology == "ring" and size >= 3:
        return CouplingMap.from_ring(size)
    if topology == "grid" and size >= 1 and cols is not None and cols >= 1 and size * cols >= 2:
        return CouplingMap.from_grid(size, cols)
    if topology == "heavyhex" and size >= 1 and size % 2 == 1:
        return CouplingMap.from_heavy_hex(size)
    raise NotFoundError(
        f"invalid generic topology {topology!r} with size {size}",
        hint="use generic_line_<n>=2..>, generic_ring_<n>=3..>, generic_grid_<r>x<c>, generic_heavyhex_<odd d>",
    )


@functools.cache
def _generic_profile(name: str, seed: int) -> DeviceProfile:
    match = _GENERIC_RE.match(name)
    if match is None:
        raise NotFoundError(f"{name!r} is not a generic device name")
    topology, size, cols = match.group(1), int(match.group(2)), match.group(3)
    if (topology == "grid") != (cols is not None):
        raise NotFoundError(f"{name!r} is not a generic device name", hint="grid needs <r>x<c>")
    cmap = generic_coupling_map(topology, size, int(cols) if cols else None)

    def factory() -> BackendV2:
        from qiskit.providers.fake_provider import GenericBackendV2

        return GenericBackendV2(cmap.size(), coupling_map=cmap, seed=seed)

    backend = factory()
    backend.name = name
    return profile_from_backend(
        backend, kind="generic", factory=_named(factory, name), family="generic", seed=seed
    )


def _named(factory: Callable[[], BackendV2], name: str) -> Callable[[], BackendV2]:
    def build() -> BackendV2:
        backend = factory()
        backend.name = name
        return backend

    return build


IDEAL_PROFILE = DeviceProfile(
    name=IDEAL,
    kind="ideal",
    num_qubits=IDEAL_MAX_QUBITS,
    coupling_map=(),
    basis_gates=(),
    median_error_1q=0.0,
    median_error_2q=0.0,
    median_readout_error=0.0,
    median_t1=None,
    median_t2=None,
    processor_family="ideal",
)


@functools.cache
def fake_device_sizes() -> dict[str, int]:
    """Qubits of every fake snapshot by name, read from its configuration only.

    Much cheaper than :func:`list_devices` (which parses every calibration); a snapshot
    listed here may still fail to load offline, which :func:`get_device` reports.

    Example:
        >>> fake_device_sizes()["fake_guadalupe"]
        16
    """
    sizes: dict[str, int] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cls in _fake_classes():
            try:
                sizes.setdefault(str(cls.backend_name), int(cls().configuration().n_qubits))
            except Exception:  # a snapshot without its files is skipped
                continue
    return sizes


def list_devices(
    *, min_qubits: int = 0, kinds: tuple[DeviceKind, ...] = ("fake", "generic")
) -> list[DeviceProfile]:
    """All catalogued devices with at least ``min_qubits`` qubits, sorted by name.

    Example:
        >>> len(list_devices(kinds=("fake",))) >= 50
        True
    """
    found: list[DeviceProfile] = []
    if "fake" in kinds:
        found.extend(_fake_profiles().values())
    if "generic" in kinds:
        found.extend(_generic_profile(n, 0) for n in GENERIC_DEFAULTS)
    if "ideal" in kinds:
        found.append(IDEAL_PROFILE)
    return sorted((d for d in found if d.num_qubits >= min_qubits), key=lambda d: d.name)


def device_names() -> list[str]:
    """Names :func:`get_device` accepts without a pattern (catalog plus ``ideal``)."""
    return [d.name for d in list_devices(kinds=("fake", "generic", "ideal"))]


def get_device(name: str, *, seed: int = 0) -> DeviceProfile:
    """The profile called ``name``; ``seed`` only affects generic devices.

    Raises:
        NotFoundError: unknown name, with the closest catalogued names as a hint.

    Example:
        >>> get_device("ideal").is_ideal
        True
        >>> get_device("generic_grid_3x3").num_qubits
        9
    """
    key = name.strip().lower()
    if key == IDEAL:
        return IDEAL_PROFILE
    if key.startswith("generic_"):
        return _generic_profile(key, int(seed))
    for candidate in (key, f"fake_{key}"):
        profile = _fake_by_name(candidate)
        if profile is not None:
            return profile
    close = difflib.get_close_matches(key, device_names(), n=3, cutoff=0.5)
    raise NotFoundError(
        f"unknown device {name!r}",
        hint=(f"did you mean {', '.join(close)}? " if close else "")
        + "run `qmlsec devices` to list the catalog",
    )
