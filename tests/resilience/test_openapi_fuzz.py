"""Bad input against every HTTP API: schemathesis fuzzes each service's OpenAPI document on
the real embedded platform (`sinmun up` in its own process), and every answer must be one
the document describes: no 5xx, a documented status and content type, a body that matches
its schema. Positive and negative cases (values that break the schema) both go out.

The documents are built from the code at collection (so each operation is a test of its
own); the first test proves they are exactly what the running services serve.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from services.ingest.domain import article_id_for
from services.openapi_export import openapi_documents
from tests.e2e.platform import DATA, sinmun, start_platform, stop_platform

DOCUMENTS = openapi_documents()
EXAMPLES = 50  # random cases per operation, beside the coverage phase's boundary values
CONFIG = schemathesis.Config.from_dict({
    "generation": {"mode": "all", "max-examples": EXAMPLES},
    "phases": {"stateful": {"enabled": False}},
})  # fmt: skip
INGEST, SEARCH, BOARDS, RENDER = (
    schemathesis.openapi.from_dict(DOCUMENTS[name], config=CONFIG)
    for name in ("ingest", "search", "boards", "render")
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
FUZZ = settings(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases every run: a failure here is a failure in CI too
    database=None,
)

FuzzCase = schemathesis.Case[Any]
SEED_GUID = "fuzz-seed"
SEED_ARTICLE_ID = article_id_for("newsroom", SEED_GUID)
ADMIN = ("desk@fuzz.example", "편집국장", "영일만-등대-편집국-2026")
MEMBER = ("reader@fuzz.example", "죽도시장단골", "호미곶-일출-구경-2026")


@dataclass(frozen=True)
class Platform:
    base: str
    api_token: str  # a newsroom reporter's API token
    member: str  # a member's session token
    member_id: str
    admin: str  # an admin's session token
    post_id: str  # the member's post on 자유게시판


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    email, nick, password = ADMIN
    sinmun(["member", "create", "--role", "admin", "--email", email, "--nickname", nick],
           data_dir, stdin=password + "\n")  # fmt: skip
    token = sinmun(["token", "create", "--role", "reporter", "--name", "fuzz"], data_dir)
    process, base = start_platform(data_dir, data_dir / "platform.log")
    try:
        yield _seed(base, token.strip().splitlines()[-1])
    finally:
        stop_platform(process)
    log = (data_dir / "platform.log").read_text("utf-8", errors="replace")
    assert "unhandled_error" not in log and "page_failed" not in log, log[-4000:]


def _seed(base: str, api_token: str) -> Platform:
    """An article, a member with a session and a post, an admin's session."""
    seed = json.loads((DATA / "seed_article.json").read_text("utf-8"))
    status, body = request(base + "/api/articles", {**seed, "guid": SEED_GUID}, api_token)
    assert status == 201 and body["article_id"] == SEED_ARTICLE_ID, body
    email, nick, password = MEMBER
    status, body = request(
        base + "/api/members", {"email": email, "nickname": nick, "password": password}
    )
    assert status == 201, body
    member_id = body["member"]["member_id"]
    member = _session(base, email, password)
    post = {"title": "영일대 야경", "body_text": "어제 저녁 영일대 야경이 참 좋았습니다."}
    status, body = request(base + "/api/boards/free/posts", post, member)
    assert status == 201, body
    return Platform(
        base, api_token, member, member_id, _session(base, *ADMIN[::2]), body["post"]["post_id"]
    )


def request(url: str, body: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
    """A JSON POST; (status, decoded body) also for 4xx. A minute to answer: a sign-up's
    argon2 hash takes seconds on a busy machine."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    call = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _session(base: str, login: str, password: str) -> str:
    status, body = request(base + "/api/sessions", {"login": login, "password": password})
    assert status == 200, body
    return str(body["token"])


def test_every_service_serves_the_document_the_code_builds(platform: Platform) -> None:
    for name, document in DOCUMENTS.items():
        with urllib.request.urlopen(f"{platform.base}/api/{name}/openapi.json") as answer:
            assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
            assert json.loads(answer.read()) == document, name


def _known_ids(case: FuzzCase, platform: Platform) -> None:
    """Half the generated ids (by their last character) become ids that exist, so the
    handlers past the 404 get fuzzed too; negative ids are left as they are."""
    params = case.path_parameters or {}
    known = {"article_id": SEED_ARTICLE_ID, "post_id": platform.post_id,
             "member_id": platform.member_id}  # fmt: skip
    for name, value in known.items():
        generated = params.get(name)
        if isinstance(generated, str) and generated[-1:] in "02468ace":
            params[name] = value
            if "board" in params:
                params["board"] = "free"


def _call(case: FuzzCase, platform: Platform, token: str | None) -> None:
    _known_ids(case, platform)
    headers = {"Authorization": f"Bearer {token}"} if token else None
    case.call_and_validate(base_url=platform.base, headers=headers, checks=CHECKS, timeout=30)


@INGEST.parametrize()
@FUZZ
def test_ingest_api(case: FuzzCase, platform: Platform) -> None:
    _call(case, platform, platform.api_token)


@SEARCH.parametrize()
@FUZZ
def test_search_api(case: FuzzCase, platform: Platform) -> None:
    _call(case, platform, None)


STAFF_ONLY = ("/api/members/{member_id}", "/hide", "/restore")


@BOARDS.parametrize()
@FUZZ
def test_boards_api(case: FuzzCase, platform: Platform) -> None:
    path = case.operation.path
    staff = path.endswith(STAFF_ONLY) or (case.query or {}).get("hidden") == "true"
    _call(case, platform, platform.admin if staff else platform.member)


@RENDER.parametrize()
@FUZZ
def test_render_routes(case: FuzzCase, platform: Platform) -> None:
    _call(case, platform, None)
