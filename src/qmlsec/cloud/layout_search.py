"""Noise-aware layout and routing: several seeded transpilations, the most reliable kept.

Qiskit's preset pass managers already score VF2 layouts by the calibration; this adds
what they leave out. Candidates are

- the preset pass manager at the requested level and seed (what ``preset`` runs),
- preset managers at levels 2 and 3 over several trial seeds (Sabre layout and
  routing trials; VF2 first, so a circuit that embeds is placed on the best qubits);
  the trial seeds are fixed (the job's seed drives the preset candidate), so each
  device's trial pass managers are built once per process
  (:func:`preset_pass_manager`), whatever seeds the clouds that transpile use,
- *compact* candidates: the circuit transpiled against the calibration of one connected
  region of exactly as many physical qubits as the circuit has (regions grown greedily
  along the lowest-error couplers), so routing uses no ancilla and the noisy simulation
  stays as small as the circuit,
- *ring* candidates, for circuits whose entangler is a CNOT ring: each block
  re-synthesised from nearest-neighbour CNOTs on a path of as many qubits
  (:mod:`qmlsec.cloud.ring_synthesis`), placed on the lowest-error paths of the device
  (:func:`paths`) and finished by the preset pass manager at level 3 on that path.

Each candidate is scored by its **estimated success probability** (ESP): the product of
``1 - error`` over every instruction of the transpiled circuit and over the readout of
the qubits that hold the logical qubits at the end, errors read from the device's
calibrated target. Among candidates with no more active qubits than ``max_active``
(the circuit's width plus ``ancillas``) the highest ESP wins; ties go to fewer two-qubit
gates, then to the candidate order above, so the choice is deterministic for a seed.

**Keeping the preset placement** (``margin``, the ``auto`` strategy of
:mod:`qmlsec.cloud.transpile`): the search's winner replaces the preset pass manager's
transpilation only where it measurably wins: an ESP at least ``1 + margin`` times the
preset's when the preset uses no ancilla, or, when the preset routes through ancilla
qubits (a larger noisy simulation), an ESP no lower than ``1 - margin`` times the
preset's. ESP is a first-order estimate (independent errors, no crosstalk or
idling), so differences of a few per cent between placements are not taken as wins.

Example:
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.cloud.devices import get_device
    >>> qc = QNNSpec(n_qubits=4, layers=1).build()
    >>> out = noise_aware_transpile(qc, get_device("fake_manila"), level=1, seed=0, trials=2)
    >>> 0 < out.esp <= 1, len(out.active) <= 4
    (True, True)
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any

import networkx as nx
from qiskit import QuantumCircuit
from qiskit.transpiler import PassManager, Target, generate_preset_pass_manager

from qmlsec.cloud.devices import DeviceProfile
from qmlsec.cloud.ring_synthesis import ring_on_path

_IGNORED = frozenset({"barrier", "delay"})
_SEED_STRIDE = 7919


@dataclass(frozen=True)
class Candidate:
    """One transpilation of a search.

    Attributes:
        circuit: the transpiled circuit on the whole device.
        initial, final: physical qubit of each logical qubit at the start and the end.
        active: physical qubits the circuit touches.
        esp: estimated success probability.
        two_qubit_gates: two-qubit instructions.
        label: how it was made (``preset``, ``level3#seed``, ``region[...]``).
    """

    circuit: QuantumCircuit
    initial: tuple[int, ...]
    final: tuple[int, ...]
    active: tuple[int, ...]
    esp: float
    two_qubit_gates: int
    label: str


def estimated_success(circuit: QuantumCircuit, target: Target, final: tuple[int, ...]) -> float:
    """ESP of ``circuit`` (physical qubits of ``target``) measured on ``final``.

    Instructions without a calibrated error (virtual RZ, barriers) count as exact.
    """
    esp = 1.0
    for inst in circuit.data:
        name = inst.operation.name
        if name in _IGNORED or name not in target.operation_names:
            continue
        qargs = tuple(circuit.find_bit(q).index for q in inst.qubits)
        props = target[name].get(qargs)
        if props is not None and props.error is not None:
            esp *= 1.0 - props.error
    if "measure" in target.operation_names:
        for q in final:
            props = target["measure"].get((q,))
            if props is not None and props.error is not None:
                esp *= 1.0 - props.error
    return esp


def _edge_error(target: Target, a: int, b: int) -> float:
    best = 1.0
    for name in target.operation_names:
        if target.operation_from_name(name).num_qubits != 2:
            continue
        for qargs in ((a, b), (b, a)):
            props = target[name].get(qargs)
            if props is not None and props.error is not None:
                best = min(best, props.error)
    return best


def regions(device: DeviceProfile, size: int, count: int = 4) -> list[tuple[int, ...]]:
    """Up to ``count`` connected sets of ``size`` physical qubits, the lowest-error first.

    Each is grown from one qubit by repeatedly adding the neighbour reached through the
    lowest-error coupler; a region's score is the sum of its couplers' errors plus its
    readout errors.
    """
    graph, readout = _error_graph(device)
    found: dict[tuple[int, ...], float] = {}
    for start in sorted(graph.nodes):
        region = [start]
        score = readout(start)
        while len(region) < size:
            frontier = [
                (graph[u][v]["error"], v, u) for u in region for v in graph[u] if v not in region
            ]
            if not frontier:
                break
            err, v, _ = min(frontier)
            region.append(v)
            score += err + readout(v)
        if len(region) == size:
            found.setdefault(tuple(sorted(region)), score)
    ranked = sorted(found.items(), key=lambda item: (item[1], item[0]))
    return [r for r, _ in ranked[:count]]


def paths(
    device: DeviceProfile, size: int, count: int = 4, beam: int = 2048
) -> list[tuple[int, ...]]:
    """Up to ``count`` simple paths of ``size`` physical qubits, the lowest-error first.

    A path is scored like :func:`regions`: its couplers' errors plus its readout errors;
    a path and its reverse count once. Paths grow one qubit at a time from every qubit,
    keeping the ``beam`` lowest-scoring partial paths at each length: exhaustive where
    there are fewer (heavy-hex qubits have at most 3 neighbours: 1,524 directed paths of
    8 qubits on the 127-qubit fake_brisbane, so an 8-qubit search is exhaustive there),
    bounded for long paths on large devices.
    """
    graph, readout = _error_graph(device)
    front: list[tuple[float, tuple[int, ...]]] = sorted((readout(q), (q,)) for q in graph.nodes)
    for _ in range(size - 1):
        grown: dict[tuple[int, ...], float] = {}
        for score, path in front:
            for v in graph[path[-1]]:
                if v not in path:
                    new = (*path, v)
                    grown[new] = score + graph[path[-1]][v]["error"] + readout(v)
        front = sorted((sc, p) for p, sc in grown.items())[:beam]
    found: dict[tuple[int, ...], float] = {}
    for score, path in front:
        found.setdefault(min(path, path[::-1]), score)
    ranked = sorted(found.items(), key=lambda item: (item[1], item[0]))
    return [p for p, _ in ranked[:count]]


def _error_graph(device: DeviceProfile) -> tuple[nx.Graph, Any]:
    """The coupling graph with each coupler's lowest two-qubit error, and readout errors."""
    target = device.backend.target
    graph = nx.Graph()
    for a, b in device.coupling_map:
        if a != b:
            w = _edge_error(target, a, b)
            if not graph.has_edge(a, b) or w < graph[a][b]["error"]:
                graph.add_edge(a, b, error=w)

    def readout(q: int) -> float:
        props = target["measure"].get((q,)) if "measure" in target.operation_names else None
        return props.error if props is not None and props.error is not None else 0.0

    return graph, readout


class _PassManagers(threading.local):
    """Preset pass managers per backend and settings, kept per thread.

    Building one costs milliseconds (plugin discovery, pass construction) and a layout
    search builds a dozen per circuit; a seeded pass manager gives the same output on
    every run, so it is built once. Per thread: a pass stores run state on itself.
    """

    def __init__(self) -> None:
        self.by_backend: weakref.WeakKeyDictionary[Any, dict[tuple, PassManager]] = (
            weakref.WeakKeyDictionary()
        )


_PMS = _PassManagers()


def preset_pass_manager(
    device: DeviceProfile,
    level: int,
    seed: int,
    *,
    region: tuple[int, ...] | None = None,
    initial_layout: list[int] | None = None,
    scheduling_method: str | None = None,
) -> PassManager:
    """Qiskit's preset pass manager for ``device`` (or its sub-target ``region``), cached.

    Example:
        >>> from qmlsec.cloud.devices import get_device
        >>> dev = get_device("fake_manila")
        >>> preset_pass_manager(dev, 1, 0) is preset_pass_manager(dev, 1, 0)
        True
    """
    layout = tuple(initial_layout) if initial_layout is not None else None
    key = (level, seed, region, layout, scheduling_method)
    cache = _PMS.by_backend.setdefault(device.backend, {})
    if key not in cache:
        where: dict[str, Any] = (
            {"target": _sub_target(device.backend.target, region)}
            if region is not None
            else {"backend": device.backend}
        )
        cache[key] = generate_preset_pass_manager(
            optimization_level=level, seed_transpiler=seed, initial_layout=initial_layout,
            scheduling_method=scheduling_method, **where,
        )  # fmt: skip
    return cache[key]


def _sub_target(target: Target, region: tuple[int, ...]) -> Target:
    """The calibration of ``region`` as a target on qubits ``0..len(region)-1``."""
    index = {q: i for i, q in enumerate(region)}
    qprops = [target.qubit_properties[q] for q in region] if target.qubit_properties else None
    sub = Target(num_qubits=len(region), dt=target.dt, qubit_properties=qprops)
    for name in target.operation_names:
        op = target.operation_from_name(name)
        if isinstance(op, type):  # variadic control flow
            continue
        props = target[name]
        mapped = {
            tuple(index[q] for q in qargs): p
            for qargs, p in props.items()
            if qargs is not None and set(qargs) <= index.keys()
        }
        if mapped:
            sub.add_instruction(op, mapped, name=name)
    return sub


def _layouts(out: QuantumCircuit, n: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    layout = out.layout
    if layout is None:
        ident = tuple(range(n))
        return ident, ident
    initial = tuple(int(q) for q in layout.initial_index_layout(filter_ancillas=True)[:n])
    final = tuple(int(q) for q in layout.final_index_layout(filter_ancillas=True)[:n])
    return initial, final


def _active(out: QuantumCircuit, final: tuple[int, ...]) -> tuple[int, ...]:
    used = {
        out.find_bit(q).index
        for inst in out.data
        if inst.operation.name not in _IGNORED
        for q in inst.qubits
    }
    return tuple(sorted(used | set(final)))


def _candidate(
    out: QuantumCircuit,
    n: int,
    target: Target,
    label: str,
    region: tuple[int, ...] | None,
    wires: tuple[tuple[int, ...], tuple[int, ...]] | None = None,
) -> Candidate:
    """One search candidate; ``wires``: the logical qubits' initial and final wires where
    ``out`` was transpiled from a circuit on wires (a ring synthesis), not on them."""
    initial, final = _layouts(out, n)
    if wires is not None:
        initial = tuple(initial[w] for w in wires[0])
        final = tuple(final[w] for w in wires[1])
    if region is not None:  # lift the region's circuit onto the device's qubits
        full = QuantumCircuit(target.num_qubits, name=out.name, global_phase=out.global_phase)
        full.metadata = dict(out.metadata or {})
        full.compose(out, qubits=list(region), inplace=True, copy=False)
        initial = tuple(region[i] for i in initial)
        final = tuple(region[i] for i in final)
        out = full
    two_q = sum(
        1 for inst in out.data if len(inst.qubits) == 2 and inst.operation.name not in _IGNORED
    )
    return Candidate(
        out,
        initial,
        final,
        _active(out, final),
        estimated_success(out, target, final),
        two_q,
        label,
    )


def noise_aware_transpile(
    circuit: QuantumCircuit,
    device: DeviceProfile,
    *,
    level: int,
    seed: int,
    trials: int = 4,
    ancillas: int = 0,
    margin: float | None = None,
) -> Candidate:
    """The highest-ESP transpilation of ``circuit`` among the candidates (module docs).

    With ``margin`` the preset candidate (label ``preset``) is returned unless the winner
    beats it by that margin (see "Keeping the preset placement" above).
    """
    target = device.backend.target
    n = circuit.num_qubits
    cands: list[Candidate] = []

    def preset(lvl: int, s: int, label: str) -> None:
        pm = preset_pass_manager(device, lvl, s)
        cands.append(_candidate(pm.run(circuit), n, target, label, None))

    preset(level, seed, "preset")
    for lvl in (2, 3):
        for t in range(trials):
            s = _SEED_STRIDE * (t + 1)
            preset(lvl, s, f"level{lvl}#{s}")
    if n < target.num_qubits:
        for region in regions(device, n):
            pm = preset_pass_manager(device, 3, seed, region=region)
            cands.append(_candidate(pm.run(circuit), n, target, f"region{list(region)}", region))
        ring = ring_on_path(circuit)
        if ring is not None:
            for path in paths(device, n):
                pm = preset_pass_manager(
                    device, 3, seed, region=path, initial_layout=list(range(n))
                )
                cands.append(_candidate(pm.run(ring.circuit), n, target, f"ring{list(path)}", path,
                                        (ring.initial, ring.final)))  # fmt: skip
    max_active = n + ancillas
    fits = [c for c in cands if len(c.active) <= max_active] or cands
    order = {id(c): i for i, c in enumerate(cands)}
    best = max(fits, key=lambda c: (c.esp, -c.two_qubit_gates, -order[id(c)]))
    if margin is None:
        return best
    return best if measurably_better(best, cands[0], n, margin) else cands[0]


def measurably_better(candidate: Candidate, preset: Candidate, n: int, margin: float) -> bool:
    """Whether ``candidate`` replaces the ``preset`` transpilation of an ``n``-qubit circuit.

    Example:
        >>> def c(esp, active):
        ...     return Candidate(QuantumCircuit(1), (), (), tuple(range(active)), esp, 0, "x")
        >>> measurably_better(c(0.50, 8), c(0.40, 8), 8, 0.1)  # +25% ESP
        True
        >>> measurably_better(c(0.42, 8), c(0.40, 8), 8, 0.1)  # +5%: within the margin
        False
        >>> measurably_better(c(0.51, 8), c(0.55, 12), 8, 0.1)  # -7%, four qubits fewer
        True
    """
    if candidate is preset:
        return False
    if len(preset.active) > n:
        return candidate.esp >= preset.esp * (1.0 - margin)
    return candidate.esp >= preset.esp * (1.0 + margin)
