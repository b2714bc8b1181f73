"""The configuration of ``qmlsec assess``: one frozen model, read from one YAML file.

Every attack's parameters start from its own defaults (the settings its module documents
and measures with; ``budgets: check`` and ``--quick`` start from its ``check_params``
instead: the small, fast budgets every registered attack declares), then
:attr:`AssessConfig.params` for that attack (:attr:`QuickSettings.params` under
``--quick``), then the shared ε list for attacks that take ``eps``. ``--quick`` also
shrinks the victim, samples, ε values and sweeps.

Example:
    >>> cfg = AssessConfig()
    >>> cfg.victim.dataset, cfg.victim.classes, cfg.victim.qubits
    ('digits', '0-3', 8)
    >>> quick = cfg.quick_mode()
    >>> quick.quick_applied, quick.victim.epochs < cfg.victim.epochs
    (True, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from qmlsec.campaigns.victim_spec import VictimSpec
from qmlsec.config import FrozenModel
from qmlsec.exceptions import ConfigError
from qmlsec.killchain.schema import Profile


class ProfileSpec(FrozenModel):
    """An attacker profile defined in the config (same fields as the knowledge base's)."""

    id: str
    name: str
    description: str
    positions: tuple[str, ...] = Field(min_length=1)
    passive: bool = False
    goals: tuple[str, ...] = Field(min_length=1)

    def to_profile(self) -> Profile:
        """The knowledge-base :class:`Profile` record (validated)."""
        return Profile.model_validate(self.model_dump())


EXTRA_PROFILES = (
    ProfileSpec(
        id="malicious-api-user", name="Malicious API user",
        description="A client of the inference API who copies the model through its answers "
        "and crafts adversarial inputs with the copy.",
        positions=("api_user",), goals=("model_stolen", "integrity_lost"),
    ),
    ProfileSpec(
        id="provider-with-api-access", name="Quantum provider with API access",
        description="The quantum provider, also a client of the inference API, steals the "
        "model from the circuits it executes and attacks the deployment white-box.",
        positions=("untrusted_quantum_cloud", "api_user"), goals=("integrity_lost",),
    ),
)  # fmt: skip

ASSESS_VICTIM = VictimSpec(
    finetune_epochs=2, finetune_samples=128, finetune_batch_size=16, finetune_shots=512,
    finetune_eval_samples=90,
)  # fmt: skip
"""The default victim: pre-trained in exact simulation, then two SPSA epochs over 128
training samples on the device (768 device circuits at 512 shots, ~20 s here). Its
deployment distrusts both clouds (malicious, the campaign default), so the classical-cloud adversary's paths
(poisoning, QUID, backdoors, gradient inversion) run beside the quantum provider's; the
endpoint answers from the classical cloud's exact simulation with ``endpoint_shots``
per query (a device query costs about a second and black-box attacks issue hundreds)."""

DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "evasion.bim": {"steps": 8},
    "evasion.pgd": {"steps": 8},
    "evasion.mim": {"steps": 8},
    "evasion.spsa": {"steps": 6, "samples": 8},
    "evasion.transfer": {"steps": 8},
    "extraction.substitute": {"queries": 200, "epochs": 8},
    "extraction.quantumleak": {"queries": 200, "members": 3, "epochs": 6},
    "inference.membership_shadow": {"shadows": 2},
    "inference.model_inversion": {"steps": 15},
    # one secret pair: each secret's final state is a 12-qubit density matrix (~30 s)
    "leakage.crosstalk": {"pairs": 1},
    "leakage.reset": {"pairs": 1},
    "poisoning.label_flip": {"rates": [0.1, 0.3]},
    "poisoning.quid": {"rates": [0.1, 0.3]},
}


class DefenseSettings(FrozenModel):
    """Which defenses re-run the attacks.

    Attributes:
        enabled: re-run every executed attack with its linked defenses.
        include, exclude: defense registry names to keep / drop (empty include = all).
        params: defense name -> params (over the defense's ``check_params``).
        max_per_attack: at most this many defenses per attack run.
        skip_roles: defense roles not run (e.g. ``trainer``: those retrain the victim).
        cover: add, for a selected defense none of whose attacks ran, the best derived
            path that runs one, so that every defense is measured where a path allows.
    """

    enabled: bool = True
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    max_per_attack: int = Field(default=3, ge=1)
    skip_roles: tuple[str, ...] = ()
    cover: bool = True


