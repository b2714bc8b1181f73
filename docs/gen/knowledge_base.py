"""Write one page per technique and per mitigation of the kill-chain knowledge base.

Run by the ``gen-files`` plugin at build time (see ``mkdocs.yml``). Everything comes from
what exists when the site is built:

* the records: :func:`qmlsec.killchain.catalog.load_catalog` (``killchain/data/*.yaml``);
* the attacks and defenses implementing them, with their parameters: the registries
  (:func:`qmlsec.attacks.registry.available_attacks`,
  :func:`qmlsec.defenses.registry.available_defenses`) and each class's ``Params``
  pydantic model (types, defaults and constraints from the model, descriptions from the
  ``Attributes:`` sections of the model's docstrings);
* the effect measured in the default assessment with its interval:
  ``docs/data/default-assessment.json``, written by ``docs/gen/extract_effects.py`` from
  a ``qmlsec assess`` report folder (every page names the report it comes from).

A technique or mitigation added to the YAML files gets its page in the next build.
"""

from __future__ import annotations

import inspect
import json
import re
import types
import typing
from pathlib import Path
from typing import Any

import mkdocs_gen_files
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from qmlsec.attacks.registry import available_attacks
from qmlsec.defenses.registry import available_defenses
from qmlsec.killchain.catalog import Catalog, load_catalog
from qmlsec.killchain.schema import Mitigation, Technique

ROOT = Path(__file__).resolve().parents[2]
EFFECTS = ROOT / "docs" / "data" / "default-assessment.json"
SRC = ROOT / "src"
ATLAS = "https://atlas.mitre.org"
SECTION = re.compile(
    r"^(Args|Arguments|Attributes|Example|Examples|Returns|Raises|Yields|Note|Notes):\s*$"
)


# ------------------------------------------------------------------ text helpers
def rst_to_md(text: str) -> str:
    """Docstring reST-isms as Markdown: ``code`` and :role:`~a.b.c` become `code` / `c`."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", lambda m: f"`{m.group(1).split('.')[-1]}`", text)
    text = re.sub(r"``([^`]+)``", r"`\1`", text)
    return text


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def description(obj: Any) -> str:
    """A class docstring up to its first Google section (the prose: paper, coverage)."""
    doc = inspect.getdoc(obj) or ""
    lines: list[str] = []
    for line in doc.splitlines():
        if SECTION.match(line.strip()) and not line.startswith(" "):
            break
        lines.append(line)
    return rst_to_md("\n".join(lines).strip())


def attribute_docs(model: type[BaseModel]) -> dict[str, str]:
    """Field descriptions from the ``Attributes:`` sections of the model and its bases."""
    found: dict[str, str] = {}
    for klass in reversed(model.__mro__):
        doc = inspect.getdoc(klass) or ""
        if "Attributes:" not in doc:
            continue
        block = doc.split("Attributes:", 1)[1]
        current: list[str] = []
        text: list[str] = []
        for line in block.splitlines():
            if line.strip() and not line.startswith(" "):
                break  # next section
            m = re.match(r"^ {4}([A-Za-z_][\w, ]*):\s*(.*)$", line)
            if m:
                for name in current:
                    found[name] = " ".join(text)
                current = [n.strip() for n in m.group(1).split(",")]
                text = [m.group(2).strip()]
            elif line.strip():
                text.append(line.strip())
        for name in current:
            found[name] = " ".join(text)
    return {k: rst_to_md(v) for k, v in found.items()}


def type_name(annotation: Any) -> str:
    """A readable type: ``tuple[float, ...]``, ``Literal['inf', '2']``, ``int | None``."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        return "None" if annotation is type(None) else annotation.__name__
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return " | ".join(type_name(a) for a in typing.get_args(annotation))
    text = repr(annotation)
    text = re.sub(r"\btyping\.", "", text)
    text = re.sub(r"<class '([\w.]+)'>", lambda m: m.group(1).split(".")[-1], text)
    text = re.sub(r"\b(?:[a-z_]+\.)+([A-Z]\w*)", r"\1", text)
    return text.replace("NoneType", "None")


