"""Minimal attack paths to goals, ranked by likelihood x impact.

A *path* is a minimal set of techniques whose execution, in kill-chain order, derives
a goal fact from the initial facts (minimal: no technique can be dropped). For every
fact the search keeps the best minimal technique sets that derive it (bottom-up fixed
point over the AND/OR graph: a technique combines one set per required fact, a fact
takes the union of the sets of the techniques providing it; supersets are pruned and
at most ``beam`` sets are kept per fact). The steps of a path are ordered by replaying
it: the next step is the enabled technique earliest in kill-chain order (ties by ID).

Scoring (documented, deterministic):

* step likelihood = base likelihood (explicit, else demonstrated 0.8 / feasible 0.5 /
  theoretical 0.3) x factor of each enabled mitigation (blocks 0, reduces 0.5,
  detects 0.8);
* path likelihood = product of its step likelihoods (attack-tree AND product);
* score = path likelihood x goal impact (1-5, from ``facts.yaml``).

Paths are ranked by score (descending), then fewer steps, then technique IDs. A cut at
``max_paths`` never drops a technique on a tie: a path scoring the same as the last one
kept is kept too when it uses a technique the kept paths do not (so a white-box evasion
path tied with two transfer-evasion paths is planned beside them).

Layers: every step carries its technique's ``quantum_layer``; a path's
:attr:`AttackPath.transitions` are its layers with repeats collapsed (``physical ->
privacy -> data-algorithm``). Cross-layer chains are longer, so they score lower than
the short single-layer paths to the same goal and fall below the cut; with
``cross_layer=True`` the search also keeps, per goal, the best path of every *set of
layers* the ranked paths do not already cover (and the beam keeps the best plan of each
layer set per fact, so such plans survive to the goal).

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> from qmlsec.killchain.graph import AttackGraph
    >>> from qmlsec.killchain.paths import find_paths
    >>> from qmlsec.killchain.system import SystemModel
    >>> kb = load_catalog()
    >>> g = AttackGraph(kb, SystemModel.default(), kb.profile("curious-api-user"))
    >>> best = find_paths(g, goals=["model_stolen"])[0]
    >>> [s.technique_id for s in best.steps], best.score
    (['QML.T0009', 'QML.T0025'], 3.2)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from qmlsec.killchain.graph import AttackGraph

Plan = frozenset[str]


@dataclass(frozen=True)
class PathStep:
    """One step of an attack path."""

    technique_id: str
    name: str
    tactic_id: str
    tactic: str
    likelihood: float
    requires: tuple[str, ...]
    provides: tuple[str, ...]
    layer: str = ""
    """The technique's ``quantum_layer`` (physical, data-algorithm, privacy, classical-infra)."""


@dataclass(frozen=True)
class AttackPath:
    """An ordered, minimal multi-stage attack reaching one goal."""

    goal: str
    attacker: str
    steps: tuple[PathStep, ...]
    likelihood: float
    impact: int
    score: float

    @property
    def technique_ids(self) -> tuple[str, ...]:
        """Technique IDs in step order."""
        return tuple(s.technique_id for s in self.steps)

    @property
    def layers(self) -> tuple[str, ...]:
        """The quantum layer of each step, in step order."""
        return tuple(s.layer for s in self.steps)

    @property
    def transitions(self) -> tuple[str, ...]:
        """The layers the path moves through, consecutive repeats collapsed."""
        out: list[str] = []
        for layer in self.layers:
            if not out or out[-1] != layer:
                out.append(layer)
        return tuple(out)

    @property
    def layer_path(self) -> str:
        """The transitions as one line, e.g. ``physical -> privacy -> data-algorithm``."""
        return " -> ".join(self.transitions)

    @property
    def key(self) -> str:
        """A stable identifier of the path (goal and sorted techniques)."""
        return self.goal + ":" + "+".join(sorted(self.technique_ids))

    def to_dict(self) -> dict[str, object]:
        """A JSON-serialisable mapping."""
        data = asdict(self)
        data["technique_ids"] = list(self.technique_ids)
        data["layers"] = list(self.layers)
        data["transitions"] = list(self.transitions)
        return data


def _prob(graph: AttackGraph, plan: Plan) -> float:
    return math.prod(graph.likelihood[t] for t in plan)


def _layer_set(graph: AttackGraph, plan: Plan) -> frozenset[str]:
    return frozenset(graph.techniques[t].quantum_layer for t in plan)


def _prune(
    graph: AttackGraph, plans: set[Plan], beam: int, diverse: bool = False, fact: str | None = None
) -> list[Plan]:
    ranked = sorted(plans, key=lambda p: (-_prob(graph, p), len(p), sorted(p)))
    kept: list[Plan] = []
    for plan in ranked:
        if not any(k <= plan for k in kept):
            kept.append(plan)
    if not diverse:
        return kept[:beam]
    out = kept[:beam]
    seen = {_layer_set(graph, p) for p in out}
    for plan in kept[beam:]:
        layers = _layer_set(graph, plan)
        if layers not in seen and (fact is None or _minimal(graph, plan, fact)):
            seen.add(layers)
            out.append(plan)
    return out