class QuickSettings(FrozenModel):
    """What ``--quick`` changes (merged over the full config)."""

    victim: dict[str, Any] = Field(
        default_factory=lambda: {
            "epochs": 6, "layers": 2, "max_train": 120, "finetune_epochs": 1,
            "finetune_samples": 32, "finetune_shots": 256, "finetune_eval_samples": 32,
        }
    )  # fmt: skip
    test_samples: int = 12
    max_paths: int = 2
    eps: tuple[float, ...] = (0.1, 0.3)
    params: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"leakage.crosstalk": {"pairs": 1}, "leakage.reset": {"pairs": 1}}
    )
    """Per-attack params under ``--quick`` (over ``check_params``, not over ``params``)."""
    sweeps: dict[str, dict[str, list[Any]]] = Field(
        default_factory=lambda: {"extraction.substitute": {"queries": [20, 60]}}
    )
    noise_scales: tuple[float, ...] = (0.0, 1.0, 4.0)
    noise_samples: int = 16
    retrain_epochs: int = 2
    retrain_max_train: int = 80
    defenses_max_per_attack: int = 1
    defenses_skip_roles: tuple[str, ...] = ("trainer",)
    defenses_exclude: tuple[str, ...] = ("provider.reset_otp",)
    """Defenses too slow for the quick run (the one-time pad pads 12-qubit density matrices)."""
    defenses_cover: bool = False
    """Whether paths are added to measure defenses none of whose attacks ran."""
    max_samples: int = 4
    """Cap of the ``max_samples`` param of provider-level attacks (device executions)."""
    run_time_limit_s: float = 30.0


