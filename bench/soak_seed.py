"""What the soak's readers and writers need before the load: a reporter token, a few hundred
articles, reporters logged in (reporters so the boards' anti-spam rates, which are for new
members, do not throttle a steady writer), the first board posts, and render and search
showing all of it."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from bench.soak_stack import Stack
from services.boards.members import MemberStore
from services.boards.passwords import hash_password
from services.bootstrap import open_storage
from services.ingest.tokens import TokenRole, TokenStore
from shared.schemas.boards import Role

CORPUS = Path(__file__).parent.parent / "tests" / "data" / "articles.jsonl"
PASSWORD = "소크-시험-기자-비밀번호-2026"
SEED_IN_FLIGHT = 8
VISIBLE_S = 120.0  # the seed's events through Kafka into render and search, on a busy machine


@dataclass(frozen=True)
class Seeded:
    """The ids the load rotates over, and the writers' sessions."""

    article_ids: list[str]
    post_ids: list[str]
    writer_tokens: list[str]


def corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines() if line]


async def reporter_token(stack: Stack) -> str:
    storage = await open_storage(stack.settings, "ingest")
    try:
        return await (await TokenStore.open(storage)).create("soak", TokenRole.REPORTER)
    finally:
        await storage.close()


async def post_articles(session: ClientSession, stack: Stack, token: str, count: int) -> list[str]:
    """`count` newsroom articles: the corpus over and over under new guids; their ids."""
    templates = corpus()
    auth = {"Authorization": f"Bearer {token}"}
    window = asyncio.Semaphore(SEED_IN_FLIGHT)

    async def one(n: int) -> str:
        story = {**templates[n % len(templates)], "source": "newsroom", "guid": f"soak-seed-{n}"}
        if n >= len(templates):
            story["headline"] = f"{story['headline']} ({n // len(templates) + 1}보)"
        url = stack["ingest"].base + "/api/articles"
        async with window, session.post(url, json=story, headers=auth) as response:
            body = await response.json()
            if response.status != 201:
                raise RuntimeError(f"seed article {n}: {response.status} {body}")
            return str(body["article_id"])

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def make_writers(stack: Stack, session: ClientSession, count: int) -> list[str]:
    """`count` reporters created in boards' own store, each logged in; their bearer tokens."""
    storage = await open_storage(stack.settings, "boards")
    try:
        members = await MemberStore.open(storage)
        hashed = hash_password(PASSWORD)
        for n in range(count):
            email, nickname = f"soak{n}@bench.example", f"소크기자{n:02d}"
            await members.create(email, nickname, hashed, Role.REPORTER)
    finally:
        await storage.close()
    tokens = []
    for n in range(count):
        async with session.post(
            stack["boards"].base + "/api/sessions",
            json={"login": f"soak{n}@bench.example", "password": PASSWORD},
        ) as response:
            body = await response.json()
            if response.status != 200:
                raise RuntimeError(f"login of writer {n}: {response.status} {body}")
            tokens.append(str(body["token"]))
    return tokens


async def write_posts(
    session: ClientSession, stack: Stack, tokens: list[str], count: int
) -> list[str]:
    post_ids = []
    for n in range(count):
        async with session.post(
            stack["boards"].base + "/api/boards/free/posts",
            json={"title": f"소크 시드 글 {n}", "body_text": f"포항 영일대 소식 {n}번째입니다."},
            headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"},
        ) as response:
            body = await response.json()
            if response.status != 201:
                raise RuntimeError(f"seed post {n}: {response.status} {body}")
            post_ids.append(str(body["post"]["post_id"]))
    return post_ids


async def until_visible(session: ClientSession, stack: Stack, seeded: Seeded) -> None:
    """Until render has every seeded page and search has every article and post indexed."""
    paths = [f"/news/{a}" for a in seeded.article_ids]
    paths += [f"/community/free/{p}" for p in seeded.post_ids]
    deadline = time.monotonic() + VISIBLE_S
    while paths:
        waiting = []
        for path in paths:
            async with session.get(
                stack["render"].base + "/api/render/ready", params={"path": path}
            ) as response:
                if not (response.status == 200 and (await response.json())["ready"]):
                    waiting.append(path)
        paths = waiting
        if paths:
            if time.monotonic() > deadline:
                raise RuntimeError(f"render never showed {len(paths)} pages, e.g. {paths[0]}")
            await asyncio.sleep(0.5)
    while True:
        async with session.get(stack["search"].base + "/api/search/status") as response:
            status = await response.json()
        articles, posts = status["documents"], status["posts"]["documents"]
        if articles >= len(seeded.article_ids) and posts >= len(seeded.post_ids):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"search never indexed the seed: {status}")
        await asyncio.sleep(0.5)


async def seed(stack: Stack, articles: int, writers: int, posts: int) -> Seeded:
    token = await reporter_token(stack)
    async with ClientSession() as session:
        article_ids = await post_articles(session, stack, token, articles)
        tokens = await make_writers(stack, session, writers)
        post_ids = await write_posts(session, stack, tokens, posts)
        seeded = Seeded(article_ids, post_ids, tokens)
        await until_visible(session, stack, seeded)
    return seeded
