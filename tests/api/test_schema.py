"""Schemathesis reads /openapi.json and sends each operation generated requests (a bounded
number of examples) against a real server on loopback: none may answer with a 5xx, and every
answer must match the documented schema."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api import PASSWORD
from tests.support.server import Server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("schemathesis")
    running = Server(folder / "library", folder / "server.log")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    httpx.post(
        f"{server.url}/api/v1/auth/register", json={"username": "fuzzer", "password": PASSWORD}
    )
    login = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": "fuzzer", "password": PASSWORD}
    )
    return str(login.json()["access_token"])


def test_no_server_errors_and_answers_match_the_schema(server: Server, token: str) -> None:
    """Each operation in turn, driven by Hypothesis through schemathesis's strategies (its
    pytest plugin does not load under pytest 9, so the loop is written out here)."""
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {token}"}
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=30,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def exercise(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.url, headers=headers)
            assert response.status_code < 500, (case.method, case.path, response.text[:500])
            case.validate_response(
                response,
                checks=[
                    status_code_conformance,
                    content_type_conformance,
                    response_schema_conformance,
                ],
            )
            if response.status_code >= 400:
                error = response.json()["error"]
                assert error["code"]
                [request_id] = response.headers["x-request-id"]  # schemathesis: lists
                assert error["correlation_id"] == request_id

        exercise()
        checked.append(f"{operation.method.upper()} {operation.path}")
    assert len(checked) >= 20, checked


def test_the_schema_file_is_valid(server: Server) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    assert document["openapi"].startswith("3.1") and document["info"]["version"] == "1.0.0"
