"""Pydantic models of the knowledge-base records (tactics, techniques, mitigations...).

The records are ATLAS-shaped (``id``, ``name``, ``description``, ``tactics``,
``subtechnique-of``, ``maturity``, ``references``, mitigations with
``techniques: [{id, use}]``) plus our own keys (``requires``, ``provides``,
``quantum_layer``, ``cia``, ``atlas_refs``, ``implemented_by``...). Every model is
frozen and rejects unknown keys, so a typo in a YAML file is an error, not a silent
default. Cross-record checks (does a referenced ID exist?) live in
:mod:`qmlsec.killchain.catalog`.

Example:
    >>> from qmlsec.killchain.schema import Technique
    >>> t = Technique.model_validate({
    ...     "id": "QML.T0025", "name": "Demo", "description": "A demo record.",
    ...     "tactics": ["QML.TA0001"], "quantum_layer": "privacy", "maturity": "feasible",
    ...     "requires": ["access.api_query"], "provides": ["goal.model_stolen"]})
    >>> t.is_subtechnique, t.in_graph, t.base_likelihood
    (False, True, 0.5)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

TACTIC_ID = r"^QML\.TA\d{4}$"
TECHNIQUE_ID = r"^QML\.T\d{4}(\.\d{3})?$"
MITIGATION_ID = r"^QML\.M\d{4}$"
ATLAS_TACTIC_ID = r"^AML\.TA\d{4}$"
ATLAS_REF_ID = r"^AML\.(T\d{4}(\.\d{3})?|M\d{4})$"
FACT_ID = r"^(sys|entry|access|know|cap|state|goal)\.[a-z0-9_]+$"
REGISTRY_NAME = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"

Maturity = Literal["demonstrated", "feasible", "theoretical"]
Layer = Literal["physical", "data-algorithm", "privacy", "classical-infra"]
Position = Literal[
    "api_user",
    "co_tenant",
    "untrusted_classical_cloud",
    "untrusted_quantum_cloud",
    "supply_chain",
    "physical_insider",
]
Cia = Literal["C", "I", "A"]
Asset = Literal[
    "training_data",
    "inference_data",
    "encoding_circuit",
    "pqc_architecture",
    "parameters",
    "model_outputs",
    "gradients",
    "transpiled_circuit",
    "quantum_hardware",
    "classical_infrastructure",
    "billing",
]
Effect = Literal["blocks", "reduces", "detects"]

FactId = Annotated[str, StringConstraints(pattern=FACT_ID)]
TechniqueId = Annotated[str, StringConstraints(pattern=TECHNIQUE_ID)]
RegistryName = Annotated[str, StringConstraints(pattern=REGISTRY_NAME)]
AtlasRef = Annotated[str, StringConstraints(pattern=ATLAS_REF_ID)]

#: Default step likelihood by maturity (documented in techniques.yaml).
MATURITY_LIKELIHOOD: dict[str, float] = {"demonstrated": 0.8, "feasible": 0.5, "theoretical": 0.3}
#: Likelihood multiplier of an enabled mitigation, by effect (documented in mitigations.yaml).
EFFECT_FACTOR: dict[str, float] = {"blocks": 0.0, "reduces": 0.5, "detects": 0.8}


class Record(BaseModel):
    """Base of every knowledge-base record: frozen, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Reference(Record):
    """A paper or page a record relies on (ATLAS ``{title, url}``)."""

    title: str = Field(min_length=1)
    url: str | None = None


class Tactic(Record):
    """A kill-chain stage, mapped to one ATLAS tactic."""

    id: Annotated[str, StringConstraints(pattern=TACTIC_ID)]
    name: str = Field(min_length=1)
    shortname: Annotated[str, StringConstraints(pattern=r"^[a-z]+(-[a-z]+)*$")]
    atlas_tactic: Annotated[str, StringConstraints(pattern=ATLAS_TACTIC_ID)]
    paper_stage: str | None = None
    aliases: tuple[str, ...] = ()
    description: str = Field(min_length=1)


