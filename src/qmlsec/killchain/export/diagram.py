"""Mermaid and Graphviz DOT drawings of attack paths.

Each path is drawn left to right: attacker -> steps (labelled with technique ID, name
and tactic) -> goal. Several paths share technique nodes, so a drawing of all paths of
an attacker shows where they branch. Output is deterministic text.

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> from qmlsec.killchain.graph import AttackGraph
    >>> from qmlsec.killchain.paths import find_paths
    >>> from qmlsec.killchain.system import SystemModel
    >>> kb = load_catalog()
    >>> paths = find_paths(AttackGraph(kb, SystemModel.default(), kb.profile("physical-insider")))
    >>> print(to_mermaid(paths).splitlines()[0])
    flowchart LR
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qmlsec.killchain.paths import AttackPath


def _node(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _edges(paths: Sequence[AttackPath]) -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    for n, path in enumerate(paths, start=1):
        attacker = "attacker_" + _node(path.attacker)
        nodes[attacker] = f"attacker: {path.attacker}"
        prev = attacker
        for step in path.steps:
            node = _node(step.technique_id)
            nodes[node] = f"{step.technique_id} {step.name} [{step.tactic}]"
            edges.append((prev, node, f"p{n}"))
            prev = node
        goal = "goal_" + _node(path.goal)
        nodes[goal] = f"goal: {path.goal}"
        edges.append((prev, goal, f"p{n} score {path.score:.2f}"))
    unique = list(dict.fromkeys(edges))
    return nodes, unique


def to_mermaid(paths: Sequence[AttackPath]) -> str:
    """A Mermaid ``flowchart LR`` of the paths."""
    nodes, edges = _edges(paths)
    lines = ["flowchart LR"]
    for node, label in nodes.items():
        text = label.replace('"', "'")
        if node.startswith("goal_"):
            lines.append(f'    {node}(("{text}"))')
        elif node.startswith("attacker_"):
            lines.append(f'    {node}[/"{text}"/]')
        else:
            lines.append(f'    {node}["{text}"]')
    lines += [f"    {a} -->|{label}| {b}" for a, b, label in edges]
    return "\n".join(lines) + "\n"


def to_dot(paths: Sequence[AttackPath], name: str = "attack_paths") -> str:
    """A Graphviz ``digraph`` of the paths."""
    nodes, edges = _edges(paths)
    lines = [
        f"digraph {_node(name)} {{",
        "    rankdir=LR;",
        '    node [shape=box, fontname="Helvetica"];',
    ]
    for node, label in nodes.items():
        shape = (
            "ellipse"
            if node.startswith("goal_")
            else "parallelogram"
            if node.startswith("attacker_")
            else "box"
        )
        text = label.replace('"', '\\"')
        lines.append(f'    {node} [label="{text}", shape={shape}];')
    lines += [f'    {a} -> {b} [label="{label}"];' for a, b, label in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"
