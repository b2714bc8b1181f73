"""Verdicts and the posture summary a report opens with, from the measured intervals.

:func:`annotate` adds to a report document, in place:

* on every run: its headline's ``n`` and ``ci`` (from the run's ``intervals`` where the
  headline lacks them), the measured ``impact`` with its interval, and the ``outcome``
  of :func:`qmlsec.campaigns.measures.outcome` (``achieved`` only when the interval
  clears the technique's threshold);
* on every path stage: ``outcome`` (``granted``, ``achieved``, ``inconclusive``, ``no
  effect``, ``failed`` or ``not run``) and on every path ``achieved`` (every stage
  granted or achieved) and its ``outcome``;
* on every kill chain (:func:`annotate_chains`): each stage's outcome and effect, the
  end-to-end effect, the oracle's, and the share of the oracle's effect achieved;
* on every technique row: ``impact_ci``, ``impact_n`` and ``outcome`` of its strongest run;
* ``posture``: the top risks ranked by likelihood x measured impact (with intervals),
  the defenses measured against each with their verdict and cost, the defenses that
  made an attack stronger, what is inconclusive and about how many samples would decide
  it, and the headline counts.

Example:
    >>> doc = {"kind": "campaign", "runs": [{"run_id": "r1", "attack": "evasion.fgsm",
    ...     "status": "ok", "metrics": {"clean_accuracy": 0.9}, "headline": {
    ...     "name": "adversarial_accuracy@0.1", "value": 0.2, "direction": -1, "n": 40,
    ...     "ci": [0.105, 0.348]}}]}
    >>> annotate(doc)["runs"][0]["outcome"]
    'achieved'
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qmlsec.campaigns.measures import accuracy_estimate, impact_estimate, outcome

TOP_RISKS = 10
Doc = dict[str, Any]


def _n_classes(doc: Doc) -> int:
    classes = (doc.get("victim") or {}).get("classes")
    if isinstance(classes, list | tuple):
        return max(len(classes), 2)
    return int(classes) if isinstance(classes, int) and classes > 1 else 2


def _clean(doc: Doc) -> float:
    summary = doc.get("summary") or {}
    value = summary.get("clean_accuracy", (doc.get("victim") or {}).get("test_accuracy"))
    return float(value) if value is not None else 1.0


def annotate_run(run: Doc, clean: float, n_classes: int) -> None:
    """Headline interval, impact and outcome of one run (in place)."""
    best = run.get("headline")
    if best is not None and best.get("n") is None:
        est = (run.get("intervals") or {}).get(best["name"]) or {}
        best.update(n=est.get("n"), ci=est.get("ci"), method=est.get("method", "none"))
    if run.get("status") != "ok":
        run.update(outcome="failed", achieved=False, threshold=None, samples_needed=None,
                   impact=None)  # fmt: skip
        return
    run.update(outcome(best, run.get("metrics") or {}, clean, n_classes))
    impact = impact_estimate(best, clean)
    run["impact"] = (
        None if impact is None else {"value": impact.value, "ci": impact.to_dict()["ci"]}
    )


STAGE_ORDER = ("achieved", "inconclusive", "no effect", "not measured", "failed")


def annotate_paths(doc: Doc, runs: dict[str, Doc]) -> None:
    """Stage and path outcomes: a path is achieved only when every stage is."""
    for path in doc.get("paths", []):
        for stage in path.get("stages", []):
            status = stage.get("status")
            if status == "granted":
                stage["outcome"] = "granted"
                continue
            found = {runs[r]["outcome"] for r in stage.get("runs", []) if r in runs}
            if status in ("executed", "failed") and found:
                stage["outcome"] = next(o for o in STAGE_ORDER if o in found or o == "failed")
            else:
                stage["outcome"] = "failed" if status == "failed" else "not run"
        outcomes = [s["outcome"] for s in path.get("stages", [])]
        path["achieved"] = bool(outcomes) and all(o in ("granted", "achieved") for o in outcomes)
        if path["achieved"]:
            path["outcome"] = "achieved"
        elif any(o in ("achieved", "inconclusive", "no effect") for o in outcomes):
            path["outcome"] = "executed, not achieved"
        elif "failed" in outcomes:
            path["outcome"] = "failed"
        else:
            path["outcome"] = "not run"


def _chain_stage(stage: Doc, runs: dict[str, Doc]) -> None:
    """Outcome and measured effect of one chain stage (in place)."""
    if stage.get("attack") is None:  # the victim's own checks: outcome set when run
        return
    run = next((runs[r] for r in stage.get("runs", []) if r in runs), None)
    stage["effect"] = None if run is None else run.get("headline")
    stage["impact"] = None if run is None else run.get("impact")
    if stage.get("status") == "blocked":
        stage["outcome"] = "not run"
    elif run is None or stage.get("status") == "failed":
        stage["outcome"] = "failed"
    elif run.get("outcome") == "not measured":
        # no headline: the stage achieved its goal when it established what it provides
        stage["outcome"] = "achieved" if stage.get("established") else "no effect"
    else:
        stage["outcome"] = run.get("outcome")


def _end(stages: list[Doc]) -> Doc | None:
    """The end stage's attack, effect and impact (``None`` when it did not run)."""
    last = next((s for s in reversed(stages) if s.get("attack")), None)
    if last is None or last.get("outcome") in ("not run", "failed"):
        return None
    return {"attack": last["attack"], "technique_id": last["technique_id"],
            "effect": last.get("effect"), "impact": last.get("impact"),
            "outcome": last.get("outcome")}  # fmt: skip


