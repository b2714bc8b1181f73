"""Cross-layer kill chains executed end to end on one deployment, with an oracle beside each.

A chain is a fixed sequence of stages (technique, attack, position) that the knowledge
base's AND/OR graph also derives (``tests/campaigns/test_chains.py`` checks that every
chain is a path of its profile). :class:`ChainRunner` executes it on **its own copy of the
victim's deployment** (fresh clouds sharing the victim's ledger and cost), so what a
stage changes persists for the later ones and for nothing else: a planted trojan pass
stays on that copy's quantum cloud, and a backdoored model trained by a compromised
classical cloud is what that copy serves from then on.

Each stage gets only the typed facts earlier stages of the chain established
(:class:`~qmlsec.attacks.facts.Facts`); nothing reads the victim's spec, weights or
placement on the attacker's behalf. A white-box stage after a theft gets the model the
chain stole: the deployed pipeline's pre-processing and head with the **recovered**
weights (:func:`~qmlsec.campaigns.chain.stolen_model`). A stage whose required facts
are missing is not run (``blocked``, naming what is missing); a stage that runs but
establishes nothing its successors need is ``failed``; later stages run only from what
was actually obtained.

Beside every chain runs its **oracle**: the chain's end (its last stages) on a fresh
copy of the deployment given perfect knowledge
(:func:`~qmlsec.attacks.perfect_knowledge.perfect_facts`) of the facts the realistic
chain had to obtain. The report compares the end stage's measured effect with the
oracle's (the share of the oracle's effect the realistic chain achieved). Some chains
also run an **alternative** (chain 1: black-box transfer instead of the stolen model).

The victim's own checks (``check`` stages) run between a persistence stage and its use:
validation of the deployment on the victim's test inputs (predictions unchanged),
canary circuits (:class:`~qmlsec.defenses.provider.canary.CanaryCheck`) and a device
fingerprint (:class:`~qmlsec.defenses.provider.fingerprint_check.FingerprintCheck`);
the stage is achieved for the attacker when nothing alarms.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qmlsec.attacks.facts import Facts
from qmlsec.attacks.perfect_knowledge import perfect_facts
from qmlsec.attacks.registry import available_attacks
from qmlsec.attacks.targets import Position
from qmlsec.campaigns.assess_config import AssessConfig
from qmlsec.campaigns.chain import PathExecutor, Progress, StageRun
from qmlsec.campaigns.victim import Victim
from qmlsec.cloud.deployment import Deployment
from qmlsec.config import derive_seed
from qmlsec.killchain.catalog import Catalog
from qmlsec.stats import difference, proportion


@dataclass(frozen=True)
class Step:
    """One stage of a chain: ``attack`` implementing ``technique_id`` from ``position``."""

    technique_id: str
    attack: str
    position: str
    params: dict[str, Any] = field(default_factory=dict)


WHITE_BOX = ("know.architecture", "know.parameters")
"""What a white-box stage of a chain needs from an earlier stage (the stolen model)."""

CHECK = "victim checks"
"""A stage where the victim runs its own checks on the deployment (not an attack)."""


@dataclass(frozen=True)
class Chain:
    """A named cross-layer chain, its oracle and alternatives."""

    id: str
    title: str
    profile: str
    steps: tuple[Step | str, ...]
    oracle_facts: tuple[str, ...]
    oracle_steps: tuple[Step, ...]
    alternatives: dict[str, tuple[Step, ...]] = field(default_factory=dict)
    serving: str | None = None
    quick: bool = True

    @property
    def techniques(self) -> list[str]:
        """The chain's technique IDs in order (checks left out)."""
        return [s.technique_id for s in self.steps if isinstance(s, Step)]


QP, CT, API, CC, PHYS = ("untrusted_quantum_cloud", "co_tenant", "api_user",
                         "untrusted_classical_cloud", "physical_insider")  # fmt: skip
