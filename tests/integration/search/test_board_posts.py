"""Board posts in search: `boards.events` consumed into a posts index, `/api/search/posts`.

Search never imports the boards service: the events here are made from the shared schemas,
exactly what boards publishes (PostCreated, PostUpdated — also on a staff restore, with the
post's version unchanged — PostHidden, CommentAdded).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.bootstrap import create_app
from services.search import api
from services.search.analysis import KiwiAnalyzer
from services.search.posts import PostIndexer
from services.search.queries import parse_post_query
from services.search.reindex import reindex
from shared.adapters.engine_client import engine_client
from shared.adapters.engine_search import EngineSearchIndex
from shared.adapters.sqlite_search import SqliteSearchIndex
from shared.ports.bus import PoisonRecordError, Record
from shared.ports.search import SearchIndex
from shared.schemas import (
    BoardComment,
    BoardPost,
    CommentAdded,
    Envelope,
    Event,
    PostCreated,
    PostHidden,
    PostUpdated,
)
from shared.service import INFRA
from shared.settings import Mode, SinmunSettings
from shared.topics import BOARDS_EVENTS
from tests.conftest import real_server
from tests.integration.search.conftest import ClientFactory, Platform

CREATED = datetime(2026, 9, 3, 9, 30, tzinfo=UTC)


def post(post_id: str, title: str, body: str, *, board: str = "free", **extra: Any) -> BoardPost:
    fields: dict[str, Any] = {
        "post_id": post_id, "board": board, "title": title, "body_text": body,
        "author_id": "m-1", "author_nick": "포항사람", "created_at": CREATED,
    }  # fmt: skip
    return BoardPost(**{**fields, **extra})


def hidden(post_id: str, board: str = "free") -> PostHidden:
    return PostHidden(post_id=post_id, board=board, reason="reported", hidden_at=CREATED)


def record(event: Event, offset: int, key: str) -> Record:
    value = Envelope.wrap(event, "boards").model_dump_json().encode()
    return Record(BOARDS_EVENTS.name, 0, offset, key, value)


@pytest.fixture(scope="module")
def analyzer() -> KiwiAnalyzer:
    return KiwiAnalyzer()


@pytest.fixture(params=["local", "opensearch"])
async def posts(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SearchIndex]:
    adapter: SqliteSearchIndex | EngineSearchIndex
    if request.param == "local":
        adapter = SqliteSearchIndex(tmp_path / "search_posts.sqlite3")
    else:
        client = engine_client("opensearch", real_server("SINMUN_SEARCH_URL"))
        adapter = EngineSearchIndex(client, alias=f"test-posts-{uuid.uuid4().hex[:10]}")
    await adapter.ensure()
    yield adapter
    if isinstance(adapter, EngineSearchIndex):
        await adapter.drop_generation("1")
    await adapter.close()


async def titles(index: SearchIndex, analyzer: KiwiAnalyzer, q: str, **params: str) -> list[str]:
    await index.refresh()
    found = await index.search(parse_post_query({"q": q, **params}, analyzer))
    return [str(hit.source["headline"]) for hit in found.hits]


async def test_posts_are_found_edited_hidden_and_restored_in_order(
    posts: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    indexer = PostIndexer(posts, analyzer)
    first = post("p1", "영일대 야경 사진", "포항시는 밤이 예쁩니다")
    await indexer.on_board_event(record(PostCreated(post=first), 0, "p1"))
    assert await titles(posts, analyzer, "포항시에서") == ["영일대 야경 사진"]  # morphology
    edited = first.model_copy(update={"title": "영일대 해수욕장 야경", "version": 2})
    await indexer.on_board_event(record(PostUpdated(post=edited), 1, "p1"))
    assert await titles(posts, analyzer, "해수욕장") == ["영일대 해수욕장 야경"]
    await indexer.on_board_event(record(hidden("p1"), 2, "p1"))
    assert await titles(posts, analyzer, "영일대") == []
    assert await posts.count() == 0
    # A restore is PostUpdated with the post's version unchanged: it is newer all the same.
    await indexer.on_board_event(record(PostUpdated(post=edited), 3, "p1"))
    assert await titles(posts, analyzer, "영일대") == ["영일대 해수욕장 야경"]


async def test_redelivered_and_replayed_events_change_nothing(
    posts: SearchIndex, analyzer: KiwiAnalyzer
) -> None:
    indexer = PostIndexer(posts, analyzer)
    original = post("p2", "죽도시장 물회 맛집", "추천합니다")
    events = [
        record(PostCreated(post=original), 10, "p2"),
        record(hidden("p2"), 11, "p2"),
    ]
    for r in events:
        await indexer.on_board_event(r)
    for r in events[:1]:  # the creation delivered again after the hide
        await indexer.on_board_event(r)
    assert await titles(posts, analyzer, "물회") == []
    comment = BoardComment(
        comment_id="c1", post_id="p3", board="free", body_text="물회 최고",
        author_id="m-2", author_nick="구룡포", created_at=CREATED,
    )  # fmt: skip
    await indexer.on_board_event(record(CommentAdded(comment=comment), 12, "p3"))
    assert await posts.count() == 0  # comments are not searched
    with pytest.raises(PoisonRecordError):
        await indexer.on_board_event(Record(BOARDS_EVENTS.name, 0, 13, "p4", b"{not json"))


async def test_board_and_author_filters(posts: SearchIndex, analyzer: KiwiAnalyzer) -> None:
    indexer = PostIndexer(posts, analyzer)
    later = CREATED + timedelta(days=1)
    for offset, p in enumerate(
        (
            post("n1", "불빛축제 교통 통제 안내", "축제 기간 통제", board="notice"),
            post("f1", "불빛축제 명당 공유", "축제 자리", author_nick="송도주민", created_at=later),
            post("f2", "축제 주차 질문", "불빛축제 주차장 어디", updated_at=later),
        )
    ):
        await indexer.on_board_event(record(PostCreated(post=p), offset, p.post_id))
    assert sorted(await titles(posts, analyzer, "불빛축제")) == [
        "불빛축제 교통 통제 안내", "불빛축제 명당 공유", "축제 주차 질문",
    ]  # fmt: skip
    assert await titles(posts, analyzer, "불빛축제", board="notice") == ["불빛축제 교통 통제 안내"]
    assert await titles(posts, analyzer, "축제", author="송도주민") == ["불빛축제 명당 공유"]
    assert (await titles(posts, analyzer, "축제", sort="latest"))[0] == "불빛축제 명당 공유"


async def publish(platform: Platform, event: PostCreated | PostUpdated | PostHidden) -> None:
    key = event.post_id if isinstance(event, PostHidden) else event.post.post_id
    await platform.app[INFRA].bus.publish(BOARDS_EVENTS.name, key, Envelope.wrap(event, "boards"))


async def posts_until(platform: Platform, total: int, **params: str) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            response = await platform.client.get("/api/search/posts", params=params)
            assert response.status == 200, await response.text()
            body: dict[str, Any] = await response.json()
            if body["total"] == total:
                return body
            await asyncio.sleep(0.05)


async def test_the_posts_api_follows_boards_events(platform: Platform) -> None:
    spam = post("s1", "포항 <b>대박</b> 이벤트", "지금 클릭 <script>x</script>")
    await publish(platform, PostCreated(post=post("a1", "포항 맛집 추천", "죽도시장 물회")))
    await publish(platform, PostCreated(post=spam))
    await publish(platform, PostCreated(post=post("a2", "포항 공지", "점검 안내", board="notice")))
    body = await posts_until(platform, 3, q="포항")
    hit = next(h for h in body["hits"] if h["post_id"] == "s1")
    assert set(hit) == {
        "post_id", "board", "title", "snippet", "author_nick", "created_at", "score",
    }  # fmt: skip
    assert hit["board"] == "free" and hit["author_nick"] == "포항사람"
    assert "&lt;script&gt;" in hit["snippet"] and "<script" not in hit["snippet"]
    assert body["facets"]["board"] == {"free": 2, "notice": 1}
    assert (await posts_until(platform, 1, q="포항", board="notice"))["hits"][0]["post_id"] == "a2"
    await publish(platform, hidden("s1"))
    remaining = await posts_until(platform, 2, q="포항")
    assert {h["post_id"] for h in remaining["hits"]} == {"a1", "a2"}
    # Posts stay out of the article search, and the status counts them apart.
    assert (await platform.search(q="죽도시장"))["total"] == 0
    status = await (await platform.client.get("/api/search/status")).json()
    assert status["posts"]["documents"] == 2


async def test_bad_post_queries_get_clear_errors(platform: Platform) -> None:
    for params, field in (
        ({"q": ""}, "q"),
        ({"q": "가" * 201}, "q"),
        ({"q": "포항", "board": "Free Board!"}, "board"),
        ({"q": "포항", "sort": "random"}, "sort"),
        ({"q": "포항", "page": "0"}, "page"),
    ):
        response = await platform.client.get("/api/search/posts", params=params)
        assert response.status == 400, params
        error = (await response.json())["error"]
        assert error["code"] == "invalid_query"
        assert error["details"][0]["field"] == field, params


async def test_a_rebuild_of_the_posts_index_replays_boards_events(platform: Platform) -> None:
    await publish(platform, PostCreated(post=post("r1", "구룡포 과메기 후기", "맛있어요")))
    await publish(platform, PostCreated(post=post("r2", "구룡포 일출 명소", "새벽 추천")))
    await publish(platform, hidden("r2"))
    await posts_until(platform, 1, q="구룡포")
    index = platform.app[api.DEPS].posts
    assert index is not None
    report = await reindex(
        index, platform.app[INFRA].bus, KiwiAnalyzer(), kind="posts", drop_grace_s=0
    )
    assert (report.previous, report.generation, report.documents) == ("1", "2", 1)
    rebuilt = await posts_until(platform, 1, q="구룡포")
    assert [h["post_id"] for h in rebuilt["hits"]] == ["r1"]  # the hidden post stays hidden


async def test_a_post_written_on_the_boards_is_found_until_its_author_deletes_it(
    tmp_path: Path, aiohttp_client: ClientFactory
) -> None:
    """The real producer: the boards service beside search in one embedded process."""
    settings = SinmunSettings(mode=Mode.EMBEDDED, data_dir=tmp_path, log_level="WARNING")
    client = await aiohttp_client(create_app(settings, ["boards", "search"]))
    member = {
        "email": "reader@example.kr",
        "nickname": "포항사람",
        "password": "영일만-바다-2026-봄",
    }
    assert (await client.post("/api/members", json=member)).status == 201
    login = await client.post(
        "/api/sessions", json={"login": "포항사람", "password": member["password"]}
    )
    auth = {"Authorization": f"Bearer {(await login.json())['token']}"}
    written = await client.post(
        "/api/boards/free/posts", headers=auth,
        json={"title": "영일대 야경 사진", "body_text": "포항시는 밤이 예쁩니다"},
    )  # fmt: skip
    assert written.status == 201
    post_id = (await written.json())["post"]["post_id"]

    async def found(q: str, total: int) -> list[dict[str, Any]]:
        async with asyncio.timeout(30):
            while True:
                body = await (await client.get("/api/search/posts", params={"q": q})).json()
                if body["total"] == total:
                    return list(body["hits"])
                await asyncio.sleep(0.05)

    hits = await found("포항시에서", 1)
    assert (hits[0]["post_id"], hits[0]["author_nick"]) == (post_id, "포항사람")
    deleted = await client.delete(f"/api/boards/free/posts/{post_id}", headers=auth)
    assert deleted.status == 204
    assert await found("영일대", 0) == []
