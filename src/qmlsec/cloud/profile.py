"""A device as the cloud sees it, summarised from a qiskit backend's Target.

Example:
    >>> from qiskit_ibm_runtime.fake_provider import FakeManilaV2
    >>> p = profile_from_backend(FakeManilaV2(), kind="fake", factory=FakeManilaV2)
    >>> p.num_qubits, p.basis_gates
    (5, ('cx', 'id', 'rz', 'sx', 'x'))
"""

from __future__ import annotations

import functools
import statistics
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from qiskit.providers import BackendV2
from qiskit.transpiler import Target

from qmlsec.exceptions import NotFoundError

DeviceKind = Literal["fake", "generic", "ideal"]
_NON_GATES = frozenset({"measure", "reset", "delay", "barrier"})
_CONTROL_FLOW = frozenset({"if_else", "for_loop", "while_loop", "switch_case", "box"})


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
        return self.kind == "ideal"

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
