"""Re-run executed stages with the defenses the knowledge base links to their technique.

For a stage run of technique T, the candidate defenses are the ``implemented_by`` of
every mitigation acting on T (or on T's parent technique), intersected with the defense
registry and the config's include/exclude lists and skipped roles, and kept only if the
defense declares
no ``counters`` or lists the attack. Its params are its ``check_params`` (the quick
settings every defense declares) under the config's. Each runs through the defense's own API
(:meth:`~qmlsec.defenses.base.Defense.defended_run` on the stage's setup, with the same
seed and the same upstream outputs), and :func:`qmlsec.defenses.evaluate.compare` sets
the result beside the undefended run. Each re-run has the same wall-time limit as the
attack runs (status ``timed_out`` past it, see :mod:`qmlsec.campaigns.chain`).
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from qmlsec.campaigns.assess_config import AssessConfig, DefenseSettings
from qmlsec.campaigns.chain import PathExecutor, StageRun, deadline
from qmlsec.campaigns.planner import PlannedPath, plan_paths, planned_attacks
from qmlsec.defenses.evaluate import compare
from qmlsec.defenses.registry import get_defense
from qmlsec.exceptions import QmlsecError, TimeLimitExceeded
from qmlsec.killchain.catalog import Catalog
from qmlsec.killchain.system import SystemModel


def selected(name: str, settings: DefenseSettings) -> bool:
    """Whether the assessment's include / exclude / skipped roles keep defense ``name``."""
    from qmlsec.defenses.registry import available_defenses

    cls = available_defenses().get(name)
    if cls is None or name in settings.exclude or cls.role in settings.skip_roles:
        return False
    return not settings.include or name in settings.include


def linked_defenses(
    catalog: Catalog,
    technique_id: str,
    attack: str,
    settings: DefenseSettings,
    capped: bool = True,
) -> list[tuple[str, str]]:
    """``(defense name, mitigation ID)`` pairs for one attack run, at most ``max_per_attack``
    unless ``capped`` is false."""
    from qmlsec.defenses.registry import available_defenses

    registry = available_defenses()
    ids = [technique_id]
    parent = catalog.technique(technique_id).subtechnique_of
    if parent:
        ids.append(parent)
    found: list[tuple[str, str]] = []
    for tid in ids:
        for mitigation, _use, _effect in catalog.mitigations_for(tid):
            for name in mitigation.implemented_by:
                cls = registry.get(name)
                if cls is None or not selected(name, settings):
                    continue
                if cls.counters and attack not in cls.counters:
                    continue
                if name not in [f[0] for f in found]:
                    found.append((name, mitigation.id))
    return found[: settings.max_per_attack] if capped else found


def measurable_on(catalog: Catalog, settings: DefenseSettings) -> dict[str, set[str]]:
    """Selected defense -> the attacks a defended re-run of it can use (those whose
    technique links it, as :func:`linked_defenses` decides)."""
    found: dict[str, set[str]] = {}
    for technique in catalog.techniques():
        for attack in technique.implemented_by:
            for name, _ in linked_defenses(catalog, technique.id, attack, settings, capped=False):
                found.setdefault(name, set()).add(attack)
    return found


def ran_ok(executors: list[PathExecutor]) -> set[str]:
    """The attacks with a successful stage run (one that defended re-runs can repeat)."""
    return {
        r.attack for ex in executors for r in ex.final_runs()
        if r.status == "ok" and r.setup is not None
    }  # fmt: skip


def coverage_paths(
    config: AssessConfig,
    system: SystemModel,
    catalog: Catalog,
    executors: list[PathExecutor],
    depth: int = 12,
) -> list[PlannedPath]:
    """Paths added so that every selected defense gets a defended re-run.

    A defense is measured by re-running a stage run of an attack linked to it. Where none
    of those attacks ran (on the ranked paths or the chains of ``executors``), the
    best-scoring path over every profile (up to ``depth`` paths per goal) that runs one of
    them is added, marked ``selected_for`` the defense. A defense that no derived path
    can reach stays unmeasured, and :func:`defense_coverage` says so.
    """
    settings = config.defenses
    if not (settings.enabled and settings.cover):
        return []
    ran = ran_ok(executors)
    missing = {n: a for n, a in sorted(measurable_on(catalog, settings).items()) if not a & ran}
    if not missing:
        return []
    candidates = sorted(plan_paths(config, system, catalog, max_paths=depth),
                        key=lambda p: -p.path.score)  # fmt: skip
    covered, added = set(ran), []
    for name, attacks in missing.items():
        if attacks & covered:
            continue
        for candidate in candidates:
            runs = planned_attacks([candidate])
            if runs & attacks:
                added.append(dataclasses.replace(candidate, selected_for=name))
                covered |= runs
                break
    return added


