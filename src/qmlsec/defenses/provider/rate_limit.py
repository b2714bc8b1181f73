"""Rate limiting: a token bucket per client on the endpoint and per tenant on the queue.

Mitigation QML.M0006. The token bucket (Turner, "New directions in communications",
IEEE Commun. Mag. 1986; the policer of RFC 2697/4115 and of API gateways) holds at most
``burst`` tokens and gains ``rate`` tokens per simulated second; a request costing ``k``
tokens (``k`` rows on the inference endpoint, a job's shots on the queue) passes only when
``k`` tokens are there, else it is refused (HTTP 429, :class:`~qmlsec.exceptions.RateLimitError`).
The SoK on QMLaaS security (arXiv:2408.09562) lists per-tenant and per-client limits
against queue abuse and excessive billing.

Where it acts, against which attack:

* ``availability.queue_flood``: the provider admits a tenant's job to the device queue
  only through its bucket (``queue_rate`` shots/s per tenant, ``queue_burst`` shots at
  most, so a 20000-shot flood job never fits); the jobs beyond it are refused before
  they reach the FIFO queue.
* ``availability.cost_harvest``: the endpoint admits a client's rows through its bucket
  (``rate`` rows/s, ``burst``) on the serving cloud's clock; refused rows run no
  circuits and are not billed.
* extraction (``extraction.substitute``, ``extraction.quantumleak``,
  ``extraction.copyqnn``): over the attacker's campaign window of ``window_s``
  simulated seconds, the bucket lets through at most ``burst + rate * window_s`` rows,
  so the substitute's query set is capped at that; the paced client waits for tokens
  (``wait_s`` in the cost).

Cost: the victim's own refused requests on its normal workload (one query per second)
and the refusal counts.

Not covered: sybil clients splitting the load over many keys, adaptive attackers that
spread queries over longer windows than ``window_s``, and distributed (multi-node)
buckets.

Example:
    >>> bucket = TokenBucket(rate=1.0, burst=3)
    >>> [bucket.take(1, now=0.0) for _ in range(4)]
    [True, True, True, False]
    >>> bucket.take(1, now=1.0)
    True
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from qmlsec.attacks.availability.queue_flood import flood_circuit
from qmlsec.attacks.queries import QueryCounter
from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.provider.base import ProviderDefense
from qmlsec.exceptions import RateLimitError


@dataclass
class TokenBucket:
    """``burst`` tokens at most, ``rate`` tokens per second; ``take`` spends them."""

    rate: float
    burst: float
    tokens: float = field(init=False)
    last: float = field(default=0.0, init=False)
    refused: int = field(default=0, init=False)
    admitted: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last call (capped at ``burst``)."""
        if now > self.last:
            self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.rate)
            self.last = now

    def take(self, cost: float = 1.0, *, now: float) -> bool:
        """Spend ``cost`` tokens at time ``now`` if there are enough; else refuse."""
        self.refill(now)
        if cost <= self.tokens:
            self.tokens -= cost
            self.admitted += 1
            return True
        self.refused += 1
        return False

    def allowance(self, window_s: float) -> int:
        """Most tokens a client can spend over ``window_s`` seconds from a full bucket."""
        return int(np.floor(self.burst + self.rate * window_s))


class RateLimitParams(FrozenModel):
    """Parameters of :class:`RateLimit`."""

    rate: float = Field(1.0, gt=0)
    """Endpoint rows per simulated second per client."""
    burst: int = Field(16, ge=1)
    """Endpoint bucket size (rows)."""
    queue_rate: float = Field(1024.0, gt=0)
    """Shots a tenant may queue per simulated second."""
    queue_burst: int = Field(4096, ge=1)
    """Queue bucket size (shots): no single job may ask for more."""
    window_s: float = Field(60.0, gt=0)
    """The extraction campaign's duration on the simulated clock."""


class RateLimitedEndpoint:
    """An endpoint whose client's rows pass through a token bucket on ``clock()``.

    Refused requests raise :class:`RateLimitError` and run nothing.
    """

    def __init__(self, inner: Any, bucket: TokenBucket, clock: Callable[[], float]) -> None:
        self.inner, self.bucket, self.clock = inner, bucket, clock

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def query(self, X: np.ndarray, **kwargs: Any) -> Any:
        """Answer ``X`` if the client has ``len(X)`` tokens, else refuse."""
        if not self.bucket.take(len(X), now=self.clock()):
            raise RateLimitError(f"rate limit: {len(X)} rows refused "
                                 f"({self.bucket.tokens:.1f} tokens left)",
                                 hint="slow down or ask for a higher limit")  # fmt: skip
        return self.inner.query(X, **kwargs)


