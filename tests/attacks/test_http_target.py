"""Black-box attacks against a model served over HTTP (`qmlsec attack run --target-url`).

A small QNN deployment is served by the real service (uvicorn on 127.0.0.1, ephemeral
port, in a thread); ``extraction.substitute`` runs through ``--target-url`` with the
native API and the Open Inference Protocol and is compared with the in-process run.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import uvicorn
from typer.testing import CliRunner

from qmlsec.attacks.http_target import HttpEndpoint, RetryPolicy
from qmlsec.attacks.registry import get_attack
from qmlsec.attacks.remote import remote_setup, run_remote
from qmlsec.cli.main import app as cli
from qmlsec.cloud.deployment import Deployment, DeploymentSpec
from qmlsec.data import load_dataset, split
from qmlsec.models.classifier import QNNClassifier
from qmlsec.service.app import create_app
from qmlsec.service.settings import ServiceSettings
from qmlsec.stats import wilson

ADMIN_KEY = "qk_0123456789ab." + "A" * 43
PARAMS = ["--param", "queries=40", "--param", "epochs=4"]
runner = CliRunner()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An exact (shots=None) iris deployment, served from simulation."""
    root = tmp_path_factory.mktemp("http-target") / "dep"
    dataset = {"name": "iris", "classes": None, "test_size": 0.3, "seed": 0}
    train, _ = split(load_dataset("iris", seed=0), test_size=0.3, seed=0)
    clf = QNNClassifier(n_qubits=4, layers=1, epochs=3, lr=0.1, random_state=0)
    clf.fit(train.X, train.y)
    spec = DeploymentSpec(quantum={"device": "ideal", "shots": None}, serving="simulation",
                          dataset=dataset)  # fmt: skip
    return Deployment(spec, clf).save(root)


