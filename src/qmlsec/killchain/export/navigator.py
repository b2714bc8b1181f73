"""Navigator layers (format 4.5) for our QML domain and for the ATLAS domain.

Layers are plain JSON written by us (mitreattack-python rejects non-ATT&CK domains).
Scores are the best score of the attack paths a technique appears on (0 when it is on
none); comments give the step numbers. Without paths every technique is listed with
score 0 (a coverage layer). The ATLAS layer maps our techniques through
``atlas_refs``; a sub-technique also gets its parent entry with
``showSubtechniques: true``. Navigator shows no sequences, so use the Attack Flow or
diagram exports to draw paths.

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> layer = qml_layer(load_catalog())
    >>> layer["versions"]["layer"], layer["domain"]
    ('4.5', 'qml-killchain')
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from qmlsec.killchain.catalog import Catalog
from qmlsec.killchain.export.atlas import KB_VERSION
from qmlsec.killchain.paths import AttackPath

LAYER_VERSION = "4.5"
NAVIGATOR_VERSION = "5.1.0"
QML_DOMAIN = "qml-killchain"
ATLAS_DOMAIN = "atlas-atlas"
ON_PATH_COLOR = "#e60d0d"


def _base(name: str, domain: str, description: str, max_score: float) -> dict[str, Any]:
    return {
        "name": name,
        "versions": {"layer": LAYER_VERSION, "navigator": NAVIGATOR_VERSION},
        "domain": domain,
        "description": description,
        "sorting": 3,
        "layout": {"layout": "side", "showID": True, "showName": True},
        "hideDisabled": False,
        "techniques": [],
        "gradient": {
            "colors": ["#ffffff", "#ff6666"],
            "minValue": 0,
            "maxValue": max(max_score, 1.0),
        },
        "legendItems": [{"label": "on an attack path", "color": ON_PATH_COLOR}],
        "metadata": [{"name": "generator", "value": "qmlsec killchain"}],
    }


def _path_index(paths: Sequence[AttackPath]) -> tuple[dict[str, float], dict[str, list[str]]]:
    score: dict[str, float] = defaultdict(float)
    notes: dict[str, list[str]] = defaultdict(list)
    for n, path in enumerate(paths, start=1):
        for k, step in enumerate(path.steps, start=1):
            score[step.technique_id] = max(score[step.technique_id], path.score)
            notes[step.technique_id].append(f"path {n} ({path.goal}) step {k}")
    return score, notes


def qml_layer(
    kb: Catalog, paths: Sequence[AttackPath] = (), name: str = "QML kill chain"
) -> dict[str, Any]:
    """A layer for our own domain (load our STIX bundle as the domain's data)."""
    score, notes = _path_index(paths)
    layer = _base(
        name, QML_DOMAIN, "qmlsec QML kill-chain techniques", max(score.values(), default=0.0)
    )
    layer["versions"]["attack"] = KB_VERSION
    for t in kb.all_techniques():
        for tactic_id in kb.effective_tactics(t):
            entry: dict[str, Any] = {
                "techniqueID": t.id,
                "tactic": kb.tactic(tactic_id).shortname,
                "score": round(score.get(t.id, 0.0), 6),
                "enabled": True,
                "metadata": [
                    {"name": "maturity", "value": t.maturity},
                    {"name": "layer", "value": t.quantum_layer},
                ],
            }
            if t.id in notes:
                entry["color"] = ON_PATH_COLOR
                entry["comment"] = "; ".join(notes[t.id])
            if kb.subtechniques(t.id):
                entry["showSubtechniques"] = True
            layer["techniques"].append(entry)
    return layer


def atlas_layer(
    kb: Catalog, paths: Sequence[AttackPath] = (), name: str = "QML kill chain (ATLAS view)"
) -> dict[str, Any]:
    """A layer for the ATLAS domain, through each technique's ``atlas_refs``."""
    score, notes = _path_index(paths)
    mapped: dict[str, list[str]] = defaultdict(list)
    for t in kb.all_techniques():
        if paths and t.id not in score:
            continue
        for ref in t.atlas_refs:
            if ref.startswith("AML.T"):
                mapped[ref].append(t.id)
    best = {ref: max((score.get(q, 0.0) for q in qml), default=0.0) for ref, qml in mapped.items()}
    layer = _base(
        name,
        ATLAS_DOMAIN,
        "ATLAS techniques used by qmlsec QML techniques",
        max(best.values(), default=0.0),
    )
    layer["metadata"].append({"name": "atlas_data_version", "value": "5.6.0"})
    entries: dict[str, dict[str, Any]] = {}
    for ref in sorted(mapped):
        qml = sorted(set(mapped[ref]))
        comment = "QML: " + ", ".join(qml)
        on_path = [n for q in qml for n in notes.get(q, [])]
        if on_path:
            comment += " | " + "; ".join(on_path)
        entry: dict[str, Any] = {
            "techniqueID": ref,
            "score": round(best[ref] if paths else len(qml), 6),
            "comment": comment,
            "enabled": True,
            "metadata": [{"name": "qml_techniques", "value": ", ".join(qml)}],
        }
        if on_path:
            entry["color"] = ON_PATH_COLOR
        entries[ref] = entry
        parent = ref.rsplit(".", 1)[0] if ref.count(".") == 2 else None
        if parent and parent not in mapped:
            entries.setdefault(
                parent, {"techniqueID": parent, "showSubtechniques": True, "enabled": True}
            )
        elif parent:
            entries.setdefault(parent, {})["showSubtechniques"] = True
    if not paths:
        layer["gradient"]["maxValue"] = max([e.get("score", 0) for e in entries.values()] + [1])
    layer["techniques"] = [entries[k] for k in sorted(entries)]
    return layer
