"""The whole site in one process, through its pages: articles in by the newsroom API, pages out
from render's read models, search through the search API, community through the boards API.

On both backends: embedded (SQLite log and stores, local index) and distributed (Kafka,
FerretDB, OpenSearch).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from services.boards.members import MemberStore
from services.boards.passwords import hash_password
from services.boards.settings import BoardsSettings
from services.bootstrap import create_app
from services.render.settings import RenderSettings
from shared.schemas.boards import Role
from shared.service import INFRA
from shared.sessions import CSRF_COOKIE, new_private_key_pem
from tests.backends import backend_settings, drop_run_data, reporter_token

DATA = Path(__file__).parents[2] / "data"
ClientFactory = Callable[[web.Application], Awaitable[TestClient]]  # type: ignore[type-arg]
STRONG = "영일만-바다-2026-봄"
SERVICES = ["ingest", "search", "boards", "render"]


def doc(html: str) -> Any:
    return lxml.html.fromstring(html)


def text(node: Any) -> str:
    return " ".join(node.text_content().split())


@dataclass
class Site:
    client: TestClient  # type: ignore[type-arg]
    token: str
    app: web.Application

    async def submit(self, document: dict[str, Any]) -> str:
        response = await self.client.post(
            "/api/articles", json=document, headers={"Authorization": f"Bearer {self.token}"}
        )
        assert response.status in (200, 201, 202), await response.text()
        return str((await response.json())["article_id"])

    async def page(self, path: str, status: int = 200, **kwargs: Any) -> Any:
        response = await self.client.get(path, **kwargs)
        assert response.status == status, (path, response.status)
        assert response.content_type == "text/html"
        return doc(await response.text())

    async def until(
        self, path: str, ready: Callable[[int, str], bool], timeout: float = 30.0
    ) -> Any:
        """Poll a page until `ready(status, html)`: the projections run after the API answers."""
        async with asyncio.timeout(timeout):
            while True:
                response = await self.client.get(path)
                html = await response.text()
                if ready(response.status, html):
                    return doc(html)
                await asyncio.sleep(0.05)

    async def member(self, email: str, nickname: str, role: Role = Role.MEMBER) -> str:
        """Sign up (or, for staff, create) a member and log in; returns the CSRF token."""
        if role is Role.MEMBER:
            body = {"email": email, "nickname": nickname, "password": STRONG}
            assert (await self.client.post("/api/members", json=body)).status == 201
        else:
            storage = await self.app[INFRA].open_storage("boards")
            members = await MemberStore.open(storage)
            await members.create(email, nickname, hash_password(STRONG), role)
            await storage.close()
        login = await self.client.post("/api/sessions", json={"login": email, "password": STRONG})
        assert login.status == 200
        return str((await login.json())["csrf_token"])


class SiteSettings(BoardsSettings, RenderSettings):
    """Every service's settings in one value, as the environment gives them to a process."""


@pytest.fixture(params=["embedded", "distributed"])
def site_settings(request: pytest.FixtureRequest, tmp_path: Path) -> SiteSettings:
    return backend_settings(
        SiteSettings, request.param, tmp_path, search_engine=True,
        distributed={"boards_session_private_key": new_private_key_pem()},
        consumer_retry_backoff_s=0.01, render_public_url="https://news.example.kr",
    )  # fmt: skip


@pytest.fixture
async def site(site_settings: SiteSettings, aiohttp_client: ClientFactory) -> AsyncIterator[Site]:
    app = create_app(site_settings, SERVICES)
    client = await aiohttp_client(app)
    token = await reporter_token(app)
    yield Site(client, token, app)
    await client.close()
    await drop_run_data(site_settings, SERVICES)


def seed_article() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DATA / "seed_article.json").read_text("utf-8"))
    return document


def corpus(limit: int) -> list[dict[str, Any]]:
    lines = (DATA / "articles.jsonl").read_text("utf-8").splitlines()[:limit]
    return [{**json.loads(line), "source": "newsroom"} for line in lines]


