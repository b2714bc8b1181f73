"""A campaign as data: the grid models x attacks x params x defenses x noise x seeds.

The spec is a YAML file (see ``examples/campaign.yaml``). :meth:`CampaignSpec.expand`
turns it into one :class:`RunConfig` per grid point; each run has a deterministic
:attr:`RunConfig.run_id` (a hash of its configuration and seed), so a resumed campaign
recognises the runs it already finished.

Example:
    >>> spec = CampaignSpec.model_validate({
    ...     "name": "demo",
    ...     "models": [{"dataset": "iris", "classes": None, "qubits": 4, "epochs": 3}],
    ...     "attacks": [{"name": "evasion.fgsm", "grid": {"eps": [[0.1], [0.2]]}}],
    ...     "defenses": [None], "seeds": [0, 1]})
    >>> runs = spec.expand()
    >>> len(runs), len({r.run_id for r in runs})
    (4, 4)
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from qmlsec.campaigns.victim_spec import VictimSpec
from qmlsec.config import FrozenModel
from qmlsec.exceptions import ConfigError


class AttackGrid(FrozenModel):
    """One attack with fixed params and a grid of varied params.

    Attributes:
        name: registered attack name, e.g. ``evasion.pgd``.
        params: parameters shared by every grid point.
        grid: parameter name -> list of values; the runs take the cartesian product.
    """

    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    grid: dict[str, list[Any]] = Field(default_factory=dict)

    @field_validator("grid")
    @classmethod
    def _non_empty(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in grid.items():
            if not values:
                raise ValueError(f"grid entry {key!r} has no values")
        return grid

    def points(self) -> list[dict[str, Any]]:
        """Every parameter combination (fixed params plus one grid point)."""
        keys = sorted(self.grid)
        combos = itertools.product(*(self.grid[k] for k in keys))
        return [{**self.params, **dict(zip(keys, combo, strict=True))} for combo in combos]


class NoiseSpec(FrozenModel):
    """The execution noise of the victim's endpoint during the attack.

    Attributes:
        shots: shots per endpoint query (``None``: exact outputs).
        budget: query budget in samples (``None``: unlimited).
    """

    shots: int | None = Field(default=None, ge=1)
    budget: int | None = Field(default=None, ge=1)

    @property
    def label(self) -> str:
        """e.g. ``exact`` or ``256 shots``."""
        return "exact" if self.shots is None else f"{self.shots} shots"


class RemoteTarget(FrozenModel):
    """A model served over HTTP that every run of the campaign attacks (black-box only).

    The victim spec then only says which data the attacker holds (its dataset, classes,
    split); no victim is trained. The API key is read from the environment variable
    ``api_key_env`` at run time, never stored in the spec or the results.

    Attributes:
        url: the server or model URL (see :class:`~qmlsec.attacks.http_target.HttpEndpoint`).
        protocol: ``qmlsec`` or ``oip`` (default: from the URL, else ``qmlsec``).
        model_name: the served model (default: from the URL).
        api_key_env: the environment variable holding the API key.
        timeout: seconds per HTTP request.
    """

    url: str = Field(min_length=8)
    protocol: Literal["qmlsec", "oip"] | None = None
    model_name: str | None = None
    api_key_env: str = "QMLSEC_TARGET_API_KEY"
    timeout: float = Field(default=30.0, gt=0)


class RunConfig(FrozenModel):
    """One run of a campaign: everything that determines its result."""

    campaign: str
    model: VictimSpec
    attack: str
    params: dict[str, Any] = Field(default_factory=dict)
    defense: str | None = None
    defense_params: dict[str, Any] = Field(default_factory=dict)
    noise: NoiseSpec = NoiseSpec()
    seed: int = 0
    samples: int = Field(default=30, ge=1)
    target: RemoteTarget | None = None
    """A remote model to attack instead of a trained victim (black-box attacks only)."""

    @property
    def run_id(self) -> str:
        """Hash of the configuration and seed (stable across processes and machines)."""
        canon = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()[:20]


class CampaignSpec(FrozenModel):
    """A campaign grid.

    Attributes:
        name: campaign name (stored with every run).
        models: victims to attack.
        attacks: attacks with their parameter grids.
        defenses: defense names; ``null`` (or ``none``) is the undefended run.
        defense_params: defense name -> params.
        noise: endpoint noise settings.
        seeds: run seeds.
        samples: test samples each attack is evaluated on.
        target: a model served over HTTP that every run attacks (``target_url`` is a
            shorthand for ``target: {url: ...}``); the models then only give the
            attacker's data.
    """

    name: str = Field(min_length=1)
    models: tuple[VictimSpec, ...] = Field(min_length=1)
    attacks: tuple[AttackGrid, ...] = Field(min_length=1)
    defenses: tuple[str | None, ...] = (None,)
    defense_params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    noise: tuple[NoiseSpec, ...] = (NoiseSpec(),)
    seeds: tuple[int, ...] = Field((0,), min_length=1)
    samples: int = Field(default=30, ge=1)
    target: RemoteTarget | None = None

    @model_validator(mode="before")
    @classmethod
    def _target_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and "target_url" in data:
            data = dict(data)
            url = data.pop("target_url")
            data["target"] = {**(data.get("target") or {}), "url": url}
        return data

    @field_validator("defenses", mode="before")
    @classmethod
    def _none_names(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(None if v in (None, "none", "") else v for v in value)
        return value

    def expand(self) -> list[RunConfig]:
        """Every run of the grid, in a deterministic order."""
        runs = []
        for model, attack, defense, noise, seed in itertools.product(
            self.models, self.attacks, self.defenses, self.noise, self.seeds
        ):
            for params in attack.points():
                runs.append(
                    RunConfig(
                        campaign=self.name,
                        model=model,
                        attack=attack.name,
                        params=params,
                        defense=defense,
                        defense_params=self.defense_params.get(defense or "", {}),
                        noise=noise,
                        seed=seed,
                        samples=self.samples,
                        target=self.target,
                    )  # fmt: skip
                )
        return runs

    def check(self) -> None:
        """Check everything a run needs before any work or file is created.

        Raises :class:`ConfigError` for an unregistered attack or defense, invalid attack
        or defense params, an unknown dataset, or a device that is unknown or smaller
        than its victim.
        """
        from qmlsec.attacks.registry import available_attacks
        from qmlsec.defenses.registry import available_defenses

        attacks, defenses = available_attacks(), available_defenses()
        for grid in self.attacks:
            if grid.name not in attacks:
                raise ConfigError(f"campaign {self.name!r}: no attack named {grid.name!r}",
                                  hint="run `qmlsec attack list`")  # fmt: skip
            for point in grid.points():
                attacks[grid.name].validate_params(point)
            if self.target is not None:
                from qmlsec.attacks.remote import check_remote

                check_remote(attacks[grid.name])
        if self.target is not None and self.defenses != (None,):
            raise ConfigError(
                f"campaign {self.name!r}: defenses cannot be applied to a remote target",
                hint="a URL target is attacked as it is served; set defenses: [null]",
            )
        for name in self.defenses:
            if name is not None and name not in defenses:
                raise ConfigError(
                    f"campaign {self.name!r}: no defense named {name!r}",
                    hint="registered: " + (", ".join(defenses) or "none yet"),
                )
        for name, params in self.defense_params.items():
            if name not in defenses:
                raise ConfigError(f"campaign {self.name!r}: defense_params names no defense "
                                  f"{name!r}", hint="use a registered defense name")  # fmt: skip
            defenses[name].validate_params(params)
        for model in self.models:
            _check_victim(self.name, model)


def _check_victim(campaign: str, model: VictimSpec) -> None:
    """The victim's dataset exists and its device is known and large enough."""
    from qmlsec.cloud.devices import get_device
    from qmlsec.data import available_datasets
    from qmlsec.exceptions import QmlsecError

    dataset = model.dataset
    is_file = Path(dataset).suffix.lower() in (".csv", ".npz")
    if is_file and not Path(dataset).is_file():
        raise ConfigError(f"campaign {campaign!r}: dataset file {dataset} does not exist",
                          hint="pass an existing CSV/NPZ file or a built-in name")  # fmt: skip
    if not is_file and dataset not in available_datasets():
        raise ConfigError(
            f"campaign {campaign!r}: unknown dataset {dataset!r}",
            hint="built-in: " + ", ".join(available_datasets()) + "; or a CSV/NPZ path",
        )
    try:
        device = get_device(model.device)
    except QmlsecError as err:
        raise ConfigError(f"campaign {campaign!r}: {err.message}", hint=err.hint) from None
    if not device.is_ideal and device.num_qubits < model.qubits:
        raise ConfigError(
            f"campaign {campaign!r}: device {model.device} has {device.num_qubits} qubits, "
            f"the victim needs {model.qubits}",
            hint="pick a larger device (`qmlsec devices --min-qubits N`) or fewer qubits",
        )


def load_spec(path: Path | str) -> CampaignSpec:
    """Read and validate a campaign spec YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"campaign spec {path} not found", hint="pass an existing YAML file"
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"{path.name}: not valid YAML: {' '.join(str(err).split())}",
            hint="fix the YAML syntax",
        ) from None
    except OSError as err:
        raise ConfigError(
            f"cannot read campaign spec {path}: {err.strerror or err}",
            hint="pass a readable YAML file",
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path.name}: expected a mapping", hint="see examples/campaign.yaml")
    try:
        return CampaignSpec.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        raise ConfigError(f"{path.name}: field '{where}': {first['msg']}",
                          hint="see examples/campaign.yaml") from None  # fmt: skip
