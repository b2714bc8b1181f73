"""The kill-chain matrix (tactics as columns, as in the ATLAS Navigator) and path drawings.

Each technique cell is coloured by its measured impact (white to red), grey when it is
reachable or implemented but not measured, pale when no attacker profile reaches it.

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

STATUS_COLOURS = {
    "granted": "#d9e7f5",
    "executed": "#f4a582",
    "failed": "#b2182b",
    "not_implemented": "#eeeeee",
    "excluded": "#eeeeee",
    "runnable": "#fddbc7",
}


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
            cells.append({
                "id": t["id"], "name": t["name"], "impact": impact,
                "colour": impact_colour(impact, reach), "reachable": reach,
                "implemented": bool(t.get("runnable")),
                "dark": impact is not None and impact > 0.55,
                "title": f"{t['id']} {t['name']}; impact "
                + (f"{impact:.2f}" if impact is not None else "not measured")
                + f"; reachable by {', '.join(t.get('reachable_by', [])) or 'no profile'}",
            })  # fmt: skip
        columns.append({"id": tactic.id, "name": tactic.name, "cells": cells})
    return columns


def path_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Attack paths as rows of boxes: attacker -> stages -> goal, coloured by outcome."""
    rows = []
    for p in doc.get("paths", []):
        boxes = [{"label": p["profile"], "sub": "attacker", "colour": "#cfd8dc"}]
        for s in p["stages"]:
            boxes.append({
                "label": s["technique_id"], "sub": f"{s['tactic']} - {s['status'].replace('_', ' ')}",
                "title": s["name"] + (f" (runs {', '.join(s['runs'])})" if s["runs"] else ""),
                "colour": STATUS_COLOURS.get(s["status"], "#ffffff"),
            })  # fmt: skip
        boxes.append({"label": p["goal"], "sub": f"score {p['score']:.2f}", "colour": "#fee08b"})
        rows.append({"boxes": boxes, "executed": p.get("executed", False)})
    return rows