def annotate_chains(doc: Doc, runs: dict[str, Doc]) -> None:
    """Stage outcomes, end-to-end effect and the oracle's of every chain (in place).

    A chain is ``achieved`` only when every stage achieved its goal. Its
    ``share_of_oracle`` is the end stage's measured impact over the oracle's (point
    estimates; both intervals are given beside it), ``None`` when the oracle had none.
    """
    for chain in doc.get("chains", []):
        groups = [chain["stages"], chain["oracle"]["stages"]]
        groups += [a["stages"] for a in chain.get("alternatives", [])]
        for group in groups:
            for stage in group:
                _chain_stage(stage, runs)
        stages = chain["stages"]
        chain["achieved"] = bool(stages) and all(s.get("outcome") == "achieved" for s in stages)
        broke = next((s for s in stages if s.get("outcome") != "achieved"), None)
        chain["broke_at"] = None if broke is None else {
            "stage": broke.get("attack") or broke.get("name"), "outcome": broke.get("outcome"),
            "reason": broke.get("reason")}  # fmt: skip
        if chain["achieved"]:
            chain["outcome"] = "achieved"
        elif any(s.get("outcome") in ("not run", "failed") for s in stages):
            chain["outcome"] = "broken"
        else:
            chain["outcome"] = "executed, not achieved"
        chain["end_effect"] = _end(stages)
        chain["oracle_effect"] = _end(chain["oracle"]["stages"])
        for alt in chain.get("alternatives", []):
            alt["end_effect"] = _end(alt["stages"])
        mine = ((chain["end_effect"] or {}).get("impact") or {}).get("value")
        best = ((chain["oracle_effect"] or {}).get("impact") or {}).get("value")
        chain["share_of_oracle"] = (
            None if mine is None or not best or best <= 1e-12 else float(mine) / float(best)
        )


def annotate_techniques(doc: Doc, runs: dict[str, Doc]) -> None:
    """Impact interval and outcome of each technique's strongest run."""
    for t in doc.get("techniques", []):
        mine = [runs[r] for r in t.get("runs", []) if r in runs and runs[r].get("impact")]
        if not mine:
            t.update(impact_ci=None, impact_n=None, outcome=None)
            continue
        best = max(mine, key=lambda r: r["impact"]["value"])
        t["impact_ci"] = best["impact"]["ci"]
        t["impact_n"] = best["headline"].get("n")
        outcomes = {r["outcome"] for r in mine}
        t["outcome"] = next(o for o in STAGE_ORDER if o in outcomes or o == "failed")


def _likelihood(doc: Doc, technique_id: str) -> tuple[float, list[str], list[str]]:
    """Best likelihood of a path through the technique, its goals and profiles."""
    best, goals, profiles = 0.0, set(), set()
    for p in doc.get("paths", []):
        if any(s["technique_id"] == technique_id for s in p.get("stages", [])):
            best = max(best, float(p.get("likelihood", 0.0)))
            goals.add(p["goal"])
            profiles.add(p.get("profile", p.get("attacker", "")))
    return best, sorted(goals), sorted(profiles)


def _defense_row(d: Doc) -> Doc:
    cost = d.get("cost") or {}
    return {
        "defense": d["defense"], "mitigation_id": d["mitigation_id"], "attack": d["attack"],
        "run_id": d["run_id"], "verdict": d.get("verdict") or d.get("status"),
        "reduction": d.get("reduction"),
        "reduction_ci": (d.get("reduction_estimate") or {}).get("ci"),
        "accuracy_cost": cost.get("accuracy_drop"), "extra_shots": cost.get("extra_shots"),
        "extra_circuits": cost.get("extra_circuits", cost.get("circuits")),
        "price_usd": cost.get("price"), "seconds": d.get("seconds"),
    }  # fmt: skip


