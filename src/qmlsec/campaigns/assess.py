"""``qmlsec assess``: train the victim, derive the kill chain, execute it, defend it.

Steps (each reported to ``progress(step, done, total, detail)``):

1. train the victim through the QMLaaS pipeline and fine-tune it on the device
   (:func:`~qmlsec.campaigns.victim.train_victim`);
2. build the deployment model from its exposure ledger
   (:meth:`~qmlsec.killchain.system.SystemModel.from_ledger_entries`);
3. derive every attacker profile's kill-chain paths and plan the runnable stages
   (:mod:`qmlsec.campaigns.planner`), from what the registries hold at run time;
4. execute every path stage by stage (:mod:`qmlsec.campaigns.chain`), each run within
   ``run_time_limit_s``;
5. add, for every defense none of whose attacks ran yet, the best path that runs one
   (:func:`~qmlsec.campaigns.defended.coverage_paths`), then re-run each executed stage
   with its linked defenses (:mod:`qmlsec.campaigns.defended`);
6. measure the victim's accuracy against device noise.

The result is one JSON-ready mapping; :func:`qmlsec.report.build.write_report` turns it
into report.json, report.md, index.html and the threat-intelligence exports.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from qmlsec import __version__
from qmlsec.attacks.registry import available_attacks
from qmlsec.campaigns.assess_config import AssessConfig
from qmlsec.campaigns.chain import PathExecutor
from qmlsec.campaigns.chains import run_chains
from qmlsec.campaigns.defended import coverage_paths, defend_all, defense_coverage
from qmlsec.campaigns.measures import accuracy_vs_noise, measured_impact
from qmlsec.campaigns.planner import plan_paths, profiles_for, reachable
from qmlsec.campaigns.victim import Victim, train_victim, victim_from_deployment
from qmlsec.cloud.deployment import Deployment
from qmlsec.defenses.registry import available_defenses
from qmlsec.killchain.catalog import Catalog, load_catalog
from qmlsec.killchain.system import SystemModel

Progress = Callable[[str, int, int, str], None]
STEPS = ("victim", "threat model", "attacks", "defenses", "noise")


def deployment(victim: Victim, config: AssessConfig) -> SystemModel:
    """The system model read from the victim deployment's exposure ledger and settings."""
    d = victim.deployment
    flags = {
        "model.n_qubits": victim.spec.qubits,
        # the deployed circuit's encoding family ("imported" for a user's own circuit)
        "model.encoding": str(getattr(victim.model.model_.spec, "encoding", "imported")),
        # exact answers (no endpoint shots): the system model's default budget per query
        "api.shots_per_query": config.endpoint_shots or 1024,
        "transpiler.host": d.spec.transpiler_host,
    }
    return SystemModel.from_ledger_entries(d.ledger.typed(), flags)


def technique_table(
    catalog: Catalog, runs: list[dict[str, Any]], reach: dict[str, list[str]], clean: float
) -> list[dict[str, Any]]:
    """One row per technique: reachability, implementation and measured impact."""
    registry = available_attacks()
    rows = []
    for t in catalog.all_techniques():
        mine = [r for r in runs if r["technique_id"] == t.id and r["status"] == "ok"]
        measured = [measured_impact(r["headline"], clean) for r in mine]
        impacts = [i for i in measured if i is not None]
        rows.append({
            "id": t.id, "name": t.name, "tactics": list(catalog.effective_tactics(t)),
            "implemented_by": list(t.implemented_by),
            "runnable": [a for a in t.implemented_by if a in registry],
            "reachable_by": sorted(p for p, techs in reach.items() if t.id in techs),
            "runs": [r["run_id"] for r in mine],
            "measured_impact": max(impacts) if impacts else None,
        })  # fmt: skip
    return rows