def constraints(info: FieldInfo) -> str:
    """Pydantic constraints of a field (``ge=1``, ``gt=0``...)."""
    out: list[str] = []
    for meta in info.metadata:
        for key in ("gt", "ge", "lt", "le", "min_length", "max_length"):
            value = getattr(meta, key, None)
            if value is not None:
                out.append(f"{key}={value}")
    return ", ".join(out)


def default_text(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, tuple):
        value = list(value)
    return f"`{json.dumps(value, default=str)}`"


def params_table(model: type[BaseModel]) -> str:
    """The parameters of an attack or defense as a Markdown table."""
    fields = model.model_fields
    if not fields:
        return "No parameters.\n"
    docs = attribute_docs(model)
    rows = ["| parameter | type | default | constraint | meaning |", "|---|---|---|---|---|"]
    for name, info in fields.items():
        meaning = info.description or docs.get(name, "")
        rows.append(
            f"| `{name}` | `{cell(type_name(info.annotation))}` | {cell(default_text(info))} "
            f"| {cell(constraints(info))} | {cell(meaning)} |"
        )
    return "\n".join(rows) + "\n"


def api_link(cls: type, depth: int = 1) -> str | None:
    """Relative link to the class's module page in the API reference, if it has one."""
    parts = cls.__module__.split(".")
    if not (SRC / Path(*parts)).with_suffix(".py").is_file():
        return None
    up = "../" * depth
    return f"{up}reference/api/{'/'.join(parts)}.md"


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def ci_text(ci: list[float] | None) -> str:
    return "no interval" if not ci else f"[{fmt(ci[0])}, {fmt(ci[1])}]"


def estimate_text(est: dict[str, Any] | None) -> str:
    """``0.72 [0.61, 0.81], n = 60 (wilson)``."""
    if not est:
        return "-"
    return (
        f"{fmt(est.get('value'))} {ci_text(est.get('ci'))}, n = {est.get('n')} "
        f"({est.get('method', '?')})"
    )


# ----------------------------------------------------------------- measurements
def load_effects() -> dict[str, Any] | None:
    """The summary of the default assessment committed under docs/, or ``None``."""
    if not EFFECTS.is_file():
        return None
    return json.loads(EFFECTS.read_text(encoding="utf-8"))


def source_line(effects: dict[str, Any], depth: int = 1) -> str:
    src = effects["source"]
    quick = " (`--quick`: low-n figures)" if src.get("quick") else ""
    spec = (src.get("victim") or {}).get("spec") or {}
    clean = (src.get("counts") or {}).get("clean_accuracy")
    victim = ""
    if spec:
        classes = f" {spec['classes']}" if spec.get("classes") else ""
        victim = (
            f"; victim: {spec.get('dataset')}{classes}, {spec.get('qubits')} qubits, "
            f"{spec.get('layers')} layers, on {spec.get('device')}"
        )
        if clean:
            victim += f", clean accuracy {estimate_text(clean)}"
    return (
        f"Measured in the default assessment{quick}: `{src['command']}`, qmlsec "
        f"{src['qmlsec_version']}, seed {src['seed']}, report generated {src['generated_at']}"
        f"{victim}"
        f" (summary: [`docs/data/default-assessment.json`]({'../' * depth}data/default-assessment.json); "
        f"regenerate with `{src['regenerate']}`)."
    )


