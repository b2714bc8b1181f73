"""Navigator layers (format 4.5) for our QML domain and for the ATLAS domain.

Layers are plain JSON written by us (mitreattack-python rejects non-ATT&CK domains).
Scores are the best score of the attack paths a technique appears on (path likelihood x
goal impact, 0 when it is on none); the gradient runs on the same scale, from 0 to the
largest goal impact of the knowledge base (:func:`score_scale`), and no explicit colour
overrides it. Comments give the step numbers. Without paths every technique is listed
with score 0 (a coverage layer); ``qmlsec threats export`` passes the paths of every
attacker profile when ``--attacker`` is not given (the worst case over profiles). The
ATLAS layer maps our techniques through ``atlas_refs``; a sub-technique also gets its
parent entry with ``showSubtechniques: true``. Navigator shows no sequences, so use the
Attack Flow or diagram exports to draw paths.

Loading the QML layer (its domain is ours, not ATT&CK's): serve the STIX bundle
(``qmlsec threats export --format stix -o qml-killchain.json``) at a URL the browser can
fetch, then either export the layer with ``--data-url URL`` (written as the layer's
``customDataURL``) and open it in Navigator (*Open Existing Layer*), or in Navigator
choose *Create New Layer* > *More Options* > *custom data URL*, enter the URL, and
upload the layer onto that matrix. The same steps are in the layer's ``description``.

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


LOADING = (
    "To load: serve the STIX bundle (qmlsec threats export --format stix) at a URL, then "
    "in ATT&CK Navigator choose Create New Layer > More Options > custom data URL, enter "
    "that URL and open this layer on the matrix (or set customDataURL with --data-url)."
)


def score_scale(kb: Catalog) -> float:
    """The largest possible path score: likelihood 1 times the largest goal impact."""
    return float(max((g.impact for g in kb.goals), default=5))


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
            "colors": ["#ffffff", "#ff6666", "#a50f15"],
            "minValue": 0,
            "maxValue": max(max_score, 1.0),
        },
        "legendItems": [
            {"label": "score 0: on no attack path", "color": "#ffffff"},
            {
                "label": f"score {max(max_score, 1.0):g}: certain path to the worst goal",
                "color": "#a50f15",
            },
        ],  # fmt: skip
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
    kb: Catalog,
    paths: Sequence[AttackPath] = (),
    name: str = "QML kill chain",
    data_url: str | None = None,
) -> dict[str, Any]:
    """A layer for our own domain (load our STIX bundle as the domain's data).

    ``data_url``: where the STIX bundle of the knowledge base is served; written as the
    layer's ``customDataURL`` so Navigator builds the matrix from it.
    """
    score, notes = _path_index(paths)
    scope = f"best path score over {len({p.attacker for p in paths})} attacker profile(s)"
    layer = _base(name, QML_DOMAIN,
                  f"qmlsec QML kill-chain techniques; score: {scope if paths else 'no paths'}. "
                  + LOADING, score_scale(kb))  # fmt: skip
    layer["versions"]["attack"] = KB_VERSION
    if data_url:
        layer["customDataURL"] = data_url
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
        "ATLAS techniques used by qmlsec QML techniques; score: best path score (with "
        "paths) or the number of QML techniques mapped (without)",
        score_scale(kb) if paths else 1.0,
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
