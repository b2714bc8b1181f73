"""Plan an assessment: attacker profiles -> kill-chain paths -> runnable stages.

For each attacker profile the attack graph of the deployment gives the ranked minimal
paths to the profile's goals (:func:`~qmlsec.killchain.paths.find_paths`). Each step
of a path maps to runnable attacks: the technique's ``implemented_by`` intersected with
the attack registry and the config's include/exclude lists. A step without
``implemented_by`` is an access step the deployment itself grants (``granted``); a step
whose attacks are not registered yet is ``not_implemented`` and later steps assume its
facts; as attacks are registered they are planned automatically.

Example:
    >>> from qmlsec.campaigns.assess_config import AssessConfig
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> from qmlsec.killchain.system import SystemModel
    >>> plans = plan_paths(AssessConfig(), SystemModel.default(), load_catalog())
    >>> p = next(p for p in plans if p.profile.id == "malicious-api-user"
    ...          and "QML.T0011.002" in p.path.technique_ids)
    >>> [(s.technique_id, s.status) for s in p.stages]
    [('QML.T0009', 'granted'), ('QML.T0025', 'runnable'), ('QML.T0011.002', 'runnable')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qmlsec.attacks.registry import available_attacks
from qmlsec.campaigns.assess_config import AssessConfig
from qmlsec.killchain.catalog import Catalog
from qmlsec.killchain.graph import AttackGraph
from qmlsec.killchain.paths import AttackPath, find_paths
from qmlsec.killchain.schema import Profile
from qmlsec.killchain.system import SystemModel


@dataclass(frozen=True)
class PlannedStage:
    """One step of a path and the attacks that execute it."""

    technique_id: str
    name: str
    tactic: str
    status: str
    """``granted``, ``runnable``, ``not_implemented`` or ``excluded``."""
    attacks: tuple[str, ...]
    implemented_by: tuple[str, ...]
    provides: tuple[str, ...]


@dataclass(frozen=True)
class PlannedPath:
    """A path of one profile with its planned stages."""

    profile: Profile
    path: AttackPath
    stages: tuple[PlannedStage, ...]
    selected_for: str | None = None
    """The defense this path was added to measure (see
    :func:`~qmlsec.campaigns.defended.coverage_paths`); None for a ranked path."""

    @property
    def key(self) -> str:
        """Profile and path key."""
        return f"{self.profile.id}/{self.path.key}"


def profiles_for(config: AssessConfig, catalog: Catalog) -> list[Profile]:
    """The knowledge-base profiles the config names (all by default) plus its own."""
    ids = config.profiles or tuple(p.id for p in catalog.profiles)
    return [catalog.profile(i) for i in ids] + [p.to_profile() for p in config.extra_profiles]


def plan_stage(config: AssessConfig, catalog: Catalog, step: Any) -> PlannedStage:
    """Map one path step to runnable attacks."""
    technique = catalog.technique(step.technique_id)
    impl = tuple(technique.implemented_by)
    registered = [a for a in impl if a in available_attacks()]
    wanted = tuple(a for a in registered if config.wants(a))
    if not impl:
        status = "granted"
    elif wanted:
        status = "runnable"
    elif registered:
        status = "excluded"
    else:
        status = "not_implemented"
    return PlannedStage(step.technique_id, step.name, step.tactic, status, wanted, impl,
                        tuple(step.provides))  # fmt: skip


def plan_paths(
    config: AssessConfig, system: SystemModel, catalog: Catalog, max_paths: int | None = None
) -> list[PlannedPath]:
    """Every planned path of every profile, in profile then rank order.

    ``max_paths``: paths per goal (default ``config.max_paths``).
    """
    plans = []
    for profile in profiles_for(config, catalog):
        graph = AttackGraph(catalog, system, profile)
        for path in find_paths(graph, max_paths=max_paths or config.max_paths):
            stages = tuple(plan_stage(config, catalog, s) for s in path.steps)
            plans.append(PlannedPath(profile, path, stages))
    return plans


def planned_attacks(plans: list[PlannedPath]) -> set[str]:
    """The attacks the runnable stages of ``plans`` execute."""
    return {a for p in plans for s in p.stages if s.status == "runnable" for a in s.attacks}


def reachable(config: AssessConfig, system: SystemModel, catalog: Catalog) -> dict[str, list[str]]:
    """Profile ID -> techniques it can reach in this deployment."""
    return {
        p.id: AttackGraph(catalog, system, p).reachable_techniques()
        for p in profiles_for(config, catalog)
    }