class Technique(Record):
    """An attack technique or sub-technique with its prerequisites and effects."""

    id: TechniqueId
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    tactics: tuple[Annotated[str, StringConstraints(pattern=TACTIC_ID)], ...] = ()
    subtechnique_of: TechniqueId | None = Field(default=None, alias="subtechnique-of")
    quantum_layer: Layer
    cia: tuple[Cia, ...] = ()
    assets: tuple[Asset, ...] = ()
    positions: tuple[Position, ...] = ()
    requires: tuple[FactId, ...] = ()
    requires_any: tuple[FactId, ...] = ()
    provides: tuple[FactId, ...] = ()
    likelihood: float | None = Field(default=None, ge=0.0, le=1.0)
    atlas_refs: tuple[AtlasRef, ...] = ()
    maturity: Maturity
    references: tuple[Reference, ...] = ()
    implemented_by: tuple[RegistryName, ...] = ()

    @model_validator(mode="after")
    def _check_shape(self) -> Technique:
        is_sub = "." in self.id.removeprefix("QML.")
        if is_sub and self.subtechnique_of != self.id.rsplit(".", 1)[0]:
            raise ValueError(f"subtechnique-of must be {self.id.rsplit('.', 1)[0]}")
        if not is_sub and self.subtechnique_of is not None:
            raise ValueError("subtechnique-of is only allowed on sub-technique IDs (QML.Tnnnn.nnn)")
        if not is_sub and not self.tactics:
            raise ValueError("tactics must list at least one tactic")
        if (self.requires or self.requires_any) and not self.provides:
            raise ValueError("provides must not be empty when requires is given")
        return self

    @property
    def is_subtechnique(self) -> bool:
        """Whether this record is a sub-technique."""
        return self.subtechnique_of is not None

    @property
    def in_graph(self) -> bool:
        """Whether the technique is an action of the attack graph (umbrellas are not)."""
        return bool(self.provides)

    @property
    def base_likelihood(self) -> float:
        """Step likelihood before mitigations: explicit, else from maturity."""
        return (
            self.likelihood if self.likelihood is not None else MATURITY_LIKELIHOOD[self.maturity]
        )


class MitigationUse(Record):
    """One ``{id, use}`` link from a mitigation to a technique."""

    id: TechniqueId
    use: str = Field(min_length=1)
    effect: Effect = "reduces"


class Mitigation(Record):
    """A mitigation and the techniques it acts on."""

    id: Annotated[str, StringConstraints(pattern=MITIGATION_ID)]
    name: str = Field(min_length=1)
    category: Literal["Policy", "Technical - ML", "Technical - Cyber"]
    description: str = Field(min_length=1)
    techniques: tuple[MitigationUse, ...] = Field(min_length=1)
    atlas_refs: tuple[AtlasRef, ...] = ()
    references: tuple[Reference, ...] = ()
    implemented_by: tuple[RegistryName, ...] = ()


class Fact(Record):
    """A named fact of the attack graph vocabulary."""

    id: FactId
    description: str = Field(min_length=1)


class Goal(Record):
    """An adversary objective: a goal fact with an impact weight (1-5)."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z_]+$")]
    fact: FactId
    name: str = Field(min_length=1)
    impact: int = Field(ge=1, le=5)
    cia: Cia


class Condition(Record):
    """A declarative predicate over dotted attributes (no code is evaluated).

    Exactly one form: a comparison ``{attr, <op>: value}`` with op one of eq, ne, in,
    contains, gt, ge, lt, le; or a combinator ``all`` / ``any`` / ``not``.
    """

    attr: str | None = None
    eq: Any = None
    ne: Any = None
    in_: tuple[Any, ...] | None = Field(default=None, alias="in")
    contains: Any = None
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        ops = [
            k
            for k in ("eq", "ne", "in_", "contains", "gt", "ge", "lt", "le")
            if k in self.model_fields_set
        ]
        combos = [k for k in ("all", "any", "not_") if getattr(self, k) is not None]
        if self.attr is not None and len(ops) == 1 and not combos:
            return self
        if self.attr is None and not ops and len(combos) == 1:
            return self
        raise ValueError(
            "a condition is either {attr, <one operator>} or exactly one of all/any/not"
        )


class Rule(Record):
    """Derive ``fact`` when the condition ``when`` holds."""

    fact: FactId
    when: Condition


class Profile(Record):
    """An attacker profile: where the attacker sits and what it is after."""

    id: Annotated[str, StringConstraints(pattern=r"^[a-z]+(-[a-z]+)*$")]
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    positions: tuple[Position, ...] = Field(min_length=1)
    passive: bool = False
    goals: tuple[str, ...] = Field(min_length=1)
