"""The kill-chain matrix (tactics as columns, as in the ATLAS Navigator) and path drawings.

A technique cell is coloured by its measured impact (white to red) only when an attack
achieved its effect (the interval of its headline cleared the technique's threshold);
an executed technique that did not is coloured by its outcome (``inconclusive``: yellow,
``no effect``: green), grey when reachable but not measured, pale when no attacker
profile reaches it. Path boxes are coloured the same way by stage outcome.

Example:
    >>> cols = matrix_columns({"techniques": [{"id": "QML.T0025", "name": "x",
    ...     "tactics": ["QML.TA0009"], "measured_impact": 0.5, "reachable_by": ["a"],
    ...     "runnable": ["extraction.substitute"]}]})
    >>> [c["cells"][0]["id"] for c in cols if c["cells"]]
    ['QML.T0025']
"""

from __future__ import annotations

from typing import Any

from qmlsec.killchain.catalog import load_catalog

OUTCOME_COLOURS = {
    "granted": "#d9e7f5",
    "achieved": "#d6604d",
    "inconclusive": "#fee391",
    "no effect": "#c7e9c0",
    "not measured": "#e0e0e0",
    "failed": "#636363",
    "not run": "#eeeeee",
}
"""Stage / technique outcome -> colour (achieved red; executed but not achieved: yellow or
green; failed dark grey)."""
DARK_OUTCOMES = frozenset({"achieved", "failed"})


def _interval(ci: list[float] | None) -> str:
    return "" if not ci else f" [{ci[0]:.2f}, {ci[1]:.2f}]"


def impact_colour(impact: float | None, reachable: bool) -> str:
    """Hex colour of a cell: white (0) to dark red (1); grey unmeasured; pale unreachable."""
    if impact is None:
        return "#e0e0e0" if reachable else "#f7f7f7"
    low, high = (255, 245, 240), (165, 15, 21)
    rgb = [round(a + (b - a) * float(impact)) for a, b in zip(low, high, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def matrix_columns(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One column per tactic in kill-chain order with its coloured technique cells."""
    kb = load_catalog()
    columns = []
    for tactic in kb.tactics:
        cells = []
        for t in doc.get("techniques", []):
            if tactic.id not in t["tactics"]:
                continue
            impact = t.get("measured_impact")
            reach = bool(t.get("reachable_by"))
            result = t.get("outcome")
            if impact is None or result in (None, "achieved"):
                colour = impact_colour(impact, reach)
                dark = impact is not None and impact > 0.55
            else:
                colour = OUTCOME_COLOURS.get(result, "#ffffff")
                dark = result in DARK_OUTCOMES
            cells.append({
                "id": t["id"], "name": t["name"], "impact": impact, "outcome": result,
                "ci": t.get("impact_ci"), "n": t.get("impact_n"),
                "colour": colour, "reachable": reach, "implemented": bool(t.get("runnable")),
                "dark": dark,
                "title": f"{t['id']} {t['name']}; impact "
                + (f"{impact:.2f}{_interval(t.get('impact_ci'))}, n={t.get('impact_n')}, {result}"
                   if impact is not None else "not measured")
                + f"; reachable by {', '.join(t.get('reachable_by', [])) or 'no profile'}",
            })  # fmt: skip
        columns.append({"id": tactic.id, "name": tactic.name, "cells": cells})
    return columns


def path_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Attack paths as rows of boxes: attacker -> stages -> goal, coloured by outcome.

    The goal box is red only when the path was achieved (every stage granted or
    achieved); an executed path that was not is shown with a dashed goal box.
    """
    rows = []
    for p in doc.get("paths", []):
        sub = f"added to measure {p['selected_for']}" if p.get("selected_for") else "attacker"
        boxes = [{"label": p["profile"], "sub": sub, "colour": "#cfd8dc", "dark": False}]
        for s in p["stages"]:
            result = s.get("outcome") or s["status"].replace("_", " ")
            boxes.append({
                "label": s["technique_id"], "sub": f"{s['tactic']} - {result}",
                "title": s["name"] + (f" (runs {', '.join(s['runs'])})" if s["runs"] else ""),
                "colour": OUTCOME_COLOURS.get(result, "#ffffff"), "dark": result in DARK_OUTCOMES,
            })  # fmt: skip
        achieved = bool(p.get("achieved"))
        boxes.append({
            "label": p["goal"], "sub": f"{p.get('outcome', '')}; score {p['score']:.2f}",
            "colour": OUTCOME_COLOURS["achieved"] if achieved else "#ffffff",
            "dark": achieved, "goal": True,
        })  # fmt: skip
        rows.append({"boxes": boxes, "executed": p.get("executed", False), "achieved": achieved,
                     "outcome": p.get("outcome")})  # fmt: skip
    return rows