def defense_coverage(
    executors: list[PathExecutor],
    catalog: Catalog,
    settings: DefenseSettings,
    records: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Per registered defense: how many defended re-runs measured it, or why none did.

    The reason is derived, not written by hand: excluded by the settings, every re-run
    failed, crowded out by ``max_per_attack`` on the runs it could defend, or none of the
    attacks it counters ran successfully in this assessment (the attacks are named).
    """
    from qmlsec.defenses.registry import available_defenses

    runs = [r for ex in executors for r in ex.final_runs()]
    ok_attacks = sorted(ran_ok(executors))
    coverage = []
    for name, cls in sorted(available_defenses().items()):
        mine = [d for d in records if d["defense"] == name]
        measured = sum(d["status"] == "ok" for d in mine)
        row: dict[str, Any] = {
            "defense": name, "mitigation_id": cls.mitigation_id, "role": cls.role,
            "counters": list(cls.counters), "runs": len(mine), "measured": measured,
        }  # fmt: skip
        if measured:
            row["reason"] = None
        elif not settings.enabled:
            row["reason"] = "defended re-runs are disabled in this assessment"
        elif not selected(name, settings):
            row["reason"] = (
                "left out by the assessment's defense settings (include/exclude/skip_roles)"
            )
        elif mine:
            row["reason"] = f"every re-run failed: {mine[0].get('error') or mine[0]['status']}"
        else:
            crowded = sorted({
                r.attack for r in runs if r.status == "ok" and r.setup is not None
                and name in [n for n, _ in linked_defenses(catalog, r.technique_id, r.attack,
                                                           settings, capped=False)]
            })  # fmt: skip
            if crowded:
                row["reason"] = (
                    f"linked to {', '.join(crowded)}, but max_per_attack="
                    f"{settings.max_per_attack} kept other defenses first"
                )
            else:
                wanted = list(cls.counters) or ["(any attack of its mitigation's techniques)"]
                ran = [a for a in wanted if a in ok_attacks]
                row["reason"] = (
                    f"none of the attacks it counters ({', '.join(wanted)}) ran successfully in "
                    "this assessment"
                    + ("" if settings.cover else " (paths for uncovered defenses are off)")
                    if not ran
                    else f"{', '.join(ran)} ran, but no executed technique lists its mitigation"
                )
        coverage.append(row)
    return coverage


def defend_run(
    executor: PathExecutor, run: StageRun, defense: str, mitigation: str, settings: DefenseSettings
) -> dict[str, Any]:
    """Re-run one stage run with ``defense``; a JSON-ready comparison record."""
    start = time.perf_counter()
    record: dict[str, Any] = {
        "run_id": run.run_id, "attack": run.attack, "technique_id": run.technique_id,
        "defense": defense, "mitigation_id": mitigation, "seed": run.seed,
    }  # fmt: skip
    try:
        cls = get_defense(defense)
        params = {**dict(cls.check_params), **settings.params.get(defense, {})}
        instance = cls(params, seed=run.seed)
        facts = run.setup.ctx.facts.copy()
        without = run.setup.undefended  # the stage run's own outcome
        assert without is not None, "only runs that finished are re-run with a defense"
        fresh = executor.setup(run.attack, run.setup.target.position, facts, run.params)
        fresh = fresh.replace(undefended=without)
        with deadline(fresh, executor.config.run_time_limit_s):
            with_defense, cost = instance.defended_run(fresh, run.seed)
        evaluation = compare(instance, run.attack, without, with_defense, cost, seed=run.seed,
                             notes=list(with_defense.notes))  # fmt: skip
        data = evaluation.to_dict()
        data.pop("results", None)
        data["metrics_with"] = with_defense.to_dict()["metrics"]
        data["curves_with"] = with_defense.to_dict()["curves"]
        record.update(data, status="ok", error=None)
    except TimeLimitExceeded as err:
        record.update(status="timed_out", error=str(err))
    except QmlsecError as err:
        record.update(status="error", error=str(err))
    except Exception as err:  # a broken defense must not end the assessment
        record.update(status="error", error=f"{type(err).__name__}: {err}")
    record["seconds"] = time.perf_counter() - start
    return record


def defend_all(
    executors: PathExecutor | list[PathExecutor],
    catalog: Catalog,
    settings: DefenseSettings,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Defended re-runs of every successful stage run (the last point of each sweep).

    ``executors``: the path executor and the executors of the chains (a chain's stage is
    re-run on the chain's own deployment, in the state the chain left it; its record
    names the chain). Each run gets at most ``max_per_attack`` of its linked defenses,
    in the knowledge base's order with the defenses not yet re-run on an earlier run
    first, so a cap spreads over every defense the runs can measure.
    """
    if not settings.enabled:
        return []
    records = []
    measured: Counter[str] = Counter()
    for executor in executors if isinstance(executors, list) else [executors]:
        for run in executor.final_runs():
            if run.status != "ok" or run.setup is None:
                continue
            linked = linked_defenses(catalog, run.technique_id, run.attack, settings, capped=False)
            # the knowledge base's order, defenses not yet re-run first (a stable sort), so
            # max_per_attack spreads over every defense the runs can measure
            linked = sorted(linked, key=lambda d: measured[d[0]] > 0)[: settings.max_per_attack]
            for defense, mitigation in linked:
                measured[defense] += 1
                if progress is not None:
                    progress(f"{run.attack} + {defense}")
                record = defend_run(executor, run, defense, mitigation, settings)
                if executor.chain is not None:
                    record["chain"] = executor.chain
                records.append(record)
    return records
