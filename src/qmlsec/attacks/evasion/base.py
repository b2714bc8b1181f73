"""Base class of the evasion family: one verb, ``generate``, plus the robustness curve.

Threat model shared by the family: the attacker perturbs *raw* input features (before
the victim's pre-processing). ``eps`` is the radius of the perturbation ball in the
chosen norm (L∞ or L2). With ``eps_units="raw"`` (the default, as in IBM ART's
``eps`` and the papers it follows: Goodfellow et al. 2015, Madry et al. 2018) ε is the
raw radius itself, in the units of the features (digits: grey levels 0-16, so ε = 1.6
is 10 % of the range). With ``eps_units="box"`` ε is a fraction of the width of the
valid input box ``[lo, hi]``, i.e. the raw radius is ``ε·(hi − lo)`` (digits: ε = 0.1 is
1.6 grey levels per pixel under L∞), which makes one ε list comparable across
datasets; the assessment uses it (``AssessConfig.eps_units``). Every result records the
unit (the ``eps_units`` parameter, a note and ``outputs["eps_units"]``) and the raw
radius of every ε (the ``eps_raw_radius`` curve). Adversarial inputs are always clipped into
the box, which is ``params.clip`` when given, else the min/max of the training data in
the run context (of the attacked inputs when calling ``generate`` directly).

:meth:`EvasionAttack.run` evaluates every test sample at every ε in one call and returns
the robust-accuracy curve (Foolbox-style "one call, many epsilons").
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.evasion.curve import CurveRecord
from qmlsec.attacks.evasion.norms import Norm, perturbation_norms, radius_of, resolve_box
from qmlsec.attacks.evasion.oracle import VictimOracle
from qmlsec.attacks.result import AttackResult
from qmlsec.config import FrozenModel, derive_seed


class EvasionParams(FrozenModel):
    """Parameters every evasion attack shares.

    Attributes:
        eps: perturbation budgets, evaluated in this order.
        norm: ``"inf"`` (L∞) or ``"2"`` (L2).
        eps_units: ``"raw"`` (default): raw feature units, as IBM ART; ``"box"``: a
            fraction of the box width.
        clip: the valid raw-feature box ``[lo, hi]``; default: training-data min/max.
        batch_size: samples attacked together.
    """

    eps: tuple[float, ...] = (0.05, 0.1, 0.2)
    norm: Norm = "inf"
    eps_units: Literal["raw", "box"] = "raw"
    clip: tuple[float, float] | None = None
    batch_size: int = Field(256, ge=1)

    @field_validator("eps", mode="before")
    @classmethod
    def _eps_list(cls, value: object) -> object:
        if isinstance(value, int | float):
            return (value,)
        return value

    @field_validator("eps")
    @classmethod
    def _eps_valid(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(not (e >= 0 and np.isfinite(e)) for e in value):
            raise ValueError("eps must be a non-empty list of finite values >= 0")
        return value


class EvasionAttack(Attack):
    """Crafts inputs, close to the originals, that the victim misclassifies."""

    family: ClassVar[str] = "evasion"
    Params: ClassVar[type[FrozenModel]] = EvasionParams

    @abstractmethod
    def generate(
        self,
        x: np.ndarray,
        y: np.ndarray,
        *,
        eps: float,
        box: tuple[float, float] | None = None,
    ) -> np.ndarray:
        """Return adversarial versions of raw inputs ``x`` (true labels ``y``) within ``eps``.

        Args:
            x: raw inputs ``(n, d)``.
            y: their true labels (original label values).
            eps: budget, in ``params.eps_units``.
            box: valid input box; default ``params.clip`` or the min/max of ``x``.
        """

    def box_for(self, x: np.ndarray, box: tuple[float, float] | None = None) -> tuple[float, float]:
        """The box to clip into: ``box``, else ``params.clip``, else the min/max of ``x``."""
        return box if box is not None else resolve_box(self.params.clip, x)

    def radius(self, eps: float, box: tuple[float, float]) -> float:
        """ε as a raw-feature radius."""
        return radius_of(eps, box, self.params.eps_units)

    def batches(self, n: int) -> list[slice]:
        size = int(self.params.batch_size)
        return [slice(lo, min(lo + size, n)) for lo in range(0, n, size)]

    def prepare(self, ctx: AttackContext) -> None:
        """Hook run once before the ε sweep (e.g. train a substitute)."""

    def extra_metrics(
        self, record: CurveRecord, x: np.ndarray, adversarials: list[np.ndarray]
    ) -> dict[str, float]:
        """Hook: attack-specific metrics on top of the curve's."""
        return {}

    def _run(self, ctx: AttackContext) -> AttackResult:
        x = np.array(ctx.x_test, dtype=np.float64)
        y = np.asarray(ctx.y_test)
        box = resolve_box(self.params.clip, ctx.x_train if ctx.x_train is not None else x)
        self.prepare(ctx)
        oracle = VictimOracle(self.target)
        clean = oracle.labels(x, seed=derive_seed(self.seed, "evaluate", "clean"))
        eps_list = [float(e) for e in self.params.eps]
        preds, linf, l2, adversarials = [], [], [], []
        for k, eps in enumerate(eps_list):
            ctx.report(f"{self.name} eps={eps:g}", k, len(eps_list))
            x_adv = self.generate(x, y, eps=eps, box=box)
            preds.append(oracle.labels(x_adv, seed=derive_seed(self.seed, "evaluate", k)))
            inf_k, l2_k = perturbation_norms(x, x_adv)
            linf.append(inf_k)
            l2.append(l2_k)
            adversarials.append(x_adv)
        ctx.report(f"{self.name} done", len(eps_list), len(eps_list))
        record = CurveRecord(
            eps=eps_list,
            labels=y,
            clean=np.asarray(clean),
            adversarial=np.stack(preds, axis=1),
            linf=np.stack(linf, axis=1),
            l2=np.stack(l2, axis=1),
        )
        result = self.new_result(
            metrics={**record.metrics(), **self.extra_metrics(record, x, adversarials)},
            per_sample=record.per_sample(),
            curves=record.curves(),
        )
        units = self.params.eps_units
        result.notes.append(
            f"eps in {units} units, norm L{self.params.norm}, "
            f"inputs clipped to [{box[0]:g}, {box[1]:g}]"
        )
        result.outputs["eps_units"] = units
        result.outputs["eps_raw"] = {e: self.radius(e, box) for e in eps_list}
        result.curves["eps_raw_radius"] = {
            "x": list(eps_list),
            "y": [self.radius(e, box) for e in eps_list],
        }
        result.outputs["adversarial_examples"] = dict(zip(eps_list, adversarials, strict=True))
        return result