def assess(
    config: AssessConfig, progress: Progress | None = None, *, loaded: Deployment | None = None
) -> dict[str, Any]:
    """Run the whole assessment; return the JSON-ready assessment.

    With ``loaded`` (a saved deployment, e.g. an imported model) the victim is that
    deployment as it is (:func:`~qmlsec.campaigns.victim.victim_from_deployment`) instead
    of one trained from ``config.victim``.
    """
    started = time.perf_counter()
    timing: dict[str, float] = {}

    def tell(step: str, done: int, total: int, detail: str = "") -> None:
        if progress is not None:
            progress(step, done, total, detail)

    catalog = load_catalog()
    epochs = config.victim.epochs + config.victim.finetune_epochs
    tell("victim", 0, epochs, "training")
    t0 = time.perf_counter()
    done = iter(range(1, epochs + 1))
    if loaded is not None:
        victim = victim_from_deployment(loaded, config.victim.max_train)
    else:
        victim = train_victim(
            config.victim, config.seed,
            on_epoch=lambda row: tell("victim", next(done, epochs), epochs,
                                      f"loss {row.get('loss', float('nan')):.3f}"),
        )  # fmt: skip
    timing["victim_seconds"] = time.perf_counter() - t0
    ledger_before = victim.deployment.ledger.entries()
    system = deployment(victim, config)
    plans = plan_paths(config, system, catalog)
    reach = reachable(config, system, catalog)
    tell("threat model", 1, 1, f"{len(plans)} paths")

    t0 = time.perf_counter()
    planned_runs = sum(len(s.attacks) for p in plans for s in p.stages) or 1
    executor = PathExecutor(
        victim, config, progress=lambda d: tell("attacks", len(executor.runs), planned_runs, d)
    )
    paths = [executor.run_path(p) for p in plans]
    timing["attacks_seconds"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    chains: list[dict[str, Any]] = []
    chain_executors: list[PathExecutor] = []
    if config.chains:
        chains, chain_executors = run_chains(executor, catalog, quick=config.quick_applied,
                                             progress=lambda d: tell("chains", 0, 0, d))  # fmt: skip
    timing["chains_seconds"] = time.perf_counter() - t0

    # paths added so that every selected defense has an attack run to be re-run on
    t0 = time.perf_counter()
    extra = coverage_paths(config, system, catalog, [executor, *chain_executors])
    paths += [executor.run_path(p) for p in extra]
    timing["attacks_seconds"] += time.perf_counter() - t0
    runs = [r.to_dict() for r in executor.runs.values()]

    t0 = time.perf_counter()
    defenses = defend_all([executor, *chain_executors], catalog, config.defenses,
                          progress=lambda d: tell("defenses", 0, 0, d))  # fmt: skip
    coverage = defense_coverage([executor, *chain_executors], catalog, config.defenses, defenses)
    timing["defenses_seconds"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    tell("noise", 0, len(config.noise_scales), victim.spec.device)
    n = config.noise_samples
    noise = accuracy_vs_noise(victim.model, victim.x_test[:n], victim.y_test[:n],
                              device=victim.spec.device, scales=config.noise_scales,
                              shots=config.noise_shots, seed=config.seed)  # fmt: skip
    timing["noise_seconds"] = time.perf_counter() - t0
    timing["total_seconds"] = time.perf_counter() - started

    clean = victim.clean_accuracy
    return {
        "kind": "assessment",
        "qmlsec_version": __version__,
        "seed": config.seed,
        "quick": config.quick_applied,
        "config": config.model_dump(mode="json"),
        "victim": victim.summary(),
        "deployment": {
            "settings": victim.deployment.spec.model_dump(mode="json"),
            "system": system.model_dump(mode="json"),
            "ledger": ledger_before,
            "attack_footprints": {
                a: victim.deployment.ledger.footprint(a) for a in victim.deployment.ledger.actors()
            },
            "cost": victim.deployment.cost.summary(),
            "pipeline": victim.pipeline,
        },
        "profiles": [
            {
                "id": p.id,
                "name": p.name,
                "positions": list(p.positions),
                "passive": p.passive,
                "goals": list(p.goals),
                "reachable_techniques": reach[p.id],
            }
            for p in profiles_for(config, catalog)
        ],  # fmt: skip
        "paths": paths,
        "chains": chains,
        "runs": runs,
        "defenses": defenses,
        "defense_coverage": coverage,
        "techniques": technique_table(catalog, runs, reach, clean),
        "noise": noise,
        "registry": {
            "attacks": sorted(available_attacks()),
            "defenses": sorted(available_defenses()),
        },  # fmt: skip
        "summary": {
            "clean_accuracy": clean,
            "paths": len(paths),
            "paths_executed": sum(bool(p["executed"]) for p in paths),
            "runs": len(runs),
            "runs_failed": sum(r["status"] != "ok" for r in runs),
            "runs_timed_out": sum(r["status"] == "timed_out" for r in runs),
            "defense_runs": len(defenses),
            "defense_runs_failed": sum(d["status"] != "ok" for d in defenses),
            "defense_runs_timed_out": sum(d["status"] == "timed_out" for d in defenses),
            "defenses_helped": sum(bool(d.get("helped")) for d in defenses),
            "max_measured_impact": float(
                np.nanmax(
                    [
                        r["measured_impact"]
                        for r in technique_table(catalog, runs, reach, clean)
                        if r["measured_impact"] is not None
                    ]
                    or [0.0]
                )
            ),
        },  # fmt: skip
        "timing": timing,
    }