def technique_measurements(tech_id: str, effects: dict[str, Any] | None) -> str:
    out = ["## Measured in the default assessment", ""]
    if effects is None:
        return "\n".join([*out, "No assessment summary is committed under docs/data/.", ""])
    out += [source_line(effects), ""]
    row = effects["techniques"].get(tech_id)
    runs = [r for r in effects["runs"] if r.get("technique_id") == tech_id]
    if row is None and not runs:
        out.append(
            "Not executed in the default assessment: no planned kill-chain path of the "
            "default attacker profiles reaches this technique with a registered attack, "
            "or it was excluded by the assessment config."
        )
        return "\n".join(out) + "\n"
    if row is not None:
        impact = row.get("measured_impact")
        out.append(
            f"**Measured impact** (0-1, of its strongest run): {fmt(impact)} "
            f"{ci_text(row.get('impact_ci'))}, n = {row.get('impact_n')}; "
            f"outcome **{row.get('outcome') or 'not measured'}**. "
            f"Reachable by: {', '.join(row.get('reachable_by') or []) or 'no default profile'}."
        )
        out.append("")
    if runs:
        out += [
            "| run | attack | status | headline metric | value [95 % CI], n (method) | threshold | outcome | seconds |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in runs:
            head = r.get("headline") or {}
            out.append(
                f"| {r['run_id']} | `{r['attack']}` | {r['status']} | `{cell(head.get('name', '-'))}` "
                f"| {cell(estimate_text(head) if head else '-')} | {fmt(r.get('threshold'))} "
                f"| {r.get('outcome', '-')} | {fmt(r.get('seconds'), 1)} |"
            )
        errors = [r for r in runs if r.get("error")]
        for r in errors:
            out.append("")
            out.append(f"Run {r['run_id']} ({r['status']}): {cell(r['error'])[:300]}")
    return "\n".join(out) + "\n"


def mitigation_measurements(mit_id: str, effects: dict[str, Any] | None) -> str:
    out = ["## Measured in the default assessment", ""]
    if effects is None:
        return "\n".join([*out, "No assessment summary is committed under docs/data/.", ""])
    out += [source_line(effects), ""]
    rows = [d for d in effects["defenses"] if d.get("mitigation_id") == mit_id]
    if not rows:
        out.append(
            "Not measured in the default assessment: none of its defenses was re-run "
            "against an executed attack (see the assessment config's `defenses`)."
        )
        return "\n".join(out) + "\n"
    out += [
        "Reduction of the attack's success (positive: the defense helped), with its 95 % "
        "interval; the verdict follows from the interval (see "
        "[Effects, intervals and verdicts](../concepts/measurement.md)).",
        "",
        "| defense | against | metric | without | with | reduction | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in rows:
        out.append(
            f"| `{d['defense']}` | `{d['attack']}` ({d.get('technique_id') or '-'}) "
            f"| `{cell(d.get('metric') or '-')}` | {cell(estimate_text(d.get('without_estimate')))} "
            f"| {cell(estimate_text(d.get('with_estimate')))} "
            f"| {cell(estimate_text(d.get('reduction_estimate')))} "
            f"| {d.get('verdict') or d.get('status')} |"
        )
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------ pages
def fact_list(kb: Catalog, ids: tuple[str, ...]) -> str:
    known = {f.id: f.description for f in kb.facts}
    goals = {g.fact: g for g in kb.goals}
    lines = []
    for fid in ids:
        text = known.get(fid, "")
        if fid in goals:
            g = goals[fid]
            text = f"goal *{g.name}* (impact {g.impact}/5, {g.cia}). {text}".strip()
        lines.append(f"- `{fid}`: {text}")
    return "\n".join(lines) + "\n"


def references(refs: tuple[Any, ...]) -> str:
    if not refs:
        return "None recorded.\n"
    return "\n".join(f"- [{r.title}]({r.url})" if r.url else f"- {r.title}" for r in refs) + "\n"


def atlas_links(refs: tuple[str, ...]) -> str:
    out = []
    for ref in refs:
        kind = "mitigations" if ".M" in ref else "techniques"
        out.append(f"[{ref}]({ATLAS}/{kind}/{ref})")
    return ", ".join(out) or "-"


def attack_section(name: str, attacks: dict[str, type]) -> str:
    cls = attacks.get(name)
    if cls is None:
        return (
            f"### `{name}`\n\nListed in the knowledge base, but no attack of this name is "
            "registered in this build.\n"
        )
    link = api_link(cls)
    where = f"[`{cls.__module__}.{cls.__name__}`]({link})" if link else f"`{cls.__module__}`"
    requires = ", ".join(sorted(c.value for c in cls.requires)) or "none"
    positions = ", ".join(sorted(p.value for p in cls.positions))
    return (
        f"### `{name}`\n\n{where}: family `{cls.family}`; needs from the target: {requires}; "
        f"positions: {positions}.\n\n{description(cls)}\n\n"
        f"Run it: `qmlsec attack run {name} --deployment DIR`.\n\n"
        f"**Parameters** (`{cls.Params.__name__}`):\n\n{params_table(cls.Params)}"
    )


def defense_section(name: str, defenses: dict[str, type]) -> str:
    cls = defenses.get(name)
    if cls is None:
        return (
            f"### `{name}`\n\nListed in the knowledge base, but no defense of this name is "
            "registered in this build.\n"
        )
    link = api_link(cls)
    where = f"[`{cls.__module__}.{cls.__name__}`]({link})" if link else f"`{cls.__module__}`"
    counters = ", ".join(f"`{c}`" for c in cls.counters) or "-"
    return (
        f"### `{name}`\n\n{where}: role `{cls.role}`; measured against {counters}.\n\n"
        f"{description(cls)}\n\n"
        f"Evaluate it: `qmlsec defend eval {name} --against ATTACK --deployment DIR`.\n\n"
        f"**Parameters** (`{cls.Params.__name__}`):\n\n{params_table(cls.Params)}"
    )


def technique_page(
    kb: Catalog,
    t: Technique,
    attacks: dict[str, type],
    effects: dict[str, Any] | None,
) -> str:
    tactics = ", ".join(kb.tactic(x).name for x in kb.effective_tactics(t))
    parent = f"[{t.subtechnique_of}]({t.subtechnique_of}.md)" if t.subtechnique_of else "-"
    subs = ", ".join(f"[{s.id}]({s.id}.md) {s.name}" for s in kb.subtechniques(t.id)) or "-"
    implemented = list(t.implemented_by) + sorted(
        n for n, c in attacks.items() if c.technique_id == t.id and n not in t.implemented_by
    )
    lines = [
        f"# {t.id} {t.name}",
        "",
        rst_to_md(t.description),
        "",
        "| | |",
        "|---|---|",
        f"| tactics | {tactics} |",
        f"| sub-technique of | {parent} |",
        f"| sub-techniques | {subs} |",
        f"| layer | {t.quantum_layer} |",
        f"| impact (CIA) | {', '.join(t.cia) or '-'} |",
        f"| assets | {', '.join(t.assets) or '-'} |",
        f"| attacker positions | {', '.join(t.positions) or '-'} |",
        f"| maturity | {t.maturity} (step likelihood {t.base_likelihood}) |",
        f"| ATLAS | {atlas_links(t.atlas_refs)} |",
        "",
        "## Prerequisites and what it provides",
        "",
    ]
    if not t.in_graph:
        lines += [
            "An umbrella record: it has no `requires`/`provides` of its own and is not a step "
            "of the attack graph; its sub-techniques are.",
            "",
        ]
    if t.requires:
        lines += ["Requires (all of):", "", fact_list(kb, t.requires)]
    if t.requires_any:
        lines += ["Requires (at least one of):", "", fact_list(kb, t.requires_any)]
    if t.provides:
        lines += ["Provides:", "", fact_list(kb, t.provides)]
    mitigations = kb.mitigations_for(t.id)
    lines += ["## Mitigations", ""]
    if mitigations:
        lines += ["| mitigation | effect | use |", "|---|---|---|"]
        lines += [
            f"| [{m.id} {m.name}](../mitigations/{m.id}.md) | {effect} | {cell(use)} |"
            for m, use, effect in mitigations
        ]
        lines.append("")
    else:
        lines += ["None in the knowledge base.", ""]
    lines += ["## Papers", "", references(t.references)]
    lines += ["## Attacks implementing it", ""]
    if implemented:
        lines += [attack_section(name, attacks) for name in implemented]
    else:
        lines += [
            "None: an access step the deployment itself grants, or not implemented yet.",
            "",
        ]
    lines += [technique_measurements(t.id, effects)]
    return "\n".join(lines)


def mitigation_page(
    kb: Catalog,
    m: Mitigation,
    defenses: dict[str, type],
    effects: dict[str, Any] | None,
) -> str:
    implemented = list(m.implemented_by) + sorted(
        n for n, c in defenses.items() if c.mitigation_id == m.id and n not in m.implemented_by
    )
    lines = [
        f"# {m.id} {m.name}",
        "",
        rst_to_md(m.description),
        "",
        "| | |",
        "|---|---|",
        f"| category | {m.category} |",
        f"| ATLAS | {atlas_links(m.atlas_refs)} |",
        "",
        "## Techniques it acts on",
        "",
        "Effect in the attack graph: *blocks* removes the technique, *reduces* halves its "
        "step likelihood, *detects* multiplies it by 0.8.",
        "",
        "| technique | effect | use |",
        "|---|---|---|",
    ]
    for use in m.techniques:
        t = kb.technique(use.id)
        lines.append(
            f"| [{t.id} {t.name}](../techniques/{t.id}.md) | {use.effect} | {cell(use.use)} |"
        )
    lines += ["", "## Papers", "", references(m.references), "## Defenses implementing it", ""]
    if implemented:
        lines += [defense_section(name, defenses) for name in implemented]
    else:
        lines += ["None registered yet: the mitigation is modelled in the attack graph only.", ""]
    lines += [mitigation_measurements(m.id, effects)]
    return "\n".join(lines)


def technique_index(kb: Catalog, effects: dict[str, Any] | None) -> str:
    lines = [
        "# Techniques",
        "",
        "One page per technique and sub-technique of the kill-chain knowledge base "
        "(`src/qmlsec/killchain/data/techniques.yaml`), generated at build time, grouped by "
        "tactic in kill-chain order as in the ATLAS matrix. A technique with several "
        "tactics is listed under each.",
        "",
    ]
    if effects is not None:
        lines += [source_line(effects), ""]
    for tactic in kb.tactics:
        members = kb.techniques(tactic=tactic.id)
        lines += [f"## {tactic.name}", "", rst_to_md(tactic.description), ""]
        if not members:
            lines += ["No technique yet.", ""]
            continue
        lines += ["| technique | layer | implemented by | outcome (default assessment) |"]
        lines += ["|---|---|---|---|"]
        for t in members:
            row = (effects or {}).get("techniques", {}).get(t.id) or {}
            impl = ", ".join(f"`{n}`" for n in t.implemented_by) or "-"
            lines.append(
                f"| [{t.id} {t.name}]({t.id}.md) | {t.quantum_layer} | {impl} "
                f"| {row.get('outcome') or 'not measured'} |"
            )
        lines.append("")
    return "\n".join(lines)


def mitigation_index(kb: Catalog) -> str:
    lines = [
        "# Mitigations",
        "",
        "One page per mitigation of the knowledge base "
        "(`src/qmlsec/killchain/data/mitigations.yaml`), generated at build time.",
        "",
        "| mitigation | category | techniques | implemented by |",
        "|---|---|---|---|",
    ]
    for m in kb.mitigations:
        impl = ", ".join(f"`{n}`" for n in m.implemented_by) or "-"
        lines.append(
            f"| [{m.id} {m.name}]({m.id}.md) | {m.category} | {len(m.techniques)} | {impl} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    kb = load_catalog()
    attacks, defenses = available_attacks(), available_defenses()
    effects = load_effects()
    nav_t = ["* [Overview](index.md)"]
    for t in kb.all_techniques():
        path = f"techniques/{t.id}.md"
        with mkdocs_gen_files.open(path, "w") as fd:
            fd.write(technique_page(kb, t, attacks, effects))
        indent = "    " if t.is_subtechnique else ""
        nav_t.append(f"{indent}* [{t.id} {t.name}]({t.id}.md)")
    with mkdocs_gen_files.open("techniques/index.md", "w") as fd:
        fd.write(technique_index(kb, effects))
    with mkdocs_gen_files.open("techniques/SUMMARY.md", "w") as fd:
        fd.write("\n".join(nav_t) + "\n")
    nav_m = ["* [Overview](index.md)"]
    for m in kb.mitigations:
        with mkdocs_gen_files.open(f"mitigations/{m.id}.md", "w") as fd:
            fd.write(mitigation_page(kb, m, defenses, effects))
        nav_m.append(f"* [{m.id} {m.name}]({m.id}.md)")
    with mkdocs_gen_files.open("mitigations/index.md", "w") as fd:
        fd.write(mitigation_index(kb))
    with mkdocs_gen_files.open("mitigations/SUMMARY.md", "w") as fd:
        fd.write("\n".join(nav_m) + "\n")


main()
