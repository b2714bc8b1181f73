"""Execute one campaign run: victim, target, optional defense, attack; return the row.

:func:`execute_run` is a module-level function of plain, picklable arguments so that a
process pool or a Dask worker can run it. Each worker trains a victim once per
``(model spec, seed)`` and reuses it for every later run of the same victim.

Example:
    >>> from qmlsec.campaigns.spec import RunConfig
    >>> from qmlsec.campaigns.victim_spec import VictimSpec
    >>> run = RunConfig(campaign="doc", model=VictimSpec(dataset="iris", classes=None,
    ...                 qubits=4, layers=1, epochs=2), attack="evasion.fgsm",
    ...                 params={"eps": [0.1]}, samples=5)
    >>> execute_run(run)["status"]
    'ok'
"""

from __future__ import annotations

import os
import socket
import time
import traceback
from typing import Any

import numpy as np

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.harness import refit_like
from qmlsec.campaigns.spec import RunConfig
from qmlsec.campaigns.victim import Victim, cached_victim
from qmlsec.exceptions import QmlsecError


def victim_context(victim: Victim, samples: int, **extras: Any) -> AttackContext:
    """A fresh attack context over the victim's split (first ``samples`` test samples)."""
    return AttackContext(
        x_test=np.array(victim.x_test[:samples]),
        y_test=np.array(victim.y_test[:samples]),
        x_train=np.array(victim.x_train),
        y_train=np.array(victim.y_train),
        train_victim=refit_like(victim.model),
        extras=dict(extras),
    )


def headline(
    attack: str, metrics: dict[str, Any], intervals: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The attack's headline metric ``{name, value, direction, n, ci, method}``.

    ``n``, ``ci`` and ``method`` come from the result's ``intervals`` (``n`` and ``ci``
    are ``None`` when the metric has no interval); ``None`` when no headline is declared.
    """
    from qmlsec.defenses.evaluate import headline_metric

    try:
        name, value, direction = headline_metric(attack, metrics)
    except QmlsecError:
        return None
    est = (intervals or {}).get(name) or {}
    return {"name": name, "value": value, "direction": direction, "n": est.get("n"),
            "ci": est.get("ci"), "method": est.get("method", "none")}  # fmt: skip


def _run(run: RunConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    from qmlsec.defenses.harness import setup_for
    from qmlsec.defenses.registry import get_defense

    victim = cached_victim(run.model, run.seed)
    ctx = victim_context(victim, run.samples)
    setup = setup_for(run.attack, victim.model, ctx, params=run.params,
                      shots=run.noise.shots, budget=run.noise.budget)  # fmt: skip
    extra: dict[str, Any] = {"clean_accuracy": victim.clean_accuracy}
    if run.defense is None:
        result = setup.run(run.seed)
    else:
        defense = get_defense(run.defense)(run.defense_params, seed=run.seed)
        result, cost = defense.defended_run(setup, run.seed)
        extra["defense_cost"] = cost.to_dict()
    return result.to_dict(), extra


def execute_run(run: RunConfig) -> dict[str, Any]:
    """Run ``run`` and return its store row (errors are caught and recorded in the row)."""
    start = time.perf_counter()
    row: dict[str, Any] = {
        "run_id": run.run_id, "campaign": run.campaign, "attack": run.attack,
        "defense": run.defense, "model": run.model.label, "seed": run.seed,
        "config": run.model_dump(mode="json"), "worker": f"{socket.gethostname()}:{os.getpid()}",
    }  # fmt: skip
    try:
        result, extra = _run(run)
    except QmlsecError as err:
        row.update(status="error", error=str(err), metrics={}, result={})
    except Exception as err:  # a bug in one attack must not kill the campaign
        row.update(status="error", error=f"{type(err).__name__}: {err}\n{traceback.format_exc()}",
                   metrics={}, result={})  # fmt: skip
    else:
        metrics = {k: v for k, v in result["metrics"].items() if isinstance(v, int | float)}
        metrics.update({"clean_accuracy": extra["clean_accuracy"]})
        for key, value in extra.get("defense_cost", {}).items():
            metrics[f"defense_cost.{key}"] = value
        best = headline(run.attack, result["metrics"], result.get("intervals"))
        if best is not None:
            metrics["headline"] = best["value"]
        result["headline"] = best
        result["extra"] = extra
        row.update(status="ok", error=None, metrics=metrics, result=result)
    row["seconds"] = time.perf_counter() - start
    row["finished_at"] = time.time()
    return row