#: Victim traffic the provider observes, and triggered queries: every test sample the
#: assessment gives the stage, up to 40 (one device job each).
PLANT, TRIGGER = {"max_samples": 40}, {"max_samples": 40}
CHAINS: tuple[Chain, ...] = (
    Chain(
        "power-theft-whitebox",
        "Power side channel -> provider-side weight theft -> white-box evasion",
        "malicious-quantum-provider",
        (
            Step("QML.T0022", "sidechannel.power", PHYS),
            Step("QML.T0021", "extraction.provider_theft", QP),
            Step("QML.T0011.000", "evasion.pgd", API),
        ),
        oracle_facts=("know.architecture", "know.parameters"),
        oracle_steps=(Step("QML.T0011.000", "evasion.pgd", API),),
        alternatives={
            "black-box transfer": (
                Step("QML.T0025", "extraction.substitute", API),
                Step("QML.T0011.002", "evasion.transfer", API),
            )
        },
    ),  # fmt: skip
    Chain(
        "fingerprint-leakage-labels",
        "Device fingerprint -> victim qubit locality -> crosstalk leakage -> label inference",
        "malicious-co-tenant",
        (
            Step("QML.T0001", "recon.fingerprint", CT),
            Step("QML.T0001.000", "recon.locality_fingerprint", CT),
            Step("QML.T0023.001", "leakage.crosstalk", CT),
            Step("QML.T0024.000", "inference.label_clustering", CT),
        ),
        oracle_facts=("know.training_inputs",),
        oracle_steps=(Step("QML.T0024.000", "inference.label_clustering", CT),),
    ),  # fmt: skip
    Chain(
        "dormant-compiler-trojan",
        "Encoding inference -> dormant trojan planted in the compiler -> victim checks "
        "-> trojan triggered at inference",
        "malicious-quantum-provider",
        (
            Step("QML.T0002", "recon.encoding_inference", QP),
            Step("QML.T0014.001", "circuit.planted_trojan", QP, PLANT),
            CHECK,
            Step("QML.T0036", "evasion.backdoor_trigger", QP, TRIGGER),
        ),
        oracle_facts=("know.encoding",),
        oracle_steps=(
            Step("QML.T0014.001", "circuit.planted_trojan", QP, PLANT),
            Step("QML.T0036", "evasion.backdoor_trigger", QP, TRIGGER),
        ),
        serving="device",
    ),  # fmt: skip
    Chain(
        "classical-cloud-backdoor",
        "Compromised classical cloud poisons training -> backdoored model deployed "
        "-> triggered evasion through the API",
        "compromised-classical-cloud",
        (
            Step("QML.T0013", "poisoning.backdoor", CC),
            Step("QML.T0036", "evasion.backdoor_trigger", API, TRIGGER),
        ),
        oracle_facts=("know.architecture", "know.parameters"),
        oracle_steps=(Step("QML.T0011.000", "evasion.pgd", API),),
    ),  # fmt: skip
    Chain(
        "extraction-membership",
        "Model extraction through the API -> membership inference on the substitute "
        "-> transferred to the victim",
        "curious-api-user",
        (
            Step("QML.T0025", "extraction.substitute", API),
            Step("QML.T0037", "inference.membership_proxy", API),
        ),
        oracle_facts=("know.proxy_model",),
        oracle_steps=(Step("QML.T0037", "inference.membership_proxy", API),),
    ),  # fmt: skip
)
"""The built-in chains (``Chain.quick``: also run by ``qmlsec assess --quick``)."""


def chain_deployment(victim: Victim, chain: Chain) -> Deployment:
    """A fresh copy of the victim's deployment for one chain (same model and records)."""
    changes: dict[str, Any] = {} if chain.serving is None else {"serving": chain.serving}
    return victim.deployment.reconfigure(**changes)