class RateLimit(ProviderDefense):
    """Token buckets per client (endpoint rows) and per tenant (queue jobs)."""

    name: ClassVar[str] = "provider.rate_limit"
    mitigation_id: ClassVar[str] = "QML.M0006"
    counters: ClassVar[tuple[str, ...]] = (
        "availability.queue_flood", "availability.cost_harvest", "extraction.substitute",
        "extraction.quantumleak", "extraction.copyqnn",
    )  # fmt: skip
    Params = RateLimitParams
    check_params: ClassVar[dict[str, Any]] = {}

    def apply(self, session: Any) -> dict[str, TokenBucket]:
        """Fresh buckets: ``endpoint`` (rows) and ``queue`` (shots)."""
        p = self.params
        return {"endpoint": TokenBucket(p.rate, p.burst),
                "queue": TokenBucket(p.queue_rate, p.queue_burst)}  # fmt: skip

    def victim_refusals(self, n_queries: int, shots: int, gap_s: float = 1.0) -> int:
        """Refusals of the victim's own workload: one row of ``shots`` every ``gap_s`` s."""
        buckets = self.apply(None)
        return sum(not (buckets["endpoint"].take(1, now=i * gap_s)
                        and buckets["queue"].take(shots, now=i * gap_s))
                   for i in range(n_queries))  # fmt: skip

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        start = time.perf_counter()
        name = setup.attack_cls.name
        buckets = self.apply(None)
        extra: dict[str, float] = {}
        if name == "availability.queue_flood":
            protected = setup.replace(attack_cls=limited_flood(setup.attack_cls, buckets["queue"]))
            bucket = buckets["queue"]
        elif name == "availability.cost_harvest":
            protected = setup.replace(attack_cls=limited_harvest(setup.attack_cls,
                                                                 buckets["endpoint"]))  # fmt: skip
            bucket = buckets["endpoint"]
        else:
            bucket = buckets["endpoint"]
            allowance = bucket.allowance(self.params.window_s)
            counter = setup.target.endpoint
            if isinstance(counter, QueryCounter):
                budget = allowance if counter.budget is None else min(counter.budget, allowance)
                limited = QueryCounter(
                    counter.endpoint, output=counter.output, shots=counter.shots, budget=budget
                )
                protected = setup.replace(
                    target=dataclasses.replace(setup.target, endpoint=limited)
                )
            else:  # no black-box endpoint to meter: the attack runs unlimited, and says so
                protected = setup.replace(notes=[*setup.notes, f"{self.name}: no metered endpoint"])
            extra["query_allowance"] = float(allowance)
            extra["wait_s"] = max(0.0, (allowance - self.params.burst) / self.params.rate)
        result = protected.run(seed)
        result.notes.append(f"{self.name}: {bucket.refused} requests refused, "
                            f"{bucket.admitted} admitted")  # fmt: skip
        p = setup.attack_cls.Params(**setup.params)
        n, shots = int(getattr(p, "max_samples", 20)), int(getattr(p, "shots", 0) or 0)
        extra.update({"refused_requests": float(bucket.refused),
                      "admitted_requests": float(bucket.admitted),
                      "victim_refused": float(self.victim_refusals(n, shots))})  # fmt: skip
        return result, DefenseCost(seconds=time.perf_counter() - start, extra=extra)


def limited_flood(attack_cls: type, bucket: TokenBucket) -> type:
    """``attack_cls`` (queue flooding) whose jobs pass the provider's per-tenant bucket."""

    class LimitedFlood(attack_cls):  # type: ignore[misc, valid-type]
        def disrupt(self, cloud: Any, index: int) -> float:
            p, price = self.params, 0.0
            for k in range(p.flood_jobs):
                if not bucket.take(p.flood_shots, now=float(cloud.clock)):
                    continue  # refused at admission: never queued
                job = QuantumJob("attacker", flood_circuit(p.width), np.zeros((1, 0)),
                                 shots=p.flood_shots, requested_device=cloud.pool[0].name,
                                 purpose="flood", submitter="co_tenant",
                                 submitter_trust="malicious",
                                 seed=derive_seed(self.seed, "flood", index, k))  # fmt: skip
                price += cloud.submit(job).price_usd
            return price

    LimitedFlood.__name__ = attack_cls.__name__
    return LimitedFlood


def limited_harvest(attack_cls: type, bucket: TokenBucket) -> type:
    """``attack_cls`` (cost harvesting) whose requests pass the endpoint's per-client bucket."""

    class LimitedHarvest(attack_cls):  # type: ignore[misc, valid-type]
        def disrupt(self, endpoint: Any, X: np.ndarray) -> int:
            cloud = endpoint.quantum
            limited = RateLimitedEndpoint(endpoint, bucket, lambda: float(cloud.clock))
            p = self.params
            n = int(round(p.factor * len(X)))
            junk = rng(self.seed, "harvest").uniform(
                X.min(axis=0), X.max(axis=0), size=(n, X.shape[1]))  # fmt: skip
            sent = 0
            for i, lo in enumerate(range(0, n, p.batch)):
                try:
                    limited.query(junk[lo : lo + p.batch], output="labels",
                                  seed=derive_seed(self.seed, i))  # fmt: skip
                    sent += len(junk[lo : lo + p.batch])
                except RateLimitError:
                    continue
            return sent

    LimitedHarvest.__name__ = attack_cls.__name__
    return LimitedHarvest