def _supports(graph: AttackGraph, beam: int, diverse: bool = False) -> dict[str, list[Plan]]:
    support: dict[str, list[Plan]] = {f: [frozenset()] for f in graph.initial_facts}
    for _ in range(len(graph.techniques) + 1):
        changed = False
        for tid, t in graph.techniques.items():
            choices = [support.get(f, []) for f in t.requires]
            if t.requires_any:
                choices.append(
                    _prune(
                        graph,
                        {p for f in t.requires_any for p in support.get(f, [])},
                        beam,
                        diverse,
                    )  # fmt: skip
                )
            if any(not c for c in choices):
                continue
            plans = {frozenset().union(*combo) | {tid} for combo in itertools.product(*choices)}
            for fact in t.provides:
                new = _prune(graph, set(support.get(fact, [])) | plans, beam, diverse, fact)
                if new != support.get(fact):
                    support[fact] = new
                    changed = True
        if not changed:
            break
    return support


def _order(graph: AttackGraph, plan: Plan) -> tuple[PathStep, ...]:
    kb = graph.catalog
    facts = set(graph.initial_facts)
    remaining = set(plan)
    steps: list[PathStep] = []
    last = 0
    while remaining:
        ready = [
            graph.techniques[t] for t in remaining if graph.enabled(graph.techniques[t], facts)
        ]
        indices = {t.id: sorted(kb.tactic_index(x) for x in kb.effective_tactics(t)) for t in ready}
        tech = min(
            ready,
            key=lambda t: (next((i for i in indices[t.id] if i >= last), indices[t.id][-1]), t.id),
        )
        idx = next((i for i in indices[tech.id] if i >= last), indices[tech.id][-1])
        last = idx
        tactic = kb.tactics[idx]
        steps.append(
            PathStep(
                technique_id=tech.id,
                name=tech.name,
                tactic_id=tactic.id,
                tactic=tactic.shortname,
                likelihood=round(graph.likelihood[tech.id], 6),
                requires=tuple(tech.requires) + tuple(tech.requires_any),
                provides=tuple(tech.provides),
                layer=tech.quantum_layer,
            )
        )
        facts.update(tech.provides)
        remaining.discard(tech.id)
    return tuple(steps)


def _derives(graph: AttackGraph, plan: Plan | set[str], fact: str) -> bool:
    """Whether executing the techniques of ``plan`` (in any workable order) derives ``fact``."""
    facts = set(graph.initial_facts)
    remaining = set(plan)
    progress = True
    while progress and fact not in facts:
        progress = False
        for tid in sorted(remaining):
            if graph.enabled(graph.techniques[tid], facts):
                facts.update(graph.techniques[tid].provides)
                remaining.discard(tid)
                progress = True
    return fact in facts


def _minimal(graph: AttackGraph, plan: Plan, fact: str) -> bool:
    """Whether no technique of ``plan`` can be dropped (the beam may have pruned the
    smaller plan that would otherwise have ruled a superset out)."""
    return all(not _derives(graph, plan - {t}, fact) for t in plan)


def _cut(
    graph: AttackGraph, plans: list[Plan], max_paths: int, diverse: bool = False
) -> list[Plan]:
    """The first ``max_paths`` plans plus tied ones that bring a technique not yet kept
    (with ``diverse``, plus the best plan of every layer set not yet kept)."""
    kept = list(plans[:max_paths])
    if not kept:
        return kept
    last = _prob(graph, kept[-1])
    covered = set().union(*kept)
    for plan in plans[max_paths:]:
        if math.isclose(_prob(graph, plan), last, rel_tol=1e-9) and not plan <= covered:
            kept.append(plan)
            covered |= plan
    if diverse:
        seen = {_layer_set(graph, p) for p in kept}
        for plan in plans:
            layers = _layer_set(graph, plan)
            if layers not in seen:
                seen.add(layers)
                kept.append(plan)
    return kept


def find_paths(
    graph: AttackGraph,
    goals: Sequence[str] | None = None,
    max_paths: int = 5,
    beam: int = 8,
    cross_layer: bool = False,
) -> list[AttackPath]:
    """The best minimal paths to each goal (the profile's goals by default).

    Returns ``max_paths`` paths per goal (more only where paths tie at the cut and bring
    techniques the others lack, or, with ``cross_layer``, where a path crosses a set of
    quantum layers the others do not), all goals together ranked by score.
    """
    wanted = list(goals) if goals else list(graph.profile.goals)
    support = _supports(graph, beam=max(beam, max_paths), diverse=cross_layer)
    paths: list[AttackPath] = []
    for goal_id in wanted:
        fact = graph.goal_fact(goal_id)
        impact = graph.catalog.goal(goal_id).impact
        plans = [p for p in support.get(fact, []) if _minimal(graph, p, fact)]
        for plan in _cut(graph, plans, max_paths, cross_layer):
            likelihood = _prob(graph, plan)
            paths.append(
                AttackPath(
                    goal=goal_id,
                    attacker=graph.profile.id,
                    steps=_order(graph, plan),
                    likelihood=round(likelihood, 6),
                    impact=impact,
                    score=round(likelihood * impact, 6),
                )
            )
    return sorted(paths, key=lambda p: (-p.score, len(p.steps), p.goal, p.technique_ids))
