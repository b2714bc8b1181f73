"""A remote model over HTTP as a black-box endpoint: qmlsec's API or the Open Inference Protocol.

:class:`HttpEndpoint` follows the inference ``Endpoint`` contract (``model_id``,
``n_features``, ``n_classes``, ``feature_range``, ``query(X, output=, shots=, seed=)``),
so every black-box attack runs unchanged against a model served elsewhere. It speaks

- ``qmlsec``: ``GET /v1/models/{name}`` and ``POST /v1/models/{name}/predict`` of
  ``qmlsec serve`` (one output per request; ``shots`` and ``seed`` are honoured);
- ``oip``: the Open Inference Protocol v2 REST API (KServe, Triton, MLServer, and
  ``qmlsec serve``): ``GET /v2/models/{name}`` for the input width and output shapes,
  ``POST /v2/models/{name}/infer`` with one ``FP64`` tensor ``[n, d]``. ``shots`` and
  ``seed`` travel as request ``parameters`` (a server that does not know them ignores
  them). The answer's ``probabilities`` / ``labels`` / ``expectations`` output is used,
  else its only output (2-D: probabilities, 1-D: labels).

The API key goes in the ``X-API-Key`` header. Rows are sent in requests of at most
``batch_size``. A ``429`` or ``503`` answer is retried after the server's
``Retry-After`` (seconds or an HTTP date), else after an exponential back-off with
seeded jitter (:class:`RetryPolicy`); a wait the policy does not allow, or running out
of retries, raises :class:`~qmlsec.exceptions.RateLimitError`. Other errors map onto the
exception tree (401 -> AuthenticationError, 403 -> PermissionDeniedError, 404 ->
NotFoundError, 4xx -> DataError, 5xx -> BackendError; an unreachable server or a
timeout -> BackendError). Every request is recorded (:class:`HttpQuery`: samples,
status, attempts, back-off wait, latency, the server's request id) and summarised by
:meth:`HttpEndpoint.summary`. The query *budget* is the attacker's own and is kept by the
:class:`~qmlsec.attacks.queries.QueryCounter` around this endpoint.

Not covered: the OIP binary tensor extension, gRPC, model versions other than the
default one, and authentication schemes other than an API-key header.

Example:
    >>> ep = HttpEndpoint("http://127.0.0.1:8000/v2/models/iris")
    >>> ep.protocol, ep.model_id, ep.base_url
    ('oip', 'iris', 'http://127.0.0.1:8000')
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
import numpy as np

from qmlsec.cloud.endpoint import OUTPUTS, EndpointResponse, Output
from qmlsec.config import rng
from qmlsec.exceptions import (
    AuthenticationError,
    BackendError,
    ConfigError,
    DataError,
    DetectionError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    QmlsecError,
    RateLimitError,
)

Protocol = Literal["qmlsec", "oip"]
PROTOCOLS: tuple[Protocol, ...] = ("qmlsec", "oip")
RETRIED = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    """How long a client waits on ``429`` / ``503`` before giving up.

    Attributes:
        max_retries: retries per request after the first attempt.
        base_s: first back-off without a ``Retry-After`` (doubles on each retry).
        max_wait_s: the longest single wait accepted; a server asking for more is an
            exhausted limit (a daily budget), raised at once.
        total_wait_s: the most back-off time a whole run may spend.
    """

    max_retries: int = 8
    base_s: float = 0.5
    max_wait_s: float = 65.0
    total_wait_s: float = 600.0


@dataclass(frozen=True)
class HttpQuery:
    """One request to the remote model, as recorded."""

    index: int
    path: str
    samples: int
    output: str
    status: int
    attempts: int
    rate_limited: int
    waited_s: float
    latency_s: float
    request_id: str | None = None


@dataclass
class _Meta:
    n_features: int
    n_classes: int
    feature_range: tuple[float, float] | None = None
    classes: list[Any] = field(default_factory=list)


class HttpEndpoint:
    """A model served over HTTP, used like a local ``Endpoint``.

    Args:
        url: the server (``http://host:port``), or a model URL
            (``.../v1/models/NAME`` or ``.../v2/models/NAME``), which also sets the
            protocol and the model name.
        protocol: ``qmlsec`` or ``oip`` (default: from the URL, else ``qmlsec``).
        model_name: the served model (default: from the URL; with ``qmlsec`` the only
            model the key sees).
        api_key: sent as ``X-API-Key``.
        timeout: seconds per request (connect and read).
        batch_size: most rows per request.
        retry: back-off policy on ``429`` / ``503``.
        seed: seeds the back-off jitter.
        client: an ``httpx.Client`` to use (tests pass a transport).
        sleep: how to wait (tests pass a fake clock).
    """

    def __init__(
        self,
        url: str,
        *,
        protocol: Protocol | None = None,
        model_name: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        batch_size: int = 128,
        retry: RetryPolicy | None = None,
        seed: int = 0,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"target URL {url!r} is not an http(s) URL",
                hint="e.g. http://127.0.0.1:8000 or http://host/v2/models/NAME",
            )
        segments = [s for s in parts.path.split("/") if s]
        found: Protocol | None = None
        if len(segments) >= 3 and segments[-3] in ("v1", "v2") and segments[-2] == "models":
            found = "qmlsec" if segments[-3] == "v1" else "oip"
            model_name = model_name or segments[-1]
            segments = segments[:-3]
        if protocol is not None and protocol not in PROTOCOLS:
            raise ConfigError(f"unknown protocol {protocol!r}", hint="qmlsec or oip")
        if protocol is not None and found is not None and protocol != found:
            raise ConfigError(
                f"the URL names the {found} API but --protocol is {protocol}",
                hint="drop --protocol or give the server's base URL",
            )
        if timeout <= 0 or batch_size < 1:
            raise ConfigError("timeout must be > 0 and batch_size >= 1")
        path = "/" + "/".join(segments) if segments else ""
        self.base_url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        self.protocol: Protocol = protocol or found or "qmlsec"
        self.model_id = model_name or ""
        self.api_key = api_key
        self.timeout = float(timeout)
        self.batch_size = int(batch_size)
        self.retry = retry or RetryPolicy()
        self.seed = seed
        self.sleep = sleep
        self.records: list[HttpQuery] = []
        self._client = client
        self._jitter = rng(seed, "http", "jitter")
        self._waited = 0.0
        self._meta: _Meta | None = None

    # -- the Endpoint contract -----------------------------------------------------------
    @property
    def n_features(self) -> int:
        return self.connect()._meta.n_features  # type: ignore[union-attr]

    @property
    def n_classes(self) -> int:
        return self.connect()._meta.n_classes  # type: ignore[union-attr]

    @property
    def feature_range(self) -> tuple[float, float] | None:
        return self.connect()._meta.feature_range  # type: ignore[union-attr]

    @property
    def classes(self) -> list[Any]:
        """Class labels the server publishes (empty when it does not)."""
        return list(self.connect()._meta.classes)  # type: ignore[union-attr]

    def connect(self) -> HttpEndpoint:
        """Read the model's metadata once (input width, classes); returns ``self``."""
        if self._meta is None:
            if not self.model_id:
                self.model_id = self._only_model()
            self._meta = self._metadata()
        return self

    def query(
        self,
        X: np.ndarray,
        *,
        output: Output = "probabilities",
        shots: int | None = None,
        seed: int | None = None,
    ) -> EndpointResponse:
        """Answer ``X`` through the remote model, ``batch_size`` rows per request."""
        if output not in OUTPUTS:
            raise ConfigError(
                f"unknown output {output!r}", hint="labels, probabilities or expectations"
            )
        self.connect()
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise DataError(
                f"queries must have shape (n, {self.n_features}), got {X.shape}",
                hint="send raw features in the model's column order",
            )
        parts, spent, circuits = [], 0, 0
        start = time.perf_counter()
        for i in range(0, len(X), self.batch_size):
            chunk = X[i : i + self.batch_size]
            chunk_seed = None if seed is None else int(seed) + i
            send = self._predict_qmlsec if self.protocol == "qmlsec" else self._infer_oip
            values, n_shots, n_circuits = send(chunk, output, shots, chunk_seed)
            parts.append(values)
            spent += n_shots
            circuits += n_circuits
        values = np.concatenate(parts) if parts else np.zeros((0,))
        return EndpointResponse(
            values, int(spent), int(circuits), {"remote": time.perf_counter() - start}
        )

    def summary(self) -> dict[str, Any]:
        """Requests, retries, 429s, back-off and latency over every recorded request."""
        lat = np.array([r.latency_s for r in self.records]) if self.records else np.zeros(0)
        return {
            "url": self.base_url,
            "protocol": self.protocol,
            "model": self.model_id,
            "requests": len(self.records),
            "samples": int(sum(r.samples for r in self.records)),
            "attempts": int(sum(r.attempts for r in self.records)),
            "rate_limited": int(sum(r.rate_limited for r in self.records)),
            "backoff_s": round(self._waited, 3),
            "latency_p50_s": float(np.median(lat)) if len(lat) else 0.0,
            "latency_max_s": float(lat.max()) if len(lat) else 0.0,
        }

    def queries(self) -> list[dict[str, Any]]:
        """Every recorded request as a JSON-ready dict."""
        return [asdict(r) for r in self.records]

    def close(self) -> None:
        """Close the HTTP client (when this endpoint opened it)."""
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> HttpEndpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- protocols --------------------------------------------------------------------------
    def _only_model(self) -> str:
        if self.protocol == "oip":
            raise ConfigError(
                "the Open Inference Protocol needs the model's name",
                hint="pass --model-name NAME or a URL ending in /v2/models/NAME",
            )
        listing = self._call("GET", "/v1/models", record=False)
        names = [m.get("model_id") for m in listing.get("models", [])]
        if len(names) != 1:
            raise ConfigError(
                f"the key sees {len(names)} models at {self.base_url}; name one",
                hint="pass --model-name "
                + (names[0] if names else "NAME")
                + (f" (one of {', '.join(map(str, names))})" if names else ""),
            )
        return str(names[0])

    def _metadata(self) -> _Meta:
        if self.protocol == "qmlsec":
            info = self._call("GET", f"/v1/models/{self.model_id}", record=False)
            rng_ = info.get("feature_range")
            return _Meta(
                n_features=int(info["n_features"]),
                n_classes=int(info["n_classes"]),
                feature_range=None if rng_ is None else (float(rng_[0]), float(rng_[1])),
                classes=list(info.get("details", {}).get("classes", [])),
            )
        info = self._call("GET", f"/v2/models/{self.model_id}", record=False)
        try:
            width = int(info["inputs"][0]["shape"][-1])
        except (KeyError, IndexError, TypeError, ValueError):
            raise BackendError(
                f"model metadata at {self.base_url}/v2/models/{self.model_id} has no input shape",
                hint="the server must describe its input tensor as [-1, n_features]",
            ) from None
        params = info.get("parameters") or {}
        classes = list(params.get("classes", []))
        n_classes = len(classes)
        for out in info.get("outputs", []):
            shape = out.get("shape") or []
            if out.get("name") == "probabilities" and len(shape) == 2 and int(shape[1]) > 0:
                n_classes = int(shape[1])
        if width < 1 or n_classes < 2:
            raise BackendError(
                f"model metadata of {self.model_id!r} gives {width} features, {n_classes} classes",
                hint="the server must publish the input width and a 'probabilities' output [-1, C]",
            )
        rng_ = params.get("feature_range")
        return _Meta(
            width, n_classes, None if rng_ is None else (float(rng_[0]), float(rng_[1])), classes
        )

    def _predict_qmlsec(
        self, X: np.ndarray, output: str, shots: int | None, seed: int | None
    ) -> tuple[np.ndarray, int, int]:
        body = {"inputs": X.tolist(), "output": output, "shots": shots, "seed": seed}
        answer = self._call(
            "POST", f"/v1/models/{self.model_id}/predict", json=body, samples=len(X), output=output
        )
        dtype = np.int64 if output == "labels" else np.float64
        values = np.asarray(answer["values"], dtype=dtype)
        return values, int(answer.get("shots", 0)), int(answer.get("circuits", len(X)))

    def _infer_oip(
        self, X: np.ndarray, output: str, shots: int | None, seed: int | None
    ) -> tuple[np.ndarray, int, int]:
        params: dict[str, Any] = {}
        if shots is not None:
            params["shots"] = int(shots)
        if seed is not None:
            params["seed"] = int(seed)
        body: dict[str, Any] = {
            "inputs": [
                {"name": "input-0", "shape": list(X.shape), "datatype": "FP64",
                 "data": X.ravel().tolist()}
            ],
        }  # fmt: skip
        if params:
            body["parameters"] = params
        if output == "expectations":
            body["outputs"] = [{"name": "expectations"}]
        answer = self._call(
            "POST", f"/v2/models/{self.model_id}/infer", json=body, samples=len(X), output=output
        )
        values = _pick_output(answer.get("outputs", []), output, len(X))
        extra = answer.get("parameters") or {}
        return values, int(extra.get("shots", 0)), int(extra.get("circuits", len(X)))

    # -- transport ----------------------------------------------------------------------------
    def _http(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(timeout=httpx.Timeout(self.timeout))
        return self._client

    def _call(
        self,
        method: str,
        path: str,
        *,
        record: bool = True,
        samples: int = 0,
        output: str = "",
        **kw: Any,
    ) -> dict[str, Any]:
        """One request with back-off on 429/503; raises the matching error otherwise."""
        headers = {"X-API-Key": self.api_key} if self.api_key else {}
        url = self.base_url + path
        attempts, limited, waited = 0, 0, 0.0
        start = time.perf_counter()
        while True:
            attempts += 1
            try:
                r = self._http().request(method, url, headers=headers, **kw)
            except httpx.TimeoutException:
                raise BackendError(
                    f"{method} {url} timed out after {self.timeout:g} s",
                    hint="raise --timeout or check the server's load",
                ) from None
            except httpx.HTTPError as err:
                raise BackendError(
                    f"cannot reach {url}: {type(err).__name__}",
                    hint="check the URL and that the server runs (`qmlsec serve`)",
                ) from None
            if r.status_code in RETRIED and attempts <= self.retry.max_retries:
                wait = self._wait_for(r, attempts)
                if wait is not None:
                    limited += r.status_code == 429
                    waited += wait
                    self._waited += wait
                    self.sleep(wait)
                    continue
            break
        if record:
            self.records.append(
                HttpQuery(
                    index=len(self.records), path=path, samples=samples, output=output,
                    status=r.status_code, attempts=attempts, rate_limited=limited,
                    waited_s=round(waited, 6), latency_s=time.perf_counter() - start - waited,
                    request_id=r.headers.get("X-Request-ID"),
                )
            )  # fmt: skip
        if r.status_code >= 400:
            raise self._error(r, url)
        try:
            answer: dict[str, Any] = r.json()
        except ValueError:
            raise BackendError(
                f"{url} answered HTTP {r.status_code} with a body that is not JSON",
                hint="is this a qmlsec or Open Inference Protocol server?",
            ) from None
        return answer

    def _wait_for(self, r: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying ``r``; ``None`` when the policy forbids it."""
        wait = _retry_after(r.headers.get("Retry-After"))
        if wait is None:
            wait = self.retry.base_s * 2 ** (attempt - 1) * (1.0 + self._jitter.uniform(0, 0.25))
        if wait > self.retry.max_wait_s or self._waited + wait > self.retry.total_wait_s:
            return None
        return wait

    def _error(self, r: httpx.Response, url: str) -> QmlsecError:
        try:
            body = r.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        detail = str(body.get("detail") or body.get("error") or r.reason_phrase)
        hint = body.get("hint")
        status = r.status_code
        where = f"{url} answered HTTP {status}: {detail}"
        if status == 401:
            return AuthenticationError(where, hint=hint or "pass a valid key with --api-key")
        if status == 403:
            cls = DetectionError if body.get("reason") == "detector" else PermissionDeniedError
            return cls(where, hint=hint or "use a key allowed to query this model")
        if status == 404:
            return NotFoundError(where, hint=hint or "check the URL and --model-name")
        if status == 413:
            return PayloadTooLargeError(where, hint=hint or "lower the batch size")
        if status == 429:
            after = r.headers.get("Retry-After")
            return RateLimitError(
                where + (f" (Retry-After {after} s)" if after else ""),
                hint=hint
                or "the server's limit outlasts the back-off policy; "
                "lower the attack's queries or wait",
            )
        if 400 <= status < 500:
            return DataError(where, hint=hint)
        return BackendError(where, hint=hint or "the remote server failed; try again later")


def _retry_after(value: str | None) -> float | None:
    """Seconds in a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _pick_output(outputs: list[dict[str, Any]], output: str, n: int) -> np.ndarray:
    """The tensor of an OIP response that answers ``output``, shaped as the protocol says."""
    by_name = {o.get("name"): o for o in outputs if isinstance(o, dict)}
    chosen = by_name.get(output)
    if chosen is None and output == "labels" and "probabilities" in by_name:
        probs = _tensor(by_name["probabilities"], n)
        return probs.argmax(axis=1)
    if chosen is None and len(outputs) == 1:
        only = _tensor(outputs[0], n)
        if (output == "labels") == (only.ndim == 1):
            return only.astype(np.int64) if output == "labels" else only
        if output == "labels" and only.ndim == 2:
            return only.argmax(axis=1)
    if chosen is None:
        raise BackendError(
            f"the response has no {output!r} output (outputs: {sorted(map(str, by_name))})",
            hint="the model must return probabilities [n, C] or labels [n]",
        )
    values = _tensor(chosen, n)
    return values.astype(np.int64) if output == "labels" else values


def _tensor(out: dict[str, Any], n: int) -> np.ndarray:
    try:
        data = np.asarray(out["data"], dtype=np.float64)
        shape = [int(s) for s in out.get("shape", data.shape)]
        values = data.reshape(shape)
    except (KeyError, TypeError, ValueError):
        raise BackendError(
            f"output {out.get('name')!r} is not a tensor of data and shape",
            hint="the server does not follow the Open Inference Protocol",
        ) from None
    if values.shape[0] != n or not math.isfinite(float(np.abs(values).sum())):
        raise BackendError(
            f"output {out.get('name')!r} has shape {list(values.shape)} for {n} inputs",
            hint="the server answered a different batch",
        )
    return values
