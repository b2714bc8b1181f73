"""Load, validate and query the kill-chain knowledge base.

The knowledge base is a folder of YAML files (``tactics.yaml``, ``techniques.yaml``,
``mitigations.yaml``, ``profiles.yaml``, ``facts.yaml``). Loading validates every
record (:mod:`qmlsec.killchain.schema`) and every cross reference; a problem raises
:class:`~qmlsec.exceptions.KnowledgeBaseError` naming the file, the record and the
field.

Example:
    >>> from qmlsec.killchain.catalog import load_catalog, require_technique_id
    >>> kb = load_catalog()
    >>> kb.technique("QML.T0025").name
    'Model Extraction via the Inference API'
    >>> [t.shortname for t in kb.tactics][:3]
    ['reconnaissance', 'resource-development', 'initial-access']
    >>> require_technique_id("QML.T0011.000")
    'QML.T0011.000'
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from qmlsec.exceptions import KnowledgeBaseError, NotFoundError
from qmlsec.killchain.schema import (
    Fact,
    Goal,
    Mitigation,
    Profile,
    Rule,
    Tactic,
    Technique,
)
from qmlsec.killchain.validate import check_references

DATA_DIR = Path(__file__).resolve().with_name("data")
M = TypeVar("M", bound=BaseModel)


#: libyaml's parser when PyYAML was built with it (about 10x faster than the pure-Python
#: one, same safe constructor); the knowledge base is parsed on every CLI start.
_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=16)
def _load_yaml(path: str, mtime_ns: int, size: int) -> Any:
    """One parse per file version (``facts.yaml`` feeds three record lists, and the
    duplicate-ID check reads the others again); callers only read the result."""
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle.read(), Loader=_SafeLoader)


def _read(path: Path, key: str) -> list[Any]:
    try:
        stat = path.stat()
        doc = _load_yaml(str(path), stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError as err:
        raise KnowledgeBaseError(
            f"{path.name}: file not found in {path.parent}",
            hint="the knowledge base folder needs tactics, techniques, mitigations, profiles and facts YAML files",
        ) from err
    except yaml.YAMLError as err:
        raise KnowledgeBaseError(
            f"{path.name}: not valid YAML: {err}", hint="fix the YAML syntax"
        ) from err
    if not isinstance(doc, dict) or not isinstance(doc.get(key), list):
        raise KnowledgeBaseError(
            f"{path.name}: expected a top-level list '{key}:'", hint=f"start the file with '{key}:'"
        )
    return doc[key]


def _parse(path: Path, key: str, model: type[M]) -> tuple[M, ...]:
    out: list[M] = []
    for index, raw in enumerate(_read(path, key)):
        label = raw.get("id") or raw.get("fact") if isinstance(raw, dict) else None
        label = label or f"#{index}"
        try:
            out.append(model.model_validate(raw))
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(record)"
            raise KnowledgeBaseError(
                f"{path.name}: record {label}: field '{field}': {first['msg']}",
                hint=f"fix '{field}' of {label} in {path}",
            ) from err
    return tuple(out)


class Catalog:
    """The validated knowledge base with query helpers.

    Example:
        >>> kb = load_catalog()
        >>> [t.id for t in kb.techniques(tactic="impact")][:2]
        ['QML.T0011', 'QML.T0011.000']
        >>> kb.profile("malicious-quantum-provider").passive
        False
    """

    def __init__(
        self,
        tactics: Sequence[Tactic],
        techniques: Sequence[Technique],
        mitigations: Sequence[Mitigation],
        profiles: Sequence[Profile],
        facts: Sequence[Fact],
        goals: Sequence[Goal],
        rules: Sequence[Rule],
        source: Path = DATA_DIR,
    ) -> None:
        self.tactics: tuple[Tactic, ...] = tuple(tactics)
        self.mitigations: tuple[Mitigation, ...] = tuple(mitigations)
        self.profiles: tuple[Profile, ...] = tuple(profiles)
        self.facts: tuple[Fact, ...] = tuple(facts)
        self.goals: tuple[Goal, ...] = tuple(goals)
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.source = source
        self._techniques = {t.id: t for t in techniques}
        self._mitigations = {m.id: m for m in mitigations}
        self._profiles = {p.id: p for p in profiles}
        self._tactics = {t.id: t for t in tactics}
        self._goals = {g.id: g for g in goals}

    @classmethod
    def from_directory(cls, directory: Path) -> Catalog:
        """Load and validate the YAML files of ``directory``."""
        facts_path = directory / "facts.yaml"
        tactics = _parse(directory / "tactics.yaml", "tactics", Tactic)
        techniques = _parse(directory / "techniques.yaml", "techniques", Technique)
        mitigations = _parse(directory / "mitigations.yaml", "mitigations", Mitigation)
        profiles = _parse(directory / "profiles.yaml", "profiles", Profile)
        facts = _parse(facts_path, "facts", Fact)
        goals = _parse(facts_path, "goals", Goal)
        rules = _parse(facts_path, "rules", Rule)
        check_references(
            tactics=tactics,
            techniques=techniques,
            mitigations=mitigations,
            profiles=profiles,
            facts=facts,
            goals=goals,
            rules=rules,
            raw_ids=_raw_ids(directory),
        )
        return cls(tactics, techniques, mitigations, profiles, facts, goals, rules, directory)

    # ----------------------------------------------------------------- queries
    def technique(self, technique_id: str) -> Technique:
        """The technique with this ID (:class:`NotFoundError` if there is none)."""
        try:
            return self._techniques[technique_id]
        except KeyError:
            raise NotFoundError(
                f"no technique {technique_id!r} in the knowledge base",
                hint="run 'qmlsec threats list' to see the technique IDs",
            ) from None

    def techniques(self, tactic: str | None = None, layer: str | None = None) -> list[Technique]:
        """Techniques in ID order, optionally filtered by tactic (ID, name or alias) and layer."""
        wanted = self.tactic(tactic).id if tactic else None
        return [
            t
            for t in self._techniques.values()
            if (wanted is None or wanted in self.effective_tactics(t))
            and (layer is None or t.quantum_layer == layer)
        ]

    def effective_tactics(self, technique: Technique) -> tuple[str, ...]:
        """The tactics of a technique, inherited from the parent for a sub-technique."""
        if technique.tactics or technique.subtechnique_of is None:
            return technique.tactics
        return self._techniques[technique.subtechnique_of].tactics

    def subtechniques(self, technique_id: str) -> list[Technique]:
        """The sub-techniques of a technique."""
        return [t for t in self._techniques.values() if t.subtechnique_of == technique_id]

    def tactic(self, key: str) -> Tactic:
        """A tactic by ID, shortname, name or alias (case-insensitive)."""
        norm = key.strip().lower().replace("_", "-")
        for t in self.tactics:
            names = {t.id.lower(), t.shortname, t.name.lower(), *(a.lower() for a in t.aliases)}
            if norm in names or norm.replace("-", " ") in names:
                return t
        raise NotFoundError(
            f"no tactic {key!r}", hint="use one of: " + ", ".join(t.shortname for t in self.tactics)
        )

    def tactic_index(self, tactic_id: str) -> int:
        """Position of a tactic in kill-chain order."""
        return list(self._tactics).index(tactic_id)

    def mitigation(self, mitigation_id: str) -> Mitigation:
        """The mitigation with this ID (:class:`NotFoundError` if there is none)."""
        try:
            return self._mitigations[mitigation_id]
        except KeyError:
            raise NotFoundError(
                f"no mitigation {mitigation_id!r} in the knowledge base",
                hint="see mitigations.yaml or 'qmlsec threats show <technique>'",
            ) from None

    def mitigations_for(self, technique_id: str) -> list[tuple[Mitigation, str, str]]:
        """``(mitigation, use, effect)`` for every mitigation linked to a technique."""
        return [
            (m, u.use, u.effect)
            for m in self.mitigations
            for u in m.techniques
            if u.id == technique_id
        ]

    def profile(self, name: str) -> Profile:
        """An attacker profile by ID (:class:`NotFoundError` if there is none)."""
        try:
            return self._profiles[name]
        except KeyError:
            raise NotFoundError(
                f"no attacker profile {name!r}", hint="use one of: " + ", ".join(self._profiles)
            ) from None

    def goal(self, goal_id: str) -> Goal:
        """A goal by ID (:class:`NotFoundError` if there is none)."""
        try:
            return self._goals[goal_id]
        except KeyError:
            raise NotFoundError(
                f"no goal {goal_id!r}", hint="use one of: " + ", ".join(self._goals)
            ) from None

    def all_techniques(self) -> list[Technique]:
        """Every technique and sub-technique in ID order."""
        return list(self._techniques.values())

    def has_technique(self, technique_id: str) -> bool:
        """Whether a technique ID exists."""
        return technique_id in self._techniques

    def has_mitigation(self, mitigation_id: str) -> bool:
        """Whether a mitigation ID exists."""
        return mitigation_id in self._mitigations


def _raw_ids(directory: Path) -> dict[str, list[str]]:
    """IDs in file order, to report duplicates (the dicts above would hide them)."""
    return {
        "techniques.yaml": [
            r.get("id", "") for r in _read(directory / "techniques.yaml", "techniques")
        ],
        "mitigations.yaml": [
            r.get("id", "") for r in _read(directory / "mitigations.yaml", "mitigations")
        ],
        "tactics.yaml": [r.get("id", "") for r in _read(directory / "tactics.yaml", "tactics")],
        "profiles.yaml": [r.get("id", "") for r in _read(directory / "profiles.yaml", "profiles")],
    }


@functools.lru_cache(maxsize=8)
def _load_cached(directory: str) -> Catalog:
    return Catalog.from_directory(Path(directory))


def load_catalog(directory: Path | str | None = None) -> Catalog:
    """Load the knowledge base (the packaged one by default); cached per folder."""
    return _load_cached(str(Path(directory or DATA_DIR).resolve()))


def require_technique_id(technique_id: str) -> str:
    """Return ``technique_id`` if it exists, else raise :class:`KnowledgeBaseError`.

    Attacks call this for the technique they declare.

    Example:
        >>> require_technique_id("QML.T0025")
        'QML.T0025'
    """
    if not load_catalog().has_technique(technique_id):
        raise KnowledgeBaseError(
            f"technique {technique_id!r} is not in the kill-chain knowledge base",
            hint="use an ID from src/qmlsec/killchain/data/techniques.yaml",
        )
    return technique_id


def require_mitigation_id(mitigation_id: str) -> str:
    """Return ``mitigation_id`` if it exists, else raise :class:`KnowledgeBaseError`.

    Defenses call this for the mitigation they declare.

    Example:
        >>> require_mitigation_id("QML.M0010")
        'QML.M0010'
    """
    if not load_catalog().has_mitigation(mitigation_id):
        raise KnowledgeBaseError(
            f"mitigation {mitigation_id!r} is not in the kill-chain knowledge base",
            hint="use an ID from src/qmlsec/killchain/data/mitigations.yaml",
        )
    return mitigation_id
