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

import time
from collections.abc import Callable
from typing import Any

from qmlsec.attacks.result import AttackResult
from qmlsec.campaigns.assess_config import DefenseSettings
from qmlsec.campaigns.chain import PathExecutor, StageRun, deadline
from qmlsec.defenses.evaluate import compare
from qmlsec.defenses.registry import get_defense
from qmlsec.exceptions import QmlsecError, TimeLimitExceeded
from qmlsec.killchain.catalog import Catalog


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
    ok_attacks = sorted({r.attack for r in runs if r.status == "ok" and r.setup is not None})
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
        fresh = executor.setup(run.attack, run.setup.target.position, facts, run.params)
        with deadline(fresh, executor.config.run_time_limit_s):
            with_defense, cost = instance.defended_run(fresh, run.seed)
        without = AttackResult(**{k: v for k, v in run.result.items()  # facts stay in memory
                                  if k in AttackResult.__dataclass_fields__ and k != "facts"})  # fmt: skip
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
    names the chain).
    """
    if not settings.enabled:
        return []
    records = []
    for executor in executors if isinstance(executors, list) else [executors]:
        for run in executor.final_runs():
            if run.status != "ok" or run.setup is None:
                continue
            for defense, mitigation in linked_defenses(catalog, run.technique_id, run.attack,
                                                       settings):  # fmt: skip
                if progress is not None:
                    progress(f"{run.attack} + {defense}")
                record = defend_run(executor, run, defense, mitigation, settings)
                if executor.chain is not None:
                    record["chain"] = executor.chain
                records.append(record)
    return records
