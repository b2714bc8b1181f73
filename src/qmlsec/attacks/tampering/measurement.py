"""Measurement and result tampering by a malicious quantum provider.

After Upadhyay and Ghosh (arXiv:2209.11872, arXiv:2305.01826): the provider alters the
counts it returns. Three modes, each with a rate ``r`` swept over ``rates``:

- ``bitflip``: every measured bit of every shot flips with probability ``r``;
- ``bias``: a fraction ``r`` of the shots is replaced by the all-ones bitstring
  (pushing every ``<Z_i>`` towards -1);
- ``swap``: with probability ``r`` a job receives the counts of another job of the same
  batch (results swapped between inputs).

All act through the provider's ``alter_counts`` hook, after execution. Measured:
accuracy for each rate (per sample) and the drop from the untampered run.

Not covered: tampering with expectation values computed by the provider (only counts
are returned here) and adaptive tampering that targets chosen inputs.

Example:
    >>> flip = flip_bits({"00": 4}, 1.0, np.random.default_rng(0))
    >>> flip
    {'11': 4}
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.session import ProviderSession
from qmlsec.attacks.hardware.victim import VictimCircuits
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.tampering.base import TamperingAttack
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, rng


def flip_bits(counts: dict[str, int], rate: float, gen: np.random.Generator) -> dict[str, int]:
    """Counts with every bit of every shot flipped independently with probability ``rate``."""
    out: dict[str, int] = {}
    for key in sorted(counts):
        bits = np.array([c == "1" for c in key.replace(" ", "")])
        flips = gen.random((counts[key], len(bits))) < rate
        for row in bits[None, :] ^ flips:
            new = "".join("1" if b else "0" for b in row)
            out[new] = out.get(new, 0) + 1
    return out


def bias_counts(counts: dict[str, int], rate: float, gen: np.random.Generator) -> dict[str, int]:
    """Counts with a fraction ``rate`` of the shots moved to the all-ones bitstring."""
    keys = sorted(counts)
    shots = np.repeat(np.arange(len(keys)), [counts[k] for k in keys])
    moved = gen.random(len(shots)) < rate
    width = len(keys[0].replace(" ", "")) if keys else 0
    out: dict[str, int] = {}
    for idx in shots[~moved]:
        out[keys[idx]] = out.get(keys[idx], 0) + 1
    if moved.any():
        out["1" * width] = out.get("1" * width, 0) + int(moved.sum())
    return out


class MeasurementTamperingParams(FrozenModel):
    """Parameters of :class:`MeasurementTampering`."""

    mode: Literal["bitflip", "bias", "swap"] = "bitflip"
    rates: tuple[float, ...] = Field(default=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5))
    device: str = "fake_manila"
    noisy: bool = False
    shots: int = Field(default=1024, ge=1)
    max_samples: int = Field(default=60, ge=1)


class MeasurementTampering(TamperingAttack):
    """Provider flips bits, biases counts or swaps results between jobs (QML.T0017)."""

    name: ClassVar[str] = "tampering.measurement"
    technique_id: ClassVar[str] = "QML.T0017"
    requires = frozenset({Capability.PROVIDER_CONTROL})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = MeasurementTamperingParams
    check_params: ClassVar[dict] = {"rates": (0.0, 0.3), "max_samples": 8, "shots": 256}

    def tamper(self, session: ProviderSession, rate: float, index: int) -> None:
        """Install the counts hook of ``rate`` on ``session``."""
        gen = rng(self.seed, "measurement", index)
        mode = self.params.mode
        if mode == "bitflip":
            session.add_counts_hook(lambda c: flip_bits(c, rate, gen))
        elif mode == "bias":
            session.add_counts_hook(lambda c: bias_counts(c, rate, gen))
        else:
            previous: list[dict[str, int]] = []

            def swap(counts: dict[str, int]) -> dict[str, int]:
                out = previous[int(gen.integers(len(previous)))] if previous else counts
                previous.append(counts)
                return out if gen.random() < rate else counts

            session.add_counts_hook(swap)

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        victim = VictimCircuits(self.target.model)
        X, y = ctx.x_test[: p.max_samples], ctx.y_test[: p.max_samples]
        clean_acc, clean_pred = ProviderSession(p.device, noisy=p.noisy).accuracy(
            victim, X, y, shots=p.shots, seed=self.seed
        )
        result = self.new_result()
        result.per_sample = {"label": list(y), "clean_prediction": list(clean_pred)}
        accs = []
        for i, rate in enumerate(p.rates):
            session = ProviderSession(p.device, noisy=p.noisy)
            self.tamper(session, rate, i)
            acc, pred = session.accuracy(victim, X, y, shots=p.shots, seed=self.seed)
            accs.append(acc)
            result.per_sample[f"prediction_{i}"] = list(pred)
            ctx.report("tampering", i + 1, len(p.rates))
        result.curves["accuracy_vs_rate"] = {"x": list(p.rates), "y": accs}
        result.metrics = {
            "clean_accuracy": clean_acc,
            "max_accuracy_drop": clean_acc - min(accs),
            **{f"accuracy_drop_{r:g}": clean_acc - a for r, a in zip(p.rates, accs, strict=True)},
        }
        result.provides = ["goal.integrity_lost"] if clean_acc - min(accs) > 0 else []
        return result
