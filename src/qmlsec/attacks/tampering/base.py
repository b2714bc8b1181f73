"""Base class of the tampering family: one verb, ``tamper``, and the provider sweep.

A tampering attack alters circuits, parameters or results in flight from a provider
foothold. ``tamper(level, index)`` returns the
:class:`~qmlsec.cloud.providers.hooks.ProviderHook` that tampers at one ``level`` of the
attack's sweep (a rate, an angle size; ``index`` seeds it). :meth:`TamperingAttack.sweep`
serves the victim through the provider's cloud, measures its accuracy untampered and
then with each level's hook installed in turn, and reports the accuracy drops.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from qmlsec.attacks.access import accuracy, installed, provider_cloud
from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.result import AttackResult
from qmlsec.cloud.providers.hooks import ProviderHook


class TamperingAttack(Attack):
    """Alters circuits, parameters or results in flight, from a provider or toolchain foothold."""

    family: ClassVar[str] = "tampering"

    @abstractmethod
    def tamper(self, level: float, index: int) -> ProviderHook:
        """The provider hook that tampers at ``level`` (``index``: its place in the sweep)."""

    def sweep(self, ctx: AttackContext, levels: Sequence[float], name: str) -> AttackResult:
        """Accuracy of the victim through the provider, untampered and at every level.

        The params are a :class:`~qmlsec.attacks.access.ProviderRunParams` (device,
        noise, shots, samples). The result has the clean and per-level predictions per
        sample, the curve ``accuracy_vs_{name}``, and the metrics ``clean_accuracy``,
        ``max_accuracy_drop`` and ``accuracy_drop_{level}``.
        """
        p = self.params
        cloud = provider_cloud(self.target, device=p.device, seed=self.seed,
                               noise_scale=1.0 if p.noisy else 0.0)  # fmt: skip
        X, y = ctx.x_test[: p.max_samples], ctx.y_test[: p.max_samples]
        model, dev = self.target.model, p.device
        clean_acc, clean_pred = accuracy(
            model, cloud, X, y, device=dev, shots=p.shots, seed=self.seed
        )
        result = self.new_result()
        result.per_sample = {"label": list(y), "clean_prediction": list(clean_pred)}
        accs = []
        for i, level in enumerate(levels):
            with installed(cloud, self.tamper(level, i)):
                acc, pred = accuracy(model, cloud, X, y, device=dev, shots=p.shots, seed=self.seed)
            accs.append(acc)
            result.per_sample[f"prediction_{i}"] = list(pred)
            ctx.report("tampering", i + 1, len(levels))
        result.curves[f"accuracy_vs_{name}"] = {"x": list(levels), "y": accs}
        result.metrics = {
            "clean_accuracy": clean_acc,
            "max_accuracy_drop": clean_acc - min(accs),
            **{f"accuracy_drop_{v:g}": clean_acc - a for v, a in zip(levels, accs, strict=True)},
        }
        result.provides = ["goal.integrity_lost"] if clean_acc - min(accs) > 0 else []
        return result
