"""The OpenAPI documents describe exactly the routes the services serve."""

from __future__ import annotations

from typing import Any

import pytest

from services.bootstrap import SERVICES, create_app
from services.openapi_export import openapi_documents
from shared.openapi import Operation, Reply, build_document, route_patterns
from shared.settings import SinmunSettings


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return openapi_documents()


def _operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(m.upper(), path) for path, ops in document["paths"].items() for m in ops}


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_route_of_a_service_is_documented_and_nothing_else(
    service: str, documents: dict[str, dict[str, Any]]
) -> None:
    routes = route_patterns(create_app(SinmunSettings(), [service]))
    assert _operations(documents[service]) == set(routes)


def test_path_parameters_carry_the_pattern_the_router_matches(
    documents: dict[str, dict[str, Any]],
) -> None:
    operation = documents["boards"]["paths"]["/api/boards/{board}/posts/{post_id}"]["get"]
    patterns = {p["name"]: p["schema"]["pattern"] for p in operation["parameters"]}
    assert patterns == {"board": "^(?:[^{}/]+)$", "post_id": "^(?:[0-9a-f]{21})$"}


def test_every_4xx_answers_the_shared_error_body(documents: dict[str, dict[str, Any]]) -> None:
    for document in documents.values():
        for ops in document["paths"].values():
            for operation in ops.values():
                for status, response in operation["responses"].items():
                    json_body = response.get("content", {}).get("application/json")
                    if status.startswith("4") and json_body:
                        assert json_body["schema"] == {"$ref": "#/components/schemas/ErrorBody"}


def test_a_documented_operation_without_a_route_is_refused() -> None:
    ghost = Operation("GET", "/api/ghost", "nothing", replies={200: Reply("no")}, errors={})
    with pytest.raises(ValueError, match="no route serves it"):
        build_document("t", "d", [ghost], {})
