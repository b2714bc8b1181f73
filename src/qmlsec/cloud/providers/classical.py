"""The classical cloud: runs pre-processing, post-processing and the loss for a tenant.

Every call is a hand-off recorded in the ledger (what went in, what came out, to whom).
Hooks follow the same trust rules as the quantum cloud: ``on_data(step, asset, value)``
observes (honest-but-curious or malicious), ``transform_data(step, asset, value)``
modifies (malicious only).

Example:
    >>> from qmlsec.cloud.ledger import ExposureLedger
    >>> ledger = ExposureLedger()
    >>> cloud = ClassicalCloud(trust="honest-but-curious", ledger=ledger)
    >>> cloud.preprocess(lambda x: [v * 2 for v in x], [1, 2])
    [2, 4]
    >>> sorted(ledger.forms("classical_cloud"))
    ['raw_data', 'reduced_features']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qmlsec.cloud.ledger import ExposureLedger
from qmlsec.cloud.parties import TrustLevel
from qmlsec.exceptions import ConfigError

PARTY = "classical_cloud"


class ClassicalCloud:
    """A classical compute provider with a trust level and explicit hooks."""

    def __init__(
        self, *, trust: TrustLevel | str = TrustLevel.TRUSTED, ledger: ExposureLedger | None = None
    ) -> None:
        self.trust = TrustLevel(trust)
        self.ledger = ledger
        self.hooks: list[Any] = []
        self.clock = 0.0

    def add_hook(self, hook: Any) -> None:
        """Attach a hook with ``on_data`` and/or ``transform_data``; trust is enforced."""
        observes, modifies = hasattr(hook, "on_data"), hasattr(hook, "transform_data")
        if not (observes or modifies):
            raise ConfigError(
                f"{type(hook).__name__} has no on_data/transform_data", hint="implement one"
            )
        if modifies and not self.trust.may_modify:
            raise ConfigError(
                f"a {self.trust.value} classical cloud cannot carry a data-modifying hook",
                hint="set trust to 'malicious'",
            )
        if not self.trust.may_observe:
            raise ConfigError(
                "a trusted classical cloud carries no hooks",
                hint="set trust to 'honest-but-curious'",
            )
        self.hooks.append(hook)

    def _run(
        self, step: str, fn: Callable[..., Any], args: tuple[Any, ...], assets_in: tuple[tuple[str, str], ...],
        asset_out: tuple[str, str], sender: str,
    ) -> Any:  # fmt: skip
        for (asset, form), value in zip(assets_in, args, strict=False):
            self._record(step, asset, form, sender, PARTY)
            value = self._hooks(step, asset, value)
        out = fn(*args)
        out = self._hooks(step, asset_out[0], out)
        self._record(step, asset_out[0], asset_out[1], PARTY, sender)
        return out

    def _hooks(self, step: str, asset: str, value: Any) -> Any:
        for hook in self.hooks:
            if hasattr(hook, "on_data"):
                hook.on_data(step, asset, value)
            if hasattr(hook, "transform_data"):
                value = hook.transform_data(step, asset, value)
        return value

    def _record(self, step: str, asset: str, form: str, sender: str, receiver: str) -> None:
        if self.ledger is not None:
            trust = self.trust.value if receiver == PARTY else "trusted"
            self.ledger.record(step, asset, form, sender, receiver, trust, time=self.clock)

    def preprocess(self, fn: Callable[[Any], Any], data: Any, *, sender: str = "user") -> Any:
        """Reduce raw data to features (step 1)."""
        return self._run(
            "preprocess",
            fn,
            (data,),
            (("raw_data", "plaintext"),),
            ("reduced_features", "plaintext"),
            sender,
        )

    def postprocess(
        self, fn: Callable[[Any], Any], measurements: Any, *, sender: str = "user"
    ) -> Any:
        """Turn measurement results into predictions."""
        return self._run(
            "postprocess", fn, (measurements,), (("measurement_results", "expectation values"),),
            ("predictions", "plaintext"), sender,
        )  # fmt: skip

    def loss(
        self, fn: Callable[[Any, Any], Any], predictions: Any, labels: Any, *, sender: str = "user"
    ) -> Any:
        """Compute the training loss from predictions and labels."""
        return self._run(
            "loss", fn, (predictions, labels), (("predictions", "plaintext"), ("labels", "plaintext")),
            ("loss_values", "plaintext"), sender,
        )  # fmt: skip
