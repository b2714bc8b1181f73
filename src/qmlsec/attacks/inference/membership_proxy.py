"""Membership inference on a stolen proxy model, evaluated against the victim's members.

The second and third stages of the chain "extraction through the inference API ->
membership inference on the substitute -> transferred to the victim". The scores of
:class:`~qmlsec.attacks.inference.membership_threshold.MembershipThreshold` (Yeom et al.,
CSF 2018; Salem et al., NDSS 2019) are computed with the
:class:`~qmlsec.attacks.facts.ProxyModel` an earlier stage established (white box on the
substitute: its loss, confidence and true-class probability), never with the victim's
outputs: the attack sends no query. The decision is then evaluated against the
*victim's* true membership (its training split vs its test split, balanced), so the AUC
and advantage measure how much of the victim's membership leakage carries over to the
substitute. This follows the "shadow/substitute as a stand-in" idea of Shokri et al.
(S&P 2017) and the substitute-based attacks of Liu et al., "ML-Doctor" (USENIX
Security 2022), where a stolen model replaces queries to the target.

Without a proxy model the stage fails (:class:`~qmlsec.exceptions.RequirementError`):
there is nothing to compute scores with. How well it transfers depends on what the
substitute was fitted on: a substitute queried with the victim's own training inputs
(``pool="train"`` of the extraction attacks) inherits their low loss; one fitted on
other data mostly does not.

Not covered: calibrating the proxy's scores with reference models (LiRA, RMIA) and
combining proxy scores with label-only queries to the victim.

Example:
    >>> from qmlsec.testing.victims import small_victim
    >>> victim = small_victim()
    >>> stolen = victim.setup("extraction.substitute", n_test=8,
    ...                       params={"queries": 30, "epochs": 3}).run(seed=0)
    >>> proxy = stolen.facts["know.proxy_model"]  # the substitute, handed on as a fact
    >>> result = victim.setup("inference.membership_proxy", params={"max_per_side": 20},
    ...                       facts=[proxy]).run(seed=0)
    >>> est = result.estimates()["auc"]
    >>> est.n, est.method
    (40, 'bootstrap')
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import ProxyModel
from qmlsec.attacks.inference.membership_threshold import MembershipThreshold
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.exceptions import RequirementError


class MembershipProxy(MembershipThreshold):
    """Threshold membership scores computed on a stolen substitute (QML.T0037)."""

    name: ClassVar[str] = "inference.membership_proxy"
    technique_id: ClassVar[str] = "QML.T0037"
    requires: ClassVar[frozenset[Capability]] = frozenset()
    positions: ClassVar[frozenset[Position]] = frozenset(
        {Position.API_USER, Position.UNTRUSTED_QUANTUM_CLOUD, Position.UNTRUSTED_CLASSICAL_CLOUD}
    )
    check_params: ClassVar[dict[str, Any]] = {"max_per_side": 20}

    def probabilities(self, x: np.ndarray, *, seed: int | None = None) -> np.ndarray:
        """The proxy's class probabilities on ``x`` (no query reaches the victim)."""
        return np.asarray(self.proxy_.predict_proba(np.asarray(x, float)), dtype=np.float64)

    def _run(self, ctx: AttackContext) -> AttackResult:
        proxy = ctx.facts.get(ProxyModel)
        if proxy is None:
            raise RequirementError(
                f"attack {self.name!r} needs a proxy (substitute) model of the victim",
                hint="run an extraction stage first (e.g. extraction.substitute) or hand it "
                "a ProxyModel fact",
            )
        self.proxy_ = proxy.model
        result = super()._run(ctx)
        result.notes.insert(0, f"scores from the proxy model of {proxy.source or 'an earlier stage'}; "
                            "no query to the victim; evaluated against the victim's members")  # fmt: skip
        result.outputs["proxy"] = proxy.model
        return result
