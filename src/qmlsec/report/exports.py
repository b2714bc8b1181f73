"""Threat-intelligence files written beside the report, from the kill-chain exports.

* ``navigator_layer.json``: the Navigator 4.5 layer of the paths (score: best path
  score, on the gradient's scale), each technique's measured impact with its 95 %
  interval and outcome in its metadata;
* ``stix_bundle.json``: the STIX 2.1 bundle of the knowledge base (the layer's domain
  data; see :mod:`qmlsec.killchain.export.navigator` for loading);
* ``attack_flows.json``: one STIX 2.1 bundle with an Attack Flow 2.0 flow per path;
* ``attack_flows/flow-NNN-<attacker>-<goal>.json``: the same, one bundle per path;
* ``attack_paths.mmd``: the paths as a Mermaid flowchart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qmlsec.killchain.catalog import load_catalog
from qmlsec.killchain.export import attack_flow, diagram, navigator, stix
from qmlsec.killchain.paths import AttackPath, PathStep


def to_attack_path(data: dict[str, Any]) -> AttackPath:
    """Rebuild an :class:`AttackPath` from its ``to_dict`` form."""
    fields = PathStep.__dataclass_fields__
    steps = tuple(
        PathStep(**{k: tuple(v) if isinstance(v, list) else v for k, v in s.items() if k in fields})  # type: ignore[arg-type]
        for s in data["steps"]
    )
    return AttackPath(goal=data["goal"], attacker=data["attacker"], steps=steps,
                      likelihood=data["likelihood"], impact=data["impact"], score=data["score"])  # fmt: skip


def write_exports(doc: dict[str, Any], out: Path) -> dict[str, str]:
    """Write the export files into ``out``; return name -> relative path."""
    kb = load_catalog()
    paths = [to_attack_path(p) for p in doc.get("paths", [])]
    rows = {t["id"]: t for t in doc.get("techniques", [])}
    layer = navigator.qml_layer(kb, paths, name="qmlsec assessment")
    for entry in layer["techniques"]:
        row = rows.get(entry["techniqueID"]) or {}
        value = row.get("measured_impact")
        if value is not None:
            ci = row.get("impact_ci")
            text = f"{value:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else " (no interval)")
            entry["metadata"] += [{"name": "measured_impact (95% CI)", "value": text},
                                  {"name": "outcome", "value": str(row.get("outcome"))}]  # fmt: skip
    files: dict[str, str] = {}
    (out / "navigator_layer.json").write_text(json.dumps(layer, indent=2) + "\n")
    files["navigator_layer"] = "navigator_layer.json"
    (out / "stix_bundle.json").write_text(stix.to_stix_json(kb) + "\n")
    files["stix_bundle"] = "stix_bundle.json"
    (out / "attack_flows.json").write_text(
        json.dumps(attack_flow.attack_flow_document(kb, paths), indent=2) + "\n"
    )
    files["attack_flows_bundle"] = "attack_flows.json"
    flows = out / "attack_flows"
    flows.mkdir(exist_ok=True)
    for n, path in enumerate(paths, start=1):
        name = f"flow-{n:03d}-{path.attacker}-{path.goal}.json"
        (flows / name).write_text(
            json.dumps(attack_flow.attack_flow_bundle(kb, path), indent=2) + "\n"
        )
    files["attack_flows"] = "attack_flows/"
    if paths:
        (out / "attack_paths.mmd").write_text(diagram.to_mermaid(paths))
        files["attack_paths_mermaid"] = "attack_paths.mmd"
    return files
