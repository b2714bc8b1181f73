"""Contract tests: schemathesis drives every operation of the OpenAPI schema in process.

Targets: no 5xx; every response (problems included) conforms to the schema in status
code, content type, headers and body; operations that need a key refuse requests
without one; undocumented methods answer 405 with a complete ``Allow`` header; invalid
requests are refused. Stateful testing stays off (it would revoke the key it uses).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from service_doubles import N_FEATURES, build_app, write_double

COMMON_CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.unsupported_method,
    checks.allow_header_conformance,
]
checks_for = {
    GenerationMode.POSITIVE: [*COMMON_CHECKS, checks.ignored_auth],
    GenerationMode.NEGATIVE: [
        *COMMON_CHECKS,
        checks.negative_data_rejection,
        checks.missing_required_header,
    ],
}


# Valid batches for the double, so that the success paths are fuzzed too.
VALID_INPUTS = st.lists(
    st.lists(st.floats(0, 1), min_size=N_FEATURES, max_size=N_FEATURES), min_size=1, max_size=8
)


def steer(case: schemathesis.Case, how: str, inputs: list[list[float]]) -> schemathesis.Case:
    """Point some cases at the served model ``m1`` and give some valid inputs."""
    if case.method == "DELETE":  # keep the served model alive
        return case
    if how != "keep" and "model_id" in (case.path_parameters or {}):
        case.path_parameters["model_id"] = "m1"
    if how != "keep" and isinstance(case.body, dict):
        if "model_id" in case.body:
            case.body["model_id"] = "m1"
        if how == "valid" and "inputs" in case.body:
            case.body.update(inputs=inputs, backend=None)
            case.body["shots"] = (
                min(case.body.get("shots") or 1, 1000) if inputs[0][0] > 0.5 else None
            )
    return case


def run_contract(
    tmp: Path, max_examples: int, mode: GenerationMode = GenerationMode.POSITIVE
) -> list[str]:
    """Fuzz every operation; return the labels of the operations that failed.

    Positive mode sends schema-valid requests; negative mode sends invalid ones, which
    must be answered by a 4xx problem (``negative_data_rejection``), never a 5xx.
    """
    app = build_app(tmp / "svc", requests_per_minute=10**6, daily_samples=10**9)
    state = app.state.service
    state.registry.register("m1", write_double(tmp / "double"), "acme", by="test")
    key = state.keys.create("acme", ["admin", "predict"])[1]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failed: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 20  # 15 native routes and 5 of the Open Inference Protocol
    for operation in operations:

        @given(
            case=st.builds(
                steer,
                operation.as_strategy(),
                st.sampled_from(
                    ["keep", "m1", "valid"][: 3 if mode == GenerationMode.POSITIVE else 2]
                ),
                VALID_INPUTS,
            )
        )
        @settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"X-API-Key": key}, checks=checks_for[mode])

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as err:  # collect every failing operation
            failed.append(f"{operation.label}: {err}")
    return failed


def test_every_operation_conforms_and_never_fails_on_the_server(tmp_path: Path) -> None:
    assert run_contract(tmp_path, max_examples=15) == []


def test_invalid_requests_are_rejected_with_conforming_problems(tmp_path: Path) -> None:
    assert run_contract(tmp_path, max_examples=10, mode=GenerationMode.NEGATIVE) == []


@pytest.mark.slow
@pytest.mark.parametrize("mode", list(GenerationMode))
def test_every_operation_conforms_under_a_long_fuzz(tmp_path: Path, mode: GenerationMode) -> None:
    assert run_contract(tmp_path, max_examples=200, mode=mode) == []
