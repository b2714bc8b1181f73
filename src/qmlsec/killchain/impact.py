"""What each mitigation removes: paths, reachable techniques, goals and risk.

For every mitigation not already enabled, the attack graph is rebuilt with it enabled
and the paths recomputed; the difference to the baseline is reported. ``risk`` is the
sum over the requested goals of the best path score (0 for an unreachable goal).

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> from qmlsec.killchain.impact import mitigation_effects
    >>> from qmlsec.killchain.system import SystemModel
    >>> kb = load_catalog()
    >>> effects = mitigation_effects(kb, SystemModel.default(), kb.profile("malicious-co-tenant"))
    >>> top = effects[0]
    >>> top.mitigation_id, top.goals_lost
    ('QML.M0018', ('availability_lost', 'integrity_lost', 'training_data_exposed'))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from qmlsec.killchain.catalog import Catalog
from qmlsec.killchain.graph import AttackGraph
from qmlsec.killchain.paths import AttackPath, find_paths
from qmlsec.killchain.schema import Profile
from qmlsec.killchain.system import SystemModel


@dataclass(frozen=True)
class MitigationEffect:
    """The change one more mitigation makes for one attacker and system."""

    mitigation_id: str
    name: str
    removed_techniques: tuple[str, ...]
    weakened_techniques: tuple[str, ...]
    removed_paths: tuple[str, ...]
    goals_lost: tuple[str, ...]
    risk_before: float
    risk_after: float

    @property
    def risk_reduction(self) -> float:
        """``risk_before - risk_after``."""
        return round(self.risk_before - self.risk_after, 6)

    def to_dict(self) -> dict[str, object]:
        """A JSON-serialisable mapping."""
        data = asdict(self)
        data["risk_reduction"] = self.risk_reduction
        return data


def risk(paths: Sequence[AttackPath], goals: Iterable[str]) -> float:
    """Sum over ``goals`` of the best path score."""
    best = {g: 0.0 for g in goals}
    for p in paths:
        best[p.goal] = max(best.get(p.goal, 0.0), p.score)
    return round(sum(best.values()), 6)


def mitigation_effects(
    catalog: Catalog,
    system: SystemModel,
    profile: Profile,
    enabled: Iterable[str] = (),
    goals: Sequence[str] | None = None,
    max_paths: int = 5,
) -> list[MitigationEffect]:
    """Effects of each mitigation, largest risk reduction first (ties by ID)."""
    enabled = tuple(enabled)
    wanted = list(goals) if goals else list(profile.goals)
    base_graph = AttackGraph(catalog, system, profile, enabled)
    base_paths = find_paths(base_graph, wanted, max_paths=max_paths)
    base_reach = set(base_graph.reachable_techniques())
    base_goals = {p.goal for p in base_paths}
    base_risk = risk(base_paths, wanted)
    effects = []
    for m in catalog.mitigations:
        if m.id in enabled:
            continue
        graph = AttackGraph(catalog, system, profile, (*enabled, m.id))
        paths = find_paths(graph, wanted, max_paths=max_paths)
        reach = set(graph.reachable_techniques())
        linked = {u.id for u in m.techniques}
        effects.append(
            MitigationEffect(
                mitigation_id=m.id,
                name=m.name,
                removed_techniques=tuple(sorted(base_reach - reach)),
                weakened_techniques=tuple(sorted((reach & linked) & base_reach)),
                removed_paths=tuple(
                    sorted(
                        p.key for p in base_paths if any(t not in reach for t in p.technique_ids)
                    )
                ),
                goals_lost=tuple(sorted(base_goals - {p.goal for p in paths})),
                risk_before=base_risk,
                risk_after=risk(paths, wanted),
            )
        )
    return sorted(
        effects, key=lambda e: (-e.risk_reduction, -len(e.removed_paths), e.mitigation_id)
    )
