"""The system model of a QMLaaS deployment and the facts derived from it.

A deployment is described pytm-style: users, the classical cloud, the quantum cloud,
the transpiler, the dataset, the model, the inference API, trust boundaries and data
flows, each with the flags the threat rules test (multi-tenant, returns
probabilities, shots per query...). It is read from YAML
(:meth:`SystemModel.from_yaml`) or built from an exposure ledger
(:meth:`SystemModel.from_ledger_entries`). Facts come from the declarative rules of
``facts.yaml`` (:func:`derive_facts`); nothing is evaluated as code.

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> from qmlsec.killchain.system import SystemModel, derive_facts
    >>> kb = load_catalog()
    >>> system = SystemModel.default()
    >>> system.quantum_cloud.multi_tenant, system.api.output
    (True, 'probabilities')
    >>> facts = derive_facts(system, kb.profile("malicious-co-tenant"), kb)
    >>> "entry.quantum_tenant" in facts, "entry.api" in facts
    (True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qmlsec.cloud.ledger import LedgerEntry
from qmlsec.cloud.parties import TrustLevel
from qmlsec.exceptions import ConfigError
from qmlsec.killchain.conditions import evaluate
from qmlsec.killchain.ledger import ledger_to_dict

if TYPE_CHECKING:
    from qmlsec.killchain.catalog import Catalog
    from qmlsec.killchain.schema import Profile

DEFAULT_SYSTEM = Path(__file__).resolve().with_name("data") / "default_system.yaml"
Trust = TrustLevel


class _Element(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = ""
    description: str = ""


class User(_Element):
    """A person or organisation that owns data or queries the model."""

    trust: Trust = TrustLevel.TRUSTED


class ClassicalCloud(_Element):
    """Pre-processing, optimizer and API host."""

    trust: Trust = TrustLevel.HONEST_BUT_CURIOUS
    computes_gradients: bool = True
    hosts_api: bool = True


class QuantumCloud(_Element):
    """The quantum provider: devices, queue, scheduler, billing."""

    trust: Trust = TrustLevel.HONEST_BUT_CURIOUS
    multi_tenant: bool = True
    qubit_reuse: bool = True
    device_pool: int = Field(default=3, ge=1)
    pay_per_shot: bool = True


class Transpiler(_Element):
    """The compiler that maps circuits to the device."""

    host: Literal["user", "classical_cloud", "quantum_cloud"] = "quantum_cloud"
    third_party: bool = True
    approximate_synthesis: bool = False


class Dataset(_Element):
    """The training data."""

    location: Literal["user", "classical_cloud"] = "classical_cloud"
    source: Literal["user", "third_party"] = "user"


class Model(_Element):
    """The hybrid QNN."""

    source: Literal["user", "third_party"] = "user"
    trained_on_quantum_cloud: bool = True
    encoding: str = "angle"
    n_qubits: int = Field(default=4, ge=1)


class Api(_Element):
    """The inference API."""

    exposed: bool = True
    output: Literal["labels", "probabilities", "expectations"] = "probabilities"
    shots_per_query: int = Field(default=1024, ge=1)
    pay_per_query: bool = True


class Boundary(BaseModel):
    """A trust boundary around some elements."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    trust: Trust
    elements: tuple[str, ...]


