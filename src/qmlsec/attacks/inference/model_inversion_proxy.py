"""Model inversion on a stolen proxy model, with the reconstructions scored by the victim.

The chain "extraction through the inference API -> model inversion on the substitute ->
transferred to the victim". The optimisation of
:class:`~qmlsec.attacks.inference.model_inversion.ModelInversion` (Fredrikson, Jha,
Ristenpart, CCS 2015: maximise the class probability under a prior pull) runs on the
:class:`~qmlsec.attacks.facts.ProxyModel` an earlier stage established: by gradient
ascent with the substitute's exact input gradient when it has one (a ``QNNClassifier``
substitute is white box to its owner), else by SPSA on the substitute's probabilities -
either way without a query to the victim. Only the final reconstructions (one per
class) are sent to the victim: the metrics say whether the victim classifies each as
the class it was built for (``target_class_rate``) and with what confidence, next to the
distance to the victim's true class means (``mse_to_class_mean``,
``identification_rate``); ``proxy_confidence`` is the substitute's own confidence. This
is the substitute-then-transfer use of stolen models of Papernot et al. (AsiaCCS 2017)
applied to inversion.

Without a proxy model the stage fails (:class:`~qmlsec.exceptions.RequirementError`).

Not covered: inversion through an ensemble of substitutes, and image priors.

Example:
    >>> from qmlsec.testing.victims import small_victim
    >>> victim = small_victim()
    >>> stolen = victim.setup("extraction.substitute", n_test=8,
    ...                       params={"queries": 30, "epochs": 3}).run(seed=0)
    >>> proxy = stolen.facts["know.proxy_model"]  # the substitute, handed on as a fact
    >>> result = victim.setup("inference.model_inversion_proxy", n_test=8, params={"steps": 5},
    ...                       facts=[proxy]).run(seed=0)
    >>> result.estimates()["identification_rate"].n
    3
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import ProxyModel
from qmlsec.attacks.inference.model_inversion import ModelInversion
from qmlsec.attacks.result import AttackResult
from qmlsec.exceptions import RequirementError


class ProxyModelInversion(ModelInversion):
    """Invert a stolen substitute, then check the reconstructions on the victim (QML.T0038)."""

    name: ClassVar[str] = "inference.model_inversion_proxy"
    technique_id: ClassVar[str] = "QML.T0038"
    check_params: ClassVar[dict[str, Any]] = {"steps": 5}

    def gradient_model(self) -> Any | None:
        """The substitute (its input gradient is the attacker's own)."""
        return self.proxy_

    def attack_probabilities(self, x: np.ndarray, *, seed: int) -> np.ndarray:
        """The substitute's probabilities (SPSA on the substitute, no victim query)."""
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
        recon = np.asarray(result.per_sample["reconstruction"], dtype=np.float64)
        classes = np.asarray(result.per_sample["class"], dtype=np.int64)
        own = self.attack_probabilities(recon, seed=0)[np.arange(len(classes)), classes]
        result.per_sample["proxy_confidence"] = own.tolist()
        result.metrics["proxy_confidence"] = float(own.mean())
        result.notes[0] = "gradient: " + ("white-box" if self.white_box else "SPSA") + \
            f" on the proxy model of {proxy.source or 'an earlier stage'}"  # fmt: skip
        result.notes.append("the victim answered only the final reconstructions (one per class)")
        result.outputs["proxy"] = proxy.model
        return result