def victim_checks(deployment: Deployment, victim: Victim, baseline: np.ndarray,
                  n: int, seed: int) -> dict[str, Any]:  # fmt: skip
    """The victim's own checks on ``deployment``; a JSON-ready stage record's metrics."""
    from qmlsec.defenses.provider.canary import CanaryCheck, shot_noise_threshold
    from qmlsec.defenses.provider.fingerprint_check import FingerprintCheck

    endpoint = deployment.endpoint()
    x, y = victim.x_test[:n], victim.y_test[:n]
    idx = np.asarray(endpoint.query(x, output="labels", seed=derive_seed(seed, "validate")).values)
    now = np.asarray(endpoint.classifier.classes_)[idx.astype(int)]
    unchanged = float(np.mean(now == baseline))
    accuracy = float(np.mean(now == y))
    # the user's acceptance test: accuracy below the one recorded at deployment by more
    # than sampling explains (the MOVER interval of the drop lies above zero)
    drop = difference(proportion(float(np.mean(baseline == y)), n), proportion(accuracy, n))
    validation_alarm = bool(drop.ci is not None and drop.ci[0] > 0)
    canary = CanaryCheck(seed=derive_seed(seed, "canary"))
    gen = np.random.default_rng(derive_seed(seed, "canary-inputs"))
    lo, hi = x.min(axis=0), x.max(axis=0)
    secret = gen.uniform(lo, hi, size=(canary.params.canaries, x.shape[1]))
    noisy = deployment.quantum.noise_scale > 0 and deployment.device != "ideal"
    expected = canary.known_outputs(deployment.model, secret, deployment.device, noisy)
    shots = deployment.shots or 1024
    threshold = shot_noise_threshold(expected, shots, canary.params.sigmas)
    gap = canary.check(endpoint, expected, secret, seed=derive_seed(seed, "canary-run"))
    fingerprint = FingerprintCheck({"claimed_device": deployment.device},
                                   seed=derive_seed(seed, "fingerprint"))  # fmt: skip
    fp_alarm = bool(fingerprint.apply(deployment.quantum))
    alarms = int(gap > threshold) + int(fp_alarm) + int(validation_alarm)
    return {
        "predictions_unchanged": unchanged, "validation_accuracy": accuracy, "n": n,
        "validation_drop": drop.to_dict(), "validation_alarm": validation_alarm,
        "canary_gap": gap, "canary_threshold": threshold, "canary_alarm": bool(gap > threshold),
        "fingerprint_alarm": fp_alarm, "alarms": alarms,
    }  # fmt: skip


