"""Shot splitting: every job's shots are spread equally over several providers.

Mitigation QML.M0012 (multi-provider execution), after Upadhyay and Ghosh, "Trustworthy
and Reliable Deep-Learning-Based Quantum Computing: Shot Splitting across Providers"
(arXiv:2305.01826): the user splits the shots of each job equally over ``providers``
independent clouds and merges the counts, so a single tampering or downgraded provider
only corrupts ``1/providers`` of the shots and its damage is diluted. Merging equal shot
shares is the same as averaging the returned ``<Z_i>``; the merged expectations go
through the victim's classical head.

Measured against ``tampering.measurement``: the attack's rates are replayed with the
tampering provider answering one share and ``providers - 1`` honest clouds (fresh
seeds, same device) answering the rest; the headline is the worst accuracy drop. The
per-rate spread between the tampering provider and the honest mean is reported as
``provider_gap_<rate>`` (what the paper's adaptive weighting would act on).

Cost: ``providers`` times the jobs (and per-job fees) for the same total shots, and the
coordination of several accounts.

Not covered: the paper's adaptive re-weighting of providers by their disagreement,
several colluding providers, queue-time differences between providers.

Example:
    >>> ShotSplitting().params.providers
    3
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import Field

from qmlsec.attacks.access import installed, provider_cloud, serve
from qmlsec.attacks.setup import AttackSetup
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.provider.base import ProviderDefense
from qmlsec.exceptions import ConfigError


class ShotSplittingParams(FrozenModel):
    """Parameters of :class:`ShotSplitting`."""

    providers: int = Field(3, ge=2)
    """Providers the shots are split over (one of them tampers)."""


def expectations(model: Any, cloud: Any, X: np.ndarray, *, device: str | None, shots: int,
                 seed: int) -> np.ndarray:  # fmt: skip
    """``<Z_i>`` of the victim's circuit for ``X`` answered by ``cloud``."""
    endpoint = serve(model, cloud, device=device, shots=shots, seed=seed)
    return np.asarray(endpoint.query(X, output="expectations", seed=seed).values, dtype=float)


def labels_from(model: Any, exp: np.ndarray) -> np.ndarray:
    """The victim's predicted labels from merged expectations (its classical head)."""
    with torch.no_grad():
        logits = model.model_.head(torch.as_tensor(exp, dtype=torch.float64))
    return np.asarray(model.classes_)[logits.argmax(1).numpy()]


class ShotSplitting(ProviderDefense):
    """Split each job's shots equally over several providers and merge the counts."""

    name: ClassVar[str] = "provider.shot_splitting"
    mitigation_id: ClassVar[str] = "QML.M0012"
    counters: ClassVar[tuple[str, ...]] = ("tampering.measurement",)
    Params = ShotSplittingParams

    def apply(self, session: Any) -> int:
        """Nothing to install on one provider; returns the number of providers used."""
        return self.params.providers

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Replay the tampering rates with the shots split over honest and tampering clouds."""
        attack: Any = setup.attack_cls(setup.target, dict(setup.params), seed=seed)
        p, n = attack.params, self.params.providers
        if p.shots < n:
            raise ConfigError(f"{p.shots} shots cannot be split over {n} providers",
                              hint="use at least one shot per provider")  # fmt: skip
        start = time.perf_counter()
        result = setup.run_undefended(seed)
        noise = 1.0 if p.noisy else 0.0
        bad = provider_cloud(setup.target, device=p.device, seed=seed, noise_scale=noise)
        honest = [provider_cloud(None, device=p.device, seed=derive_seed(self.seed, "split", k),
                                 noise_scale=noise) for k in range(n - 1)]  # fmt: skip
        X, y = setup.ctx.x_test[: p.max_samples], np.asarray(setup.ctx.y_test[: p.max_samples])
        share, model = p.shots // n, setup.model
        good = np.mean([expectations(model, c, X, device=p.device, shots=share, seed=seed)
                        for c in honest], axis=0)  # fmt: skip
        own = expectations(model, bad, X, device=p.device, shots=share, seed=seed)
        clean = (good * (n - 1) + own) / n
        clean_acc = float(np.mean(labels_from(model, clean) == y))
        drops = []
        for i, rate in enumerate(p.rates):
            with installed(bad, attack.tamper(rate, i)):
                tampered = expectations(model, bad, X, device=p.device, shots=share, seed=seed)
            merged = (good * (n - 1) + tampered) / n
            drops.append(clean_acc - float(np.mean(labels_from(model, merged) == y)))
            result.metrics[f"accuracy_drop_{rate:g}"] = drops[-1]
            result.metrics[f"provider_gap_{rate:g}"] = float(np.abs(tampered - good).mean())
        result.metrics["clean_accuracy"] = clean_acc
        result.metrics["max_accuracy_drop"] = max(drops, default=0.0)
        result.notes.append(f"{self.name}: shots split over {n} providers, one tampering")
        return result, DefenseCost(seconds=time.perf_counter() - start,
                                   extra={"providers": float(n), "job_multiplier": float(n),
                                          "shots_per_provider": float(share),
                                          "clean_accuracy_split": clean_acc})  # fmt: skip