def _samples_needed(d: Doc) -> int | None:
    est = d.get("reduction_estimate") or {}
    ci, gap = est.get("ci"), abs(float(d.get("reduction") or 0.0))
    if not ci or gap < 1e-12 or not est.get("n"):
        return None
    half = (ci[1] - ci[0]) / 2.0
    if half <= 0:  # an exact reduction below the minimum effect: no sample size settles it
        return None
    return int(np.ceil(est["n"] * (half / gap) ** 2))


def posture(doc: Doc, runs: dict[str, Doc]) -> Doc:
    """The summary at the top of the report (see the module docstring)."""
    defenses = [d for d in doc.get("defenses", []) if d.get("status") == "ok"]
    risks = []
    for t in doc.get("techniques", []):
        if t.get("measured_impact") is None:
            continue
        likelihood, goals, profiles = _likelihood(doc, t["id"])
        ci = t.get("impact_ci")
        risks.append({
            "technique_id": t["id"], "name": t["name"], "likelihood": likelihood,
            "impact": t["measured_impact"], "impact_ci": ci, "n": t.get("impact_n"),
            "risk": likelihood * t["measured_impact"],
            "risk_ci": None if ci is None else [likelihood * ci[0], likelihood * ci[1]],
            "outcome": t.get("outcome"), "goals": goals, "profiles": profiles,
            "runs": list(t.get("runs", [])),
            "defenses": [_defense_row(d) for d in defenses if d["run_id"] in t.get("runs", [])],
        })  # fmt: skip
    risks.sort(key=lambda r: (-r["risk"], -(r["risk_ci"] or [0, 0])[0], r["technique_id"]))
    ok_runs = [r for r in runs.values() if r.get("status") == "ok"]
    inconclusive = [
        {"kind": "attack", "run_id": r["run_id"], "attack": r["attack"],
         "metric": (r.get("headline") or {}).get("name"), "n": (r.get("headline") or {}).get("n"),
         "samples_needed": r.get("samples_needed")}
        for r in ok_runs if r.get("outcome") == "inconclusive"
    ] + [
        {"kind": "defense", "run_id": d["run_id"], "attack": d["attack"], "defense": d["defense"],
         "metric": d.get("metric"), "n": (d.get("reduction_estimate") or {}).get("n"),
         "samples_needed": _samples_needed(d)}
        for d in defenses if d.get("verdict") == "inconclusive"
    ]  # fmt: skip
    victim = doc.get("victim") or {}
    clean = None
    if victim.get("test_accuracy") is not None and victim.get("n_test"):
        clean = accuracy_estimate(float(victim["test_accuracy"]), int(victim["n_test"])).to_dict()
    paths, chains = doc.get("paths", []), doc.get("chains", [])
    verdicts = [d.get("verdict") for d in defenses]
    return {
        "risks": risks[:TOP_RISKS],
        "made_worse": [_defense_row(d) for d in defenses if d.get("verdict") == "made it worse"],
        "inconclusive": inconclusive,
        "low_n": bool(doc.get("quick")),
        "counts": {
            "clean_accuracy": clean,
            "paths": len(paths), "paths_achieved": sum(bool(p.get("achieved")) for p in paths),
            "paths_executed": sum(bool(p.get("executed")) for p in paths),
            "chains": len(chains), "chains_achieved": sum(bool(c.get("achieved")) for c in chains),
            "runs_ok": len(ok_runs), "runs_achieved": sum(bool(r.get("achieved")) for r in ok_runs),
            "runs_inconclusive": sum(r.get("outcome") == "inconclusive" for r in ok_runs),
            "defense_runs": len(defenses), "defenses_helped": verdicts.count("helped"),
            "defenses_detected": verdicts.count("detected"),
            "defenses_made_worse": verdicts.count("made it worse"),
            "defenses_inconclusive": verdicts.count("inconclusive"),
        },
    }  # fmt: skip


def annotate(doc: Doc) -> Doc:
    """Add verdicts and the posture summary to ``doc`` (in place); return it."""
    clean, n_classes = _clean(doc), _n_classes(doc)
    runs = {r["run_id"]: r for r in doc.get("runs", [])}
    for run in runs.values():
        annotate_run(run, clean, n_classes)
    annotate_paths(doc, runs)
    annotate_chains(doc, runs)
    annotate_techniques(doc, runs)
    doc["posture"] = posture(doc, runs)
    return doc
