"""Canary circuits: jobs with known outputs mixed into the user's batches.

Mitigation QML.M0009 (canaries), in the spirit of the integrity checks of Upadhyay and
Ghosh (arXiv:2305.01826, arXiv:2209.11872). With every batch the user submits
``canaries`` extra circuits the provider cannot tell apart from its own by shape: the
victim's circuit with secret inputs for which the user knows the readout ``<Z_i>``: its
own exact simulation of the claimed device (with that device's calibration noise when
the provider's device is noisy, :meth:`CanaryCheck.known_outputs`). The canaries run
through the same provider, and its hooks, as the user's jobs; when the mean absolute
difference between their returned and known ``<Z_i>`` exceeds the threshold the batch
is rejected. By default the threshold is what shot noise alone can explain,
``sigmas`` standard deviations out (:func:`shot_noise_threshold`: 0.038 for 4 canaries
x 8 qubits at 1024 shots); a fixed ``threshold`` overrides it. Measured (iris 4-qubit
victim, noisy ``fake_manila``, 12 samples): at 256 shots threshold 0.082, honest gap
0.037, bias tampering at rates 0.05 / 0.1 / 0.3 gives 0.061 / 0.101 / 0.330 (0.05
missed, 0.1 and 0.3 caught; the former fixed 0.25 missed 0.1); at 2048 shots threshold
0.029, honest gap 0.013, 0.036 / 0.105 / 0.301 (all caught). Before the known outputs
carried the readout errors, the honest gap at 2048 shots was 0.026 against a threshold
of 0.027: readout alone nearly raised a false alarm. Against
``tampering.measurement`` a rejected batch is re-run elsewhere, so the tampering at
that rate has no effect on accuracy.

Cost: the extra circuits and shots (``canaries x shots`` per batch) and their price.

Not covered: a provider that recognises canaries (e.g. by a fixed position in the
batch; here their positions are seeded at random) and tampers only with the rest,
result swapping restricted to non-canary jobs, calibration drift between the claimed
snapshot and the run (which the known outputs would not follow).

Example:
    >>> CanaryCheck().params.canaries
    4
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.access import device_of, installed, provider_cloud, serve
from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.fidelity import readout_contraction
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.provider.base import ProviderDefense


class CanaryParams(FrozenModel):
    """Parameters of :class:`CanaryCheck`."""

    canaries: int = Field(4, ge=1)
    threshold: float | None = Field(None, gt=0, lt=1)
    """Fixed alarm threshold on the gap; ``None`` (default): calibrated for each check
    from shot noise (:func:`shot_noise_threshold` with ``sigmas``). The known outputs
    are the user's local simulation of the claimed device (its calibration noise when
    the provider's device is noisy), so device noise does not count as tampering."""
    sigmas: float = Field(4.0, gt=0)


def shot_noise_threshold(expected: np.ndarray, shots: int, sigmas: float = 4.0) -> float:
    """Gap above which an honest run is ``sigmas`` standard deviations out.

    Each returned ``<Z>`` is an average of ``shots`` +-1 outcomes: standard deviation
    ``s = sqrt((1 - <Z>^2) / shots)``, mean absolute error ``s sqrt(2/pi)`` and variance
    ``s^2 (1 - 2/pi)``; the gap averages ``m`` such errors.

    Example:
        >>> round(shot_noise_threshold(np.zeros((4, 8)), 1024), 3)
        0.038
    """
    sigma = np.sqrt(np.clip(1.0 - np.asarray(expected, dtype=float) ** 2, 0.0, 1.0) / shots)
    mean = float(np.mean(sigma) * np.sqrt(2 / np.pi))
    spread = float(np.sqrt(np.mean(sigma**2) * (1 - 2 / np.pi) / sigma.size))
    return mean + sigmas * spread


class CanaryCheck(ProviderDefense):
    """Reject batches whose canary circuits come back different from their known output."""

    name: ClassVar[str] = "provider.canary"
    mitigation_id: ClassVar[str] = "QML.M0009"
    counters: ClassVar[tuple[str, ...]] = ("tampering.measurement",)
    Params = CanaryParams

    def apply(self, session: Any) -> None:
        """Nothing to install: canaries travel inside the user's batches (see ``check``)."""

    def check(
        self, endpoint: Any, expected: np.ndarray, x_secret: np.ndarray, *, seed: int
    ) -> float:
        """Mean absolute difference between the canaries' returned and known ``<Z_i>``."""
        returned = np.asarray(endpoint.query(x_secret, output="expectations", seed=seed).values)
        return float(np.abs(returned - expected).mean())

    def known_outputs(self, model: Any, x_secret: np.ndarray, device: str, noisy: bool) -> Any:
        """The canaries' ``<Z_i>`` on the claimed device, simulated locally (exactly).

        On a noisy device: the exact noisy expectations (gate noise) times what the
        calibrated readout errors leave of each logical bit, ``prod (1 - 2p)`` over the
        qubits whose measured parity it is
        (:func:`~qmlsec.cloud.fidelity.readout_contraction`): exact expectations carry no
        readout error, shots do.
        """
        if not noisy:
            return np.asarray(model.expectations(x_secret))
        local = QuantumCloud([device], seed=derive_seed(self.seed, "canary-reference"))
        endpoint = serve(model, local, device=device, shots=None, seed=self.seed)
        exact = np.asarray(endpoint.query(x_secret, output="expectations").values)
        job = local.history[-1]
        return exact * readout_contraction(get_device(job.device), job.readout_qubits())

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Run the tampering; a rate whose canaries alarm has its batch rejected (drop 0)."""
        result = setup.run_undefended(seed)
        attack: Any = setup.attack_cls(setup.target, dict(setup.params), seed=seed)
        p = attack.params
        cloud = provider_cloud(setup.target, device=p.device, seed=seed,
                               noise_scale=1.0 if p.noisy else 0.0)  # fmt: skip
        gen = rng(self.seed, "canary")
        lo, hi = setup.ctx.x_test.min(axis=0), setup.ctx.x_test.max(axis=0)
        x_secret = gen.uniform(lo, hi, size=(self.params.canaries, setup.ctx.x_test.shape[1]))
        start, alarms = time.perf_counter(), 0
        device = device_of(cloud, p.device)
        # the claimed device is noisy whenever the provider runs it with calibration noise
        expected = self.known_outputs(setup.model, x_secret, device, cloud.noise_scale > 0)
        threshold = self.params.threshold or shot_noise_threshold(
            expected, p.shots, self.params.sigmas
        )
        result.metrics["canary_threshold"] = threshold
        for i, rate in enumerate(p.rates):
            with installed(cloud, attack.tamper(rate, i)):
                endpoint = serve(setup.model, cloud, device=p.device, shots=p.shots, seed=seed)
                gap = self.check(endpoint, expected, x_secret, seed=derive_seed(seed, i))
            result.metrics[f"canary_gap_{rate:g}"] = gap
            if gap > threshold:
                alarms += 1
                result.metrics[f"accuracy_drop_{rate:g}"] = 0.0
        drops = [v for k, v in result.metrics.items() if k.startswith("accuracy_drop_")]
        result.metrics["max_accuracy_drop"] = max(drops, default=0.0)
        result.notes.append(f"{self.name}: {alarms}/{len(p.rates)} tampered rates alarmed")
        extra_shots = self.params.canaries * p.shots * len(p.rates)
        return result, DefenseCost(extra_shots=extra_shots, seconds=time.perf_counter() - start,
                                   extra={"alarms": float(alarms),
                                          "extra_circuits_per_batch": float(self.params.canaries)})  # fmt: skip