class AssessConfig(FrozenModel):
    """Everything ``qmlsec assess`` does, as data.

    Attributes:
        seed: the run seed; every random draw derives from it.
        victim: the victim model and the device it runs on.
        profiles: knowledge-base attacker profile IDs (empty: all of them).
        extra_profiles: attacker profiles defined here.
        max_paths: attack paths per goal and profile.
        include, exclude: attack registry names to keep / drop (empty include = all).
        budgets: ``attack``: each attack starts from its own default params; ``check``:
            from its ``check_params`` (what ``--quick`` uses).
        params: attack name -> params (over the attack's defaults or ``check_params``).
        eps: the ε list of every attack taking ``eps``.
        eps_units: the unit of ``eps`` (``box``: a fraction of the input box width, so
            one list suits every dataset; ``raw``: raw feature units, the attacks'
            own default). Set on every attack taking ``eps_units`` unless its
            ``params`` name one.
        sweeps: attack name -> {param: values}; the stage runs once per value (for
            curves such as extraction agreement vs queries) and the last feeds forward.
        test_samples: test samples the attacks are evaluated on.
        samples: attack name -> test samples in its context instead of
            ``test_samples`` (shadow-model membership inference splits them into
            candidates and the auxiliary data its shadows train on: each shadow needs
            at least as many samples as the victim's PCA has components).
        endpoint_shots: shots per API query (``None``: exact probabilities).
        noise_scales, noise_samples, noise_shots: victim accuracy vs device noise.
        retrain_epochs, retrain_max_train: the recipe poisoning attacks retrain with.
        run_time_limit_s: wall-time limit of each attack run and each defended re-run;
            a run that passes it stops at its next progress report with status
            ``timed_out`` (``None``: no limit).
        defenses: defense re-runs.
        chains: run the built-in cross-layer chains with their oracles
            (:mod:`qmlsec.campaigns.chains`; ``--quick`` runs the quick ones).
        quick: what ``--quick`` changes.
        quick_applied: set by :meth:`quick_mode`.
    """

    seed: int = 0
    victim: VictimSpec = ASSESS_VICTIM
    profiles: tuple[str, ...] = ()
    extra_profiles: tuple[ProfileSpec, ...] = EXTRA_PROFILES
    max_paths: int = Field(default=3, ge=1)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    budgets: Literal["attack", "check"] = "attack"
    params: dict[str, dict[str, Any]] = Field(default_factory=lambda: dict(DEFAULT_PARAMS))
    eps: tuple[float, ...] = (0.05, 0.1, 0.2, 0.3)
    eps_units: Literal["box", "raw"] = "box"
    sweeps: dict[str, dict[str, list[Any]]] = Field(
        default_factory=lambda: {"extraction.substitute": {"queries": [25, 50, 100, 200]}}
    )
    # 100 samples: a rate's 95 % Wilson interval is at most +-0.10 wide (n = 96 suffices)
    test_samples: int = Field(default=100, ge=4)
    samples: dict[str, int] = Field(default_factory=lambda: {"inference.membership_shadow": 120})
    endpoint_shots: int | None = Field(default=None, ge=1)
    noise_scales: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0, 8.0)
    noise_samples: int = Field(default=100, ge=1)
    noise_shots: int = Field(default=512, ge=1)
    retrain_epochs: int = Field(default=5, ge=1)
    retrain_max_train: int = Field(default=200, ge=8)
    run_time_limit_s: float | None = Field(default=120.0, gt=0)
    defenses: DefenseSettings = DefenseSettings()
    chains: bool = True
    quick: QuickSettings = QuickSettings()
    quick_applied: bool = False

    @field_validator("victim", mode="before")
    @classmethod
    def _over_assess_victim(cls, value: Any) -> Any:
        """A ``victim:`` mapping changes the assessment's victim, not the bare defaults."""
        if isinstance(value, dict):
            return {**ASSESS_VICTIM.model_dump(), **value}
        return value

    def quick_mode(self) -> AssessConfig:
        """This config shrunk by :attr:`quick` to fit under a minute."""
        q = self.quick
        victim = self.victim.model_copy(update=q.victim)
        return self.model_copy(update={
            "victim": VictimSpec.model_validate(victim.model_dump()),
            "test_samples": min(self.test_samples, q.test_samples),
            "max_paths": min(self.max_paths, q.max_paths), "eps": q.eps,
            "sweeps": q.sweeps, "noise_scales": q.noise_scales,
            "noise_samples": min(self.noise_samples, q.noise_samples),
            "retrain_epochs": q.retrain_epochs, "retrain_max_train": q.retrain_max_train,
            "run_time_limit_s": min(self.run_time_limit_s or q.run_time_limit_s,
                                    q.run_time_limit_s),
            "defenses": self.defenses.model_copy(
                update={"max_per_attack": q.defenses_max_per_attack,
                        "skip_roles": q.defenses_skip_roles, "cover": q.defenses_cover,
                        "exclude": (*self.defenses.exclude, *q.defenses_exclude)}),
            "quick_applied": True,
        })  # fmt: skip

    def attack_params(self, name: str, check_params: dict[str, Any], fields: set[str]) -> dict:
        """The params an attack runs with (see the module docstring)."""
        over = self.quick.params if self.quick_applied else self.params
        base = check_params if self.quick_applied or self.budgets == "check" else {}
        params = {**dict(base), **over.get(name, {})}
        if "eps" in fields:
            params["eps"] = list(self.eps)
        if "eps_units" in fields:
            params.setdefault("eps_units", self.eps_units)
        return params

    def samples_for(self, attack: str) -> int:
        """Test samples in ``attack``'s context."""
        return int(self.samples.get(attack, self.test_samples))

    def wants(self, attack: str) -> bool:
        """Whether the include/exclude lists keep ``attack``."""
        return (not self.include or attack in self.include) and attack not in self.exclude


def load_assess_config(
    path: Path | str | None = None, *, quick: bool = False, seed: int | None = None
) -> AssessConfig:
    """The default config, or the one in ``path``; ``--quick`` and ``--seed`` applied."""
    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"config file {path} not found",
                              hint="see examples/assess.yaml") from None  # fmt: skip
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise ConfigError(f"{path.name}: not valid YAML: {' '.join(str(err).split())}",
                              hint="see examples/assess.yaml") from None  # fmt: skip
        except OSError as err:
            raise ConfigError(f"cannot read config file {path}: {err.strerror or err}",
                              hint="pass a readable YAML file") from None  # fmt: skip
        if not isinstance(data, dict):
            raise ConfigError(f"{path.name}: expected a mapping", hint="see examples/assess.yaml")
    if seed is not None:
        data["seed"] = seed
    try:
        config = AssessConfig.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        source = Path(path).name if path is not None else "assess config"
        raise ConfigError(f"{source}: field '{where}': {first['msg']}",
                          hint="see examples/assess.yaml for every key") from None  # fmt: skip
    return config.quick_mode() if quick else config
