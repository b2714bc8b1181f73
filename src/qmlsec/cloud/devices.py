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
import statistics
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from qiskit.providers import BackendV2
from qiskit.transpiler import CouplingMap, Target

from qmlsec.exceptions import NotFoundError

DeviceKind = Literal["fake", "generic", "ideal"]
IDEAL = "ideal"
IDEAL_MAX_QUBITS = 32
_NON_GATES = frozenset({"measure", "reset", "delay", "barrier"})
_CONTROL_FLOW = frozenset({"if_else", "for_loop", "while_loop", "switch_case", "box"})
_GENERIC_RE = re.compile(r"^generic_(line|ring|grid|heavyhex)_(\d+)(?:x(\d+))?$")
GENERIC_DEFAULTS = (
    "generic_line_5",
    "generic_line_8",
    "generic_ring_8",
    "generic_grid_3x3",
    "generic_heavyhex_3",
)


@dataclass(frozen=True)
class DeviceProfile:
    """A quantum device as the cloud sees it: topology, basis and calibration medians.

    Errors are probabilities, T1/T2 and durations are in seconds; ``None`` means the
    device does not report the quantity (e.g. no two-qubit gate on a 1-qubit device,
    or the ideal device). ``coupling_map`` is a directed edge list; an empty one means
    all-to-all. The qiskit backend is built lazily on first access of :attr:`backend`.

    Example:
        >>> from qmlsec.cloud.devices import get_device
        >>> get_device("fake_jakarta").backend.name
        'fake_jakarta'
    """

    name: str
    kind: DeviceKind
    num_qubits: int
    coupling_map: tuple[tuple[int, int], ...]
    basis_gates: tuple[str, ...]
    median_error_1q: float | None
    median_error_2q: float | None
    median_readout_error: float | None
    median_t1: float | None
    median_t2: float | None
    median_duration_1q: float | None = None
    median_duration_2q: float | None = None
    median_duration_readout: float | None = None
    processor_family: str = "unknown"
    seed: int | None = None
    notes: tuple[str, ...] = ()
    _factory: Callable[[], BackendV2] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def backend(self) -> BackendV2:
        """The qiskit ``BackendV2`` (built on first access, then cached)."""
        if self._factory is None:
            raise NotFoundError(
                f"device {self.name!r} has no qiskit backend",
                hint="the ideal device runs on a noiseless simulator; pick a fake_* or generic_* device",
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return self._factory()

    @property
    def is_ideal(self) -> bool:
        """True for the noiseless all-to-all device."""
        return self.kind == IDEAL

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (no backend object)."""
        return {
            "name": self.name,
            "kind": self.kind,
            "num_qubits": self.num_qubits,
            "num_edges": len(self.coupling_map),
            "basis_gates": list(self.basis_gates),
            "median_error_1q": self.median_error_1q,
            "median_error_2q": self.median_error_2q,
            "median_readout_error": self.median_readout_error,
            "median_t1": self.median_t1,
            "median_t2": self.median_t2,
            "median_duration_1q": self.median_duration_1q,
            "median_duration_2q": self.median_duration_2q,
            "median_duration_readout": self.median_duration_readout,
            "processor_family": self.processor_family,
            "seed": self.seed,
            "notes": list(self.notes),
        }


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def profile_from_backend(
    backend: BackendV2,
    *,
    kind: DeviceKind,
    factory: Callable[[], BackendV2],
    family: str = "unknown",
    seed: int | None = None,
    notes: tuple[str, ...] = (),
) -> DeviceProfile:
    """Summarise a backend's :class:`Target` into a :class:`DeviceProfile`.

    Example:
        >>> from qiskit_ibm_runtime.fake_provider import FakeManilaV2
        >>> p = profile_from_backend(FakeManilaV2(), kind="fake", factory=FakeManilaV2)
        >>> p.num_qubits
        5
    """
    target: Target = backend.target
    err1, err2, ro, dur1, dur2, dur_ro = [], [], [], [], [], []
    for name in target.operation_names:
        props = target[name]
        if not props or name in _NON_GATES and name != "measure":
            continue
        for qargs, prop in props.items():
            if prop is None or qargs is None:
                continue
            if name == "measure":
                if prop.error is not None:
                    ro.append(prop.error)
                if prop.duration:
                    dur_ro.append(prop.duration)
            elif len(qargs) == 1 and prop.error:  # virtual gates (rz, u1) have zero error
                err1.append(prop.error)
                if prop.duration:
                    dur1.append(prop.duration)
            elif len(qargs) == 2 and prop.error is not None:
                err2.append(prop.error)
                if prop.duration:
                    dur2.append(prop.duration)
    qprops = target.qubit_properties or []
    cmap = target.build_coupling_map()
    edges = tuple(sorted(tuple(e) for e in cmap.get_edges())) if cmap is not None else ()
    return DeviceProfile(
        name=backend.name,
        kind=kind,
        num_qubits=backend.num_qubits,
        coupling_map=edges,
        basis_gates=tuple(
            sorted(
                n
                for n in target.operation_names
                if n not in _NON_GATES and n not in _CONTROL_FLOW and not n.endswith("_2")
            )
        ),
        median_error_1q=_median(err1),
        median_error_2q=_median(err2),
        median_readout_error=_median(ro),
        median_t1=_median([q.t1 for q in qprops if q is not None and q.t1]),
        median_t2=_median([q.t2 for q in qprops if q is not None and q.t2]),
        median_duration_1q=_median(dur1),
        median_duration_2q=_median(dur2),
        median_duration_readout=_median(dur_ro),
        processor_family=family,
        seed=seed,
        notes=notes,
        _factory=factory,
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
def _fake_profile(cls: type[BackendV2]) -> DeviceProfile | None:
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
        profile = _fake_profile(cls)
        if profile is not None:
            profiles.setdefault(profile.name, profile)
    return profiles


def _fake_by_name(name: str) -> DeviceProfile | None:
    """Load only the snapshot called ``name`` (class attribute ``backend_name``)."""
    for cls in _fake_classes():
        if getattr(cls, "backend_name", None) == name:
            return _fake_profile(cls)
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