class Dataflow(BaseModel):
    """An asset handed from one party to another (one exposure-ledger entry)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    sink: str
    asset: str
    form: str = ""
    step: str = ""


class SystemModel(BaseModel):
    """A QMLaaS deployment.

    Example:
        >>> s = SystemModel.default().with_flags({"api.output": "labels"})
        >>> s.api.output
        'labels'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "deployment"
    description: str = ""
    users: tuple[User, ...] = (User(name="data owner"),)
    classical_cloud: ClassicalCloud = ClassicalCloud()
    quantum_cloud: QuantumCloud = QuantumCloud()
    transpiler: Transpiler = Transpiler()
    dataset: Dataset = Dataset()
    model: Model = Model()
    api: Api = Api()
    boundaries: tuple[Boundary, ...] = ()
    dataflows: tuple[Dataflow, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "system model") -> SystemModel:
        """Validate a mapping; errors name the source and the field."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "(document)"
            raise ConfigError(
                f"{source}: field '{field}': {first['msg']}",
                hint="see src/qmlsec/killchain/data/default_system.yaml for the expected keys",
            ) from err

    @classmethod
    def from_yaml(cls, path: Path | str) -> SystemModel:
        """Read a deployment from a YAML file."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError as err:
            raise ConfigError(
                f"system file {path} not found", hint="pass an existing YAML file"
            ) from err
        except yaml.YAMLError as err:
            raise ConfigError(
                f"{path.name}: not valid YAML: {err}", hint="fix the YAML syntax"
            ) from err
        if not isinstance(data, dict):
            raise ConfigError(
                f"{path.name}: expected a mapping at top level", hint="start with 'name:'"
            )
        return cls.from_dict(data, source=path.name)

    @classmethod
    def default(cls) -> SystemModel:
        """The default QMLaaS deployment shipped with the package."""
        return cls.from_yaml(DEFAULT_SYSTEM)

    @classmethod
    def from_ledger_entries(
        cls,
        entries: Iterable[LedgerEntry | Mapping[str, Any]],
        flags: Mapping[str, Any] | None = None,
    ) -> SystemModel:
        """Build a deployment from exposure-ledger entries plus explicit flags.

        Entries are :class:`~qmlsec.cloud.ledger.LedgerEntry` records (or mappings
        validated into them: parties, assets and trust levels of
        :mod:`qmlsec.cloud.parties`). See :func:`qmlsec.killchain.ledger.ledger_to_dict`.

        Example:
            >>> s = SystemModel.from_ledger_entries(
            ...     [{"step": "execute", "asset": "transpiled_circuit", "form": "native gates",
            ...       "sender": "transpiler", "receiver": "quantum_cloud",
            ...       "receiver_trust": "malicious"}],
            ...     flags={"quantum_cloud.multi_tenant": False})
            >>> s.quantum_cloud.trust.value, s.quantum_cloud.multi_tenant
            ('malicious', False)
        """
        data = ledger_to_dict(list(entries))
        model = cls.from_dict(data, source="exposure ledger")
        return model.with_flags(flags or {})

    def with_flags(self, flags: Mapping[str, Any]) -> SystemModel:
        """A copy with dotted-path overrides, e.g. ``{"api.output": "labels"}``."""
        data = self.model_dump(mode="json")
        for key, value in flags.items():
            node = data
            *parents, leaf = key.split(".")
            for part in parents:
                if not isinstance(node.get(part), dict):
                    raise ConfigError(
                        f"unknown system flag {key!r}",
                        hint="use paths like 'quantum_cloud.multi_tenant'",
                    )
                node = node[part]
            if leaf not in node:
                raise ConfigError(
                    f"unknown system flag {key!r}",
                    hint="use paths like 'quantum_cloud.multi_tenant'",
                )
            node[leaf] = value
        return type(self).from_dict(data, source="system flags")

    def may_modify(self, position: str) -> bool:
        """Whether an attacker at ``position`` may change what it handles.

        A provider position modifies only when the deployment's trust in that provider
        is ``malicious``; honest-but-curious providers observe, trusted ones do nothing.
        Other positions act on their own resources and may.
        """
        trust = {"untrusted_quantum_cloud": self.quantum_cloud.trust,
                 "untrusted_classical_cloud": self.classical_cloud.trust}.get(position)  # fmt: skip
        return trust is None or TrustLevel(trust).may_modify

    def context(self, profile: Profile | None = None) -> dict[str, Any]:
        """The mapping the fact rules test: the model plus ``attacker``."""
        data = self.model_dump(mode="json")
        data["attacker"] = {
            "positions": list(profile.positions) if profile else [],
            "passive": bool(profile.passive) if profile else False,
        }
        return data


def derive_facts(system: SystemModel, profile: Profile | None, catalog: Catalog) -> frozenset[str]:
    """The ``sys.*`` and ``entry.*`` facts that hold for this system and attacker."""
    ctx = system.context(profile)
    return frozenset(rule.fact for rule in catalog.rules if evaluate(rule.when, ctx))
