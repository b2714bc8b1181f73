"""Query monitors: the plug-in point of extraction detectors in the service.

A :class:`~qmlsec.cloud.endpoint.QueryMonitor` sees every accepted batch of every key
before it is answered and may return an :class:`~qmlsec.cloud.endpoint.Alert`. The service counts alerts, writes them to the audit
log and, unless configured to only log, refuses the batch. Detectors from the defenses
layer (a PRADA-style distance test, for example) plug in through this protocol.
:class:`VolumeMonitor` is the built-in monitor: it alerts when one key has sent more
than ``max_samples`` samples to one model within a sliding window.

Example:
    >>> import numpy as np
    >>> from qmlsec.service.monitor import VolumeMonitor
    >>> mon = VolumeMonitor(max_samples=3, window_s=60, clock=lambda: 0.0)
    >>> mon.observe("k", "m", np.zeros((3, 2))) is None
    True
    >>> mon.observe("k", "m", np.zeros((1, 2))).detector
    'volume'
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from qmlsec.cloud.endpoint import Alert, QueryMonitor


class NullMonitor:
    """A monitor that never alerts."""

    def observe(self, key_id: str, model_id: str, X: np.ndarray) -> Alert | None:
        """Never alert."""
        return None


class VolumeMonitor:
    """Alert when a key sends more than ``max_samples`` samples to a model in a window.

    Args:
        max_samples: Samples per key and model tolerated within ``window_s``.
        window_s: Length of the sliding window in seconds.
        clock: Time source (seconds).
    """

    def __init__(
        self,
        max_samples: int,
        window_s: float = 3600.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_samples = max_samples
        self.window_s = window_s
        self.clock = clock
        self._seen: dict[tuple[str, str], deque[tuple[float, int]]] = {}
        self._totals: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def observe(self, key_id: str, model_id: str, X: np.ndarray) -> Alert | None:
        """Add ``len(X)`` samples to the key's window; alert once it holds too many."""
        now, key = self.clock(), (key_id, model_id)
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            total = self._totals.get(key, 0)
            while seen and seen[0][0] <= now - self.window_s:
                total -= seen.popleft()[1]
            seen.append((now, int(X.shape[0])))
            total += int(X.shape[0])
            self._totals[key] = total
        if total <= self.max_samples:
            return None
        return Alert(
            detector="volume",
            key_id=key_id,
            model_id=model_id,
            score=float(total),
            threshold=float(self.max_samples),
            detail=f"{total} samples within {self.window_s:g} s",
        )


def make_monitor(spec: str) -> QueryMonitor:
    """Build a monitor from its command-line name.

    ``none``; ``volume:N`` (:class:`VolumeMonitor` with ``max_samples=N``, one-hour
    window); ``prada`` or ``prada:DELTA`` (the PRADA extraction detector of the defenses
    layer, mitigation QML.M0004, alarm when the Shapiro-Wilk W of a key's query distances
    falls below ``DELTA``).

    Example:
        >>> type(make_monitor("volume:100")).__name__, type(make_monitor("prada")).__name__
        ('VolumeMonitor', 'PRADA')
    """
    from qmlsec.exceptions import ConfigError

    name, _, arg = spec.partition(":")
    try:
        if name == "none":
            return NullMonitor()
        if name == "volume":
            return VolumeMonitor(max_samples=int(arg))
        if name == "prada":
            from qmlsec.defenses.detector.prada import PRADA

            return PRADA({"delta": float(arg)} if arg else {})
    except ValueError as err:
        raise ConfigError(f"bad monitor argument in {spec!r}: {err}") from None
    raise ConfigError(
        f"unknown query monitor {spec!r}", hint="use none, volume:N, prada or prada:DELTA"
    )