class ChainRunner:
    """Executes the chains of an assessment beside the path executor (shared run IDs)."""

    def __init__(self, executor: PathExecutor, catalog: Catalog) -> None:
        self.executor = executor
        self.catalog = catalog
        self.executors: list[PathExecutor] = []
        """The executors of the chains proper (their runs get defended re-runs)."""

    @property
    def victim(self) -> Victim:
        return self.executor.victim

    @property
    def config(self) -> AssessConfig:
        return self.executor.config

    def _sub(self, deployment: Deployment, chain: str | None) -> PathExecutor:
        ex = self.executor
        sub = PathExecutor(ex.victim, ex.config, progress=ex.progress, runs=ex.runs,
                           deployment=deployment, persistent=True, chain=chain)  # fmt: skip
        if chain is not None:
            self.executors.append(sub)
        return sub

    def _stage(self, sub: PathExecutor, step: Step, facts: Facts,
               inputs: tuple[str, ...]) -> tuple[dict[str, Any], StageRun | None]:  # fmt: skip
        technique = self.catalog.technique(step.technique_id)
        needed = [f for f in technique.requires if f.split(".")[0] in ("know", "state")]
        if "cap.model_white_box" in technique.requires:  # a white-box stage needs the theft
            needed += [f for f in WHITE_BOX if f not in needed]
        missing = [f for f in needed if f not in facts]
        record: dict[str, Any] = {
            "technique_id": step.technique_id, "name": technique.name,
            "layer": technique.quantum_layer, "attack": step.attack,
            "position": step.position, "runs": [], "consumed": [], "established": [],
        }  # fmt: skip
        if missing:
            record.update(status="blocked", reason=f"missing {', '.join(missing)}")
            return record, None
        if step.attack not in available_attacks():
            record.update(status="blocked", reason=f"attack {step.attack!r} is not registered")
            return record, None
        if not self.config.wants(step.attack):
            record.update(status="blocked", reason="excluded by the assessment's include/exclude")
            return record, None
        held = set(facts.ids())
        facts.read.clear()
        run = sub._execute(step.attack, step.technique_id, Position(step.position), facts,
                           inputs, step.params or None)  # fmt: skip
        record["runs"] = [run.run_id]
        sub._cache[(step.attack, inputs)] = [run.run_id]  # a final run (defended re-runs)
        # what the run read, and what the stage's setup read for it (a stolen model)
        read = set(facts.read) | (run.setup.ctx.facts.read if run.setup is not None else set())
        record["consumed"] = sorted(read & held)
        if run.status != "ok":
            record.update(status="failed", reason=run.error or run.status)
            return record, run
        record["established"] = sorted(run.facts)
        record.update(status="executed", reason=None)
        return record, run

    def _steps(self, deployment: Deployment, steps: tuple[Step | str, ...], facts: Facts,
               tag: str, chain: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """Run ``steps`` in order on ``deployment`` from ``facts``; their stage records.

        ``chain``: the chain's ID when these are the chain's own stages (not its oracle
        or an alternative): their runs get the assessment's defended re-runs.
        """
        sub = self._sub(deployment, chain)
        n = min(len(self.victim.y_test), self.config.samples_for("evasion.pgd"))
        baseline = self._labels(deployment, n)
        inputs: tuple[str, ...] = (tag,)
        records: list[dict[str, Any]] = []
        for step in steps:
            if isinstance(step, str):
                start = time.perf_counter()
                metrics = victim_checks(sub.deployment, self.victim, baseline, n,
                                        derive_seed(self.config.seed, "checks", tag))  # fmt: skip
                records.append({
                    "technique_id": None, "name": CHECK, "layer": None, "attack": None,
                    "position": "user", "runs": [], "consumed": [], "established": [],
                    "status": "executed", "metrics": metrics,
                    "outcome": "achieved" if metrics["alarms"] == 0 else "detected",
                    "reason": None if metrics["alarms"] == 0 else
                    f"{metrics['alarms']} of the victim's checks alarmed",
                    "seconds": time.perf_counter() - start,
                })  # fmt: skip
                continue
            record, run = self._stage(sub, step, facts, inputs)
            records.append(record)
            if run is None or run.status != "ok":
                continue
            for fact in run.facts.values():
                facts.add(fact)
                model = getattr(fact, "model", None)
                if fact.id == "state.backdoor" and getattr(fact, "kind", "") == "data" and model:
                    # the compromised classical cloud deploys the model it trained
                    sub.deployment = sub.deployment.with_model(model)
            inputs = inputs + (run.run_id,)
        return records

    def _labels(self, deployment: Deployment, n: int) -> np.ndarray:
        endpoint = deployment.endpoint()
        seed = derive_seed(self.config.seed, "checks", "validate")
        idx = np.asarray(endpoint.query(self.victim.x_test[:n], output="labels", seed=seed).values)
        return np.asarray(endpoint.classifier.classes_)[idx.astype(int)]

    def run(self, chain: Chain) -> dict[str, Any]:
        """Execute ``chain``, its oracle and alternatives; the JSON-ready chain record."""
        start = time.perf_counter()
        v = self.victim
        stages = self._steps(chain_deployment(v, chain), chain.steps, Facts(), chain.id,
                             chain=chain.id)  # fmt: skip
        oracle_deployment = chain_deployment(v, chain)
        truth = perfect_facts(oracle_deployment, chain.oracle_facts, v.x_train, v.y_train)
        oracle = self._steps(oracle_deployment, chain.oracle_steps, truth, f"{chain.id}/oracle")
        alternatives = {
            name: self._steps(chain_deployment(v, chain), steps, Facts(), f"{chain.id}/{name}")
            for name, steps in chain.alternatives.items()
        }
        return {
            "id": chain.id, "title": chain.title, "profile": chain.profile,
            "techniques": chain.techniques,
            "layers": [s["layer"] for s in stages if s.get("layer")],
            "serving": chain.serving or v.deployment.spec.serving,
            "stages": stages,
            "oracle": {"facts": list(chain.oracle_facts), "stages": oracle},
            "alternatives": [{"name": k, "stages": s} for k, s in alternatives.items()],
            "seconds": time.perf_counter() - start,
        }  # fmt: skip


def run_chains(executor: PathExecutor, catalog: Catalog, *, quick: bool,
               progress: Progress | None = None,
               ) -> tuple[list[dict[str, Any]], list[PathExecutor]]:  # fmt: skip
    """Run the built-in chains (only the ``quick`` ones when ``quick``; only those of the
    config's ``profiles`` when it names any); their records and executors."""
    runner = ChainRunner(executor, catalog)
    wanted = set(executor.config.profiles)
    out = []
    for chain in CHAINS:
        if (quick and not chain.quick) or (wanted and chain.profile not in wanted):
            continue
        if progress is not None:
            progress(chain.id)
        out.append(runner.run(chain))
    return out, runner.executors
