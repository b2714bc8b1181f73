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

from qmlsec.attacks.setup import AttackSetup
from qmlsec.campaigns.spec import RunConfig
from qmlsec.campaigns.victim import cached_victim
from qmlsec.defenses.evaluate import headline_metric
from qmlsec.defenses.registry import get_defense
from qmlsec.exceptions import QmlsecError


def headline(
    attack: str, metrics: dict[str, Any], intervals: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The attack's headline metric ``{name, value, direction, n, ci, method}``.

    ``n``, ``ci`` and ``method`` come from the result's ``intervals`` (``n`` and ``ci``
    are ``None`` when the metric has no interval); ``None`` when no headline is declared.
    """
    try:
        name, value, direction = headline_metric(attack, metrics)
    except QmlsecError:
        return None
    est = (intervals or {}).get(name) or {}
    return {"name": name, "value": value, "direction": direction, "n": est.get("n"),
            "ci": est.get("ci"), "method": est.get("method", "none")}  # fmt: skip


def _run(run: RunConfig) -> tuple[dict[str, Any], dict[str, Any]]:
    if run.target is not None:  # a model served over HTTP: the spec gives the data only
        return _run_remote(run), {"clean_accuracy": float("nan")}
    victim = cached_victim(run.model, run.seed)
    setup = AttackSetup.from_deployment(
        run.attack, victim.deployment, params=run.params, shots=run.noise.shots,
        budget=run.noise.budget, x_train=victim.x_train, y_train=victim.y_train,
        x_test=victim.x_test[: run.samples], y_test=victim.y_test[: run.samples],
    )  # fmt: skip
    extra: dict[str, Any] = {"clean_accuracy": victim.clean_accuracy}
    if run.defense is None:
        result = setup.run(run.seed)
    else:
        defense = get_defense(run.defense)(run.defense_params, seed=run.seed)
        result, cost = defense.defended_run(setup, run.seed)
        extra["defense_cost"] = cost.to_dict()
    return result.to_dict(), extra


def _run_remote(run: RunConfig) -> dict[str, Any]:
    """Attack the run's remote target with the data split of its victim spec."""
    import os

    from qmlsec.attacks.http_target import HttpEndpoint
    from qmlsec.attacks.registry import get_attack
    from qmlsec.attacks.remote import remote_setup, run_remote
    from qmlsec.data import load_dataset, parse_classes, split

    t, m = run.target, run.model
    assert t is not None
    classes = parse_classes(m.classes) if m.classes else None
    train, test = split(load_dataset(m.dataset, classes=classes, seed=run.seed),
                        test_size=m.test_size, seed=run.seed)  # fmt: skip
    with HttpEndpoint(t.url, protocol=t.protocol, model_name=t.model_name, timeout=t.timeout,
                      api_key=os.environ.get(t.api_key_env) or None, seed=run.seed) as http:  # fmt: skip
        setup = remote_setup(
            get_attack(run.attack), http, params=run.params, shots=run.noise.shots,
            budget=run.noise.budget, x_train=train.X[: m.max_train], y_train=train.y[: m.max_train],
            x_test=test.X[: run.samples], y_test=test.y[: run.samples],
        )  # fmt: skip
        return run_remote(setup, run.seed).to_dict()


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
