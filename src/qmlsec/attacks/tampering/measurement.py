"""Measurement and result tampering by a malicious quantum provider.

After Upadhyay and Ghosh (arXiv:2209.11872, arXiv:2305.01826): the provider alters the
counts it returns. Three modes, each with a rate ``r`` swept over ``rates``:

- ``bitflip``: every measured bit of every shot flips with probability ``r``;
- ``bias``: a fraction ``r`` of the shots is replaced by the all-ones bitstring
  (pushing every ``<Z_i>`` towards -1);
- ``swap``: with probability ``r`` a job receives the counts of another job of the same
  batch (results swapped between inputs).

All act through a malicious :class:`~qmlsec.cloud.providers.QuantumCloud`'s
``transform_result`` hook (:class:`CountsTamperHook`), after execution: the counts of
every sample of every job the victim's endpoint submits are altered and the returned
expectation values are recomputed from them. Measured: accuracy for each rate (per
sample) and the drop from the untampered run.

Not covered: tampering with expectation values computed by the provider (only counts
are returned here) and adaptive tampering that targets chosen inputs.

Example:
    >>> flip = flip_bits({"00": 4}, 1.0, np.random.default_rng(0))
    >>> flip
    {'11': 4}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from qmlsec.attacks.access import ProviderRunParams
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.tampering.base import TamperingAttack
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.backends.measurement import expectations_from_counts, measurement_bases
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import JobResult, QuantumJob
from qmlsec.config import rng

CountsMap = Callable[[dict[str, int]], dict[str, int]]


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


class CountsTamperHook(ProviderHook):
    """``transform_result``: alter each sample's counts, recompute the expectations."""

    def __init__(self, alter: CountsMap) -> None:
        self.alter = alter

    def transform_result(self, job: QuantumJob, result: JobResult) -> JobResult:
        """The result with tampered counts (exact-expectation jobs pass unchanged)."""
        if result.counts is None:
            return result
        counts = [[self.alter(c) for c in group] for group in result.counts]
        bases = measurement_bases(job.observables, job.circuit.num_qubits)
        exp = expectations_from_counts(counts, bases, len(job.observables))
        return replace(result, counts=counts, expectations=exp)


class MeasurementTamperingParams(ProviderRunParams):
    """Parameters of :class:`MeasurementTampering`."""

    mode: Literal["bitflip", "bias", "swap"] = "bitflip"
    rates: tuple[float, ...] = Field(default=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5))


class MeasurementTampering(TamperingAttack):
    """Provider flips bits, biases counts or swaps results between jobs (QML.T0017)."""

    name: ClassVar[str] = "tampering.measurement"
    technique_id: ClassVar[str] = "QML.T0017"
    requires = frozenset({Capability.PROVIDER_CONTROL})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = MeasurementTamperingParams
    check_params: ClassVar[dict] = {"rates": (0.0, 0.3), "max_samples": 8, "shots": 256}

    def counts_map(self, rate: float, index: int) -> CountsMap:
        """The per-sample counts alteration at ``rate`` (seeded by ``index``)."""
        gen = rng(self.seed, "measurement", index)
        mode = self.params.mode
        if mode == "bitflip":
            return lambda c: flip_bits(c, rate, gen)
        if mode == "bias":
            return lambda c: bias_counts(c, rate, gen)
        previous: list[dict[str, int]] = []

        def swap(counts: dict[str, int]) -> dict[str, int]:
            out = previous[int(gen.integers(len(previous)))] if previous else counts
            previous.append(counts)
            return out if gen.random() < rate else counts

        return swap

    def tamper(self, level: float, index: int) -> CountsTamperHook:
        """The provider hook altering every sample's counts at rate ``level``."""
        return CountsTamperHook(self.counts_map(level, index))

    def _run(self, ctx: AttackContext) -> AttackResult:
        return self.sweep(ctx, self.params.rates, "rate")