@contextlib.contextmanager
def serve(tmp: Path, deployment: Path, **settings: Any) -> Iterator[tuple[str, str, Any]]:
    """``qmlsec serve``'s app on 127.0.0.1 with the deployment's model as ``iris``."""
    app = create_app(ServiceSettings(data_dir=tmp, bootstrap_admin_key=ADMIN_KEY, **settings))
    state = app.state.service
    state.registry.register("iris", deployment / "model", "acme", by="test")
    key = state.keys.create("acme", ["predict"])[1]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.005)
    host, port = sock.getsockname()
    try:
        yield f"http://{host}:{port}", key, state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def attack(*args: str) -> dict[str, Any]:
    result = runner.invoke(
        cli, ["attack", "run", "extraction.substitute", *PARAMS, "--json", *args]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_substitute_over_both_apis_agrees_with_the_in_process_run(
    deployment: Path, tmp_path: Path
) -> None:
    local = attack("--deployment", str(deployment))
    with serve(tmp_path, deployment) as (url, key, state):
        native = attack("--target-url", url, "--api-key", key, "--deployment", str(deployment))
        oip = attack("--target-url", f"{url}/v2/models/iris", "--api-key", key,
                     "--deployment", str(deployment))  # fmt: skip
        usage = state.budget.usage(key.split(".")[0].removeprefix("qk_"))
    n = len(local["per_sample"]["agrees"])
    base = local["metrics"]["substitute_agreement"]
    lo, hi = wilson(round(base * n), n).ci
    for remote, protocol in ((native, "qmlsec"), (oip, "oip")):
        where = remote["deployment"]
        assert where["protocol"] == protocol and where["model"] == "iris"
        # exact answers, same queries and seeds: the stolen model is the same one
        assert remote["metrics"]["queries_used"] == local["metrics"]["queries_used"] == 40
        assert lo <= remote["metrics"]["substitute_agreement"] <= hi
        assert abs(remote["metrics"]["substitute_agreement"] - base) < 1e-9
        # every request recorded: 40 counted queries plus the uncounted evaluation oracle
        requests = where["requests"]
        assert sum(r["samples"] for r in requests) == 40 + n == where["http"]["samples"]
        assert all(r["status"] == 200 for r in requests)
    assert usage.samples == 2 * (40 + n)


def test_a_tight_rate_limit_is_backed_off_and_the_attack_finishes_in_budget(
    deployment: Path, tmp_path: Path
) -> None:
    """3 requests per minute, 10 rows per request: the client waits out Retry-After.

    The server's limiter runs on a clock the client's waits advance, so the minute-long
    waits take no wall time.
    """
    clock = [0.0]
    with serve(tmp_path, deployment, requests_per_minute=3) as (url, key, state):
        state.limiter.clock = lambda: clock[0]
        waits: list[float] = []

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            clock[0] += seconds

        endpoint = HttpEndpoint(url, api_key=key, batch_size=10, sleep=sleep,
                                retry=RetryPolicy(max_wait_s=61.0))  # fmt: skip
        train, test = Deployment.load(deployment).split()
        with endpoint:
            setup = remote_setup(
                get_attack("extraction.substitute"), endpoint, params={"queries": 30, "epochs": 2},
                budget=30, x_train=train.X, y_train=train.y, x_test=test.X[:20], y_test=test.y[:20],
            )  # fmt: skip
            result = run_remote(setup, seed=0)
    http = result.deployment["http"]
    assert result.metrics["queries_used"] == 30  # within the attacker's budget
    assert http["requests"] == 3 + 2  # 30 queried rows and 20 oracle rows, 10 per request
    assert http["rate_limited"] == len(waits) >= 1 and http["attempts"] == 5 + len(waits)
    assert all(1.0 <= w <= 60.0 for w in waits)  # the server's Retry-After, in seconds
    assert http["backoff_s"] == pytest.approx(sum(waits))


def test_a_server_limit_beyond_the_policy_is_a_rate_limit_error(
    deployment: Path, tmp_path: Path
) -> None:
    with (
        serve(tmp_path, deployment, requests_per_minute=3) as (url, key, _),
        HttpEndpoint(url, api_key=key, retry=RetryPolicy(max_wait_s=0.5)) as endpoint,
    ):
        endpoint.query(np.zeros((1, 4)))  # model listing, metadata and this query: 3 requests
        with pytest.raises(Exception, match="HTTP 429") as err:
            endpoint.query(np.zeros((1, 4)))
        assert type(err.value).__name__ == "RateLimitError"
        assert endpoint.summary()["requests"] == 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("case", "code", "message"),
    [
        ("unreachable", 6, "cannot reach"),
        ("bad key", 10, "HTTP 401"),
        ("no predict scope", 11, "HTTP 403"),
        ("white-box attack", 8, "query access only"),
        ("oip without a name", 2, "needs the model's name"),
    ],
)
def test_bad_targets_are_clear_errors_without_tracebacks(
    deployment: Path, tmp_path: Path, case: str, code: int, message: str
) -> None:
    with serve(tmp_path, deployment) as (url, key, state):
        name, args = "extraction.substitute", ["--api-key", key]
        if case == "unreachable":
            url = f"http://127.0.0.1:{free_port()}"
        elif case == "bad key":
            args = ["--api-key", key[:-4] + "AAAA"]
        elif case == "no predict scope":
            args = ["--api-key", state.keys.create("acme", ["admin"])[1]]
        elif case == "white-box attack":
            name = "evasion.pgd"
        else:
            args += ["--protocol", "oip"]
        result = runner.invoke(cli, ["attack", "run", name, "--target-url", url,
                                     "--dataset", "iris", *args])  # fmt: skip
    assert result.exit_code == code, result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_campaign_attacks_a_remote_target(
    deployment: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qmlsec.campaigns.execute import execute_run
    from qmlsec.campaigns.spec import CampaignSpec
    from qmlsec.exceptions import RequirementError

    with serve(tmp_path, deployment) as (url, key, _):
        monkeypatch.setenv("QMLSEC_TARGET_API_KEY", key)
        spec = CampaignSpec.model_validate({
            "name": "remote", "target_url": f"{url}/v2/models/iris", "samples": 20,
            "models": [{"dataset": "iris", "classes": None, "test_size": 0.3}],
            "attacks": [{"name": "extraction.substitute", "params": {"queries": 30, "epochs": 2}}],
        })  # fmt: skip
        spec.check()
        (run,) = spec.expand()
        row = execute_run(run)
    assert row["status"] == "ok", row["error"]
    where = row["result"]["deployment"]
    assert (where["protocol"], where["model"]) == ("oip", "iris")
    assert row["metrics"]["queries_used"] == 30 and where["http"]["samples"] == 30 + 20
    white_box = spec.model_copy(update={"attacks": (spec.attacks[0].model_copy(
        update={"name": "evasion.pgd", "params": {}}),)})  # fmt: skip
    with pytest.raises(RequirementError, match="query access only"):
        white_box.check()


def mock_endpoint(handler: Any, **kw: Any) -> HttpEndpoint:
    import httpx

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return HttpEndpoint("http://model.test/v2/models/m", client=client, **kw)


META = {"name": "m", "inputs": [{"name": "x", "datatype": "FP64", "shape": [-1, 2]}],
        "outputs": [{"name": "probabilities", "datatype": "FP64", "shape": [-1, 2]}]}  # fmt: skip


def test_503_without_retry_after_backs_off_exponentially_then_succeeds() -> None:
    import httpx

    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=META)
        calls.append(request.url.path)
        if len(calls) <= 2:
            return httpx.Response(503, json={"error": "warming up"})
        return httpx.Response(
            200,
            json={
                "outputs": [
                    {
                        "name": "probabilities",
                        "shape": [1, 2],
                        "datatype": "FP64",
                        "data": [0.2, 0.8],
                    }
                ]
            },
        )

    waits: list[float] = []
    with mock_endpoint(handler, sleep=waits.append, retry=RetryPolicy(base_s=0.5)) as ep:
        values = ep.query(np.zeros((1, 2)), output="labels").values
    assert values.tolist() == [1] and len(calls) == 3
    assert 0.5 <= waits[0] <= 0.625 and 1.0 <= waits[1] <= 1.25  # 0.5 * 2**k, +25% jitter
    assert ep.records[0].attempts == 3 and ep.records[0].rate_limited == 0


def test_retry_after_as_an_http_date_and_a_timeout() -> None:
    import email.utils

    import httpx

    later = email.utils.formatdate(time.time() + 5, usegmt=True)
    answers = iter([httpx.Response(429, headers={"Retry-After": later}), None])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json=META)
        answer = next(answers)
        if answer is None:
            raise httpx.ReadTimeout("slow", request=request)
        return answer

    waits: list[float] = []
    with (
        mock_endpoint(handler, sleep=waits.append, timeout=2.0) as ep,
        pytest.raises(Exception, match="timed out after 2 s") as err,
    ):
        ep.query(np.zeros((1, 2)))
    assert type(err.value).__name__ == "BackendError"
    assert len(waits) == 1 and 3.0 <= waits[0] <= 5.0