async def test_an_article_from_the_api_to_its_page_and_its_retraction(site: Site) -> None:
    home = await site.page("/")
    assert "아직 기사가 없습니다" in text(home.cssselect("main")[0])
    article_id = await site.submit(seed_article())
    page = await site.until(f"/news/{article_id}", lambda status, _: status == 200)
    assert text(page.cssselect("nav.breadcrumb")[0]) == "뉴스 > 포항"
    assert text(page.cssselect(".byline")[0]) == "강동진 기자 / 입력 : 2019년 08월 13일(화) 21:09"
    assert len(page.cssselect(".article-body p")) == 8
    canonical = page.cssselect('link[rel="canonical"]')[0].get("href")
    assert canonical == f"https://news.example.kr/news/{article_id}"
    shares = page.cssselect(".share a")
    assert all("news.example.kr" in a.get("href").replace("%2F", "/") for a in shares)

    home = await site.until("/", lambda _, html: "플랫폼시티" in html)
    assert text(home.cssselect(".lead-story h3")[0]).startswith("포항시, 4차 산업혁명")
    assert text(home.cssselect(".edited time")[0]) == "2019-08-13 오후 09:09:00"
    listed = await site.page("/news/pohang")
    assert text(listed.cssselect(".count")[0]) == "총 1건"

    first = await site.client.get(f"/news/{article_id}")
    again = await site.client.get(
        f"/news/{article_id}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status == 304

    await site.submit({**seed_article(), "status": "retracted"})
    gone = await site.until(f"/news/{article_id}", lambda status, _: status == 410)
    assert text(gone.cssselect("main h1")[0]) == "삭제된 기사입니다"
    assert gone.cssselect("header.site-header") and gone.cssselect("footer.site-footer")
    home = await site.until("/", lambda _, html: "플랫폼시티" not in html)
    assert "아직 기사가 없습니다" in text(home.cssselect("main")[0])


async def test_unknown_addresses_answer_404_pages_and_apis_keep_json(site: Site) -> None:
    for path in ("/news/1234567890123456", "/nowhere", "/community/nothing/1"):
        page = await site.page(path, status=404)
        assert text(page.cssselect("main h1")[0]) == "페이지를 찾을 수 없습니다"
        assert page.cssselect("nav.main-nav")
    api = await site.client.get("/api/nowhere")
    assert api.status == 404
    assert (await api.json())["error"]["code"] == "not_found"
    assert (await site.client.get("/healthz")).status == 200


async def _indexed(site: Site) -> int:
    return int((await (await site.client.get("/api/search/status")).json())["documents"])


async def test_search_page_highlights_filters_pages_and_helps_when_nothing_is_found(
    site: Site,
) -> None:
    documents = corpus(40)
    for document in documents:
        await site.submit(document)
    pohang = sum(1 for d in documents if "포항" in d["headline"] + d["body_html"])
    assert pohang > 10

    async with asyncio.timeout(30):  # the index is a projection: wait until it holds them all
        while await _indexed(site) < 40:  # noqa: ASYNC110 - polling another service's projection
            await asyncio.sleep(0.05)
    page = await site.page("/search?q=포항")
    assert text(page.cssselect(".result-count")[0]).startswith("‘포항’ 검색 결과")
    hits = page.cssselect(".search-results .result")
    assert len(hits) == 10
    assert all(hit.cssselect(".snippet mark") for hit in hits[:3])
    assert (
        page.cssselect(".pager a[rel=next]")[0].get("href") == "/search?q=%ED%8F%AC%ED%95%AD&page=2"
    )
    facets = {a.get("href") for a in page.cssselect(".facets a")}
    assert "/search?q=%ED%8F%AC%ED%95%AD&section=pohang" in facets

    second = await site.page("/search?q=포항&page=2")
    assert second.cssselect('.pager a[aria-current="page"]')[0].text == "2"
    only = await site.page("/search?q=포항&section=pohang")
    assert {text(t) for t in only.cssselect(".result .section-tag")} == {"포항"}
    assert only.cssselect("#section option[selected]")[0].get("value") == "pohang"

    nothing = await site.page("/search?q=존재하지않는낱말쿼크")
    assert "검색 결과가 없습니다" in text(nothing.cssselect(".no-results h2")[0])
    assert nothing.cssselect(".no-results .tips li")
    refused = await site.page("/search?q=포항&from=2026-09-10&to=2026-09-01", status=400)
    assert "기간을 확인해 주세요" in text(refused.cssselect('[role="alert"]')[0])


async def test_a_member_posts_and_comments_and_the_pages_show_it(site: Site) -> None:
    csrf = await site.member("reader@example.kr", "영일만사람")
    headers = {"X-CSRF-Token": csrf}
    write = await site.page("/community/free/write")
    assert write.cssselect('main form[action="/api/boards/free/posts"]')
    created = await site.client.post(
        "/api/boards/free/posts",
        json={"title": "해맞이 명소 추천", "body_text": "호미곶\n\n둘째 문단"},
        headers=headers,
    )
    assert created.status == 201, await created.text()
    post_id = (await created.json())["post"]["post_id"]
    path = f"/community/free/{post_id}"
    post = await site.until(path, lambda status, _: status == 200)
    assert text(post.cssselect("main h1")[0]) == "해맞이 명소 추천"
    assert [text(p) for p in post.cssselect(".post-body p")] == ["호미곶", "둘째 문단"]
    assert text(post.cssselect("nav.member-menu")[0]).startswith("영일만사람님 로그아웃")
    assert post.cssselect(".comment-form textarea#comment-body")

    comment = await site.client.post(
        f"/api/boards/free/posts/{post_id}/comments",
        json={"body_text": "좋은 곳이네요"},
        headers=headers,
    )
    assert comment.status == 201
    post = await site.until(path, lambda _, html: "좋은 곳이네요" in html)
    assert text(post.cssselect("[data-comment-count]")[0]) == "1"
    # The comment and the post's comment count are two writes: wait for the count too.
    board = await site.until("/community/free", lambda _, html: "[1]" in html)
    row = board.cssselect(".board-table tbody tr")[0]
    assert text(row.cssselect(".col-author")[0]) == "영일만사람"
    assert text(row.cssselect(".comment-count")[0]) == "[1]"
    home = await site.until("/", lambda _, html: "해맞이 명소 추천" in html)
    assert home.cssselect(f'.community-block a[href="{path}"]')


async def test_a_reporter_writes_an_article_with_the_session_the_form_uses(site: Site) -> None:
    csrf = await site.member("kang@example.kr", "강동진", Role.REPORTER)
    form = await site.page("/write")
    assert form.cssselect('main form[action="/api/articles"]')
    assert "기사쓰기" in text(form.cssselect("nav.member-menu")[0])
    assert site.client.session.cookie_jar.filter_cookies(site.client.make_url("/"))[CSRF_COOKIE]
    body = {"guid": "web-1", "headline": "영일대 야간 개장", "section": "pohang",
            "byline": "강동진 기자", "body_html": "<p>영일대가 밤에도 문을 연다.</p>"}  # fmt: skip
    created = await site.client.post("/api/articles", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status == 201, await created.text()
    article_id = (await created.json())["article_id"]
    page = await site.until(f"/news/{article_id}", lambda status, _: status == 200)
    assert text(page.cssselect("main h1")[0]) == "영일대 야간 개장"
