"""What the stack holds, read from outside the services: topics, consumer groups, ingest's and
render's databases, the search index, and render's and search's HTTP answers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import aiohttp
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.adapters.kafka_bus import KafkaBus
from shared.adapters.mongo_store import MongoCollection, MongoStorage
from shared.ports.bus import Record
from shared.settings import SinmunSettings
from shared.topics import DLQ_SUFFIX, topic

TOTAL = re.compile(r'<p class="count">총 <strong>([\d,]+)</strong>건</p>')
ARTICLE_LOC = re.compile(r"<loc>[^<]*/news/(\d{16})</loc>")
LISTED_CARD = re.compile(r'class="card-title"><a href="/news/(\d{16})">')
LIST_PAGE = 20  # cards on a page of 전체기사
PAGES_AT_ONCE = 4


class Audit:
    """An auditor on one stack's namespace: a bus, a Kafka admin, the services' databases."""

    def __init__(self, settings: SinmunSettings) -> None:
        self.settings = settings
        self.namespace = settings.kafka_namespace
        self.bus = KafkaBus(settings.kafka_bootstrap_servers, namespace=self.namespace)
        self._admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        # One consumer outside any group for end offsets: polled often, so kept open.
        self._offsets = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers)
        self._ingest = MongoStorage(settings.mongo_url, settings.mongo_db_prefix + "ingest")
        self.render_storage = MongoStorage(settings.mongo_url, settings.mongo_db_prefix + "render")
        self.http = aiohttp.ClientSession()
        self._index = f"{settings.search_url}/{settings.search_index_prefix}sinmun-articles"

    async def __aenter__(self) -> Audit:
        await self.bus.start()
        await self._admin.start()
        await self._offsets.start()
        await self._ingest.open()
        await self.render_storage.open()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.http.close()
        await self.render_storage.close()
        await self._ingest.close()
        await self._offsets.stop()
        await self._admin.close()
        await self.bus.stop()

    # -- ingest's and render's databases ------------------------------------------------------

    async def ingest(self, name: str) -> MongoCollection:
        return await self._ingest.collection(name)

    async def render(self, name: str) -> MongoCollection:
        return await self.render_storage.collection(name)

    async def stored(self) -> int:
        """Stories ingest has stored."""
        return await (await self.ingest("stories")).count()

    async def projected(self) -> int:
        """Articles in render's list read model (its cards)."""
        return await (await self.render("article_cards")).count()

    # -- the search index ---------------------------------------------------------------------

    async def indexed(self) -> int:
        """Documents in the live index (0 before it exists)."""
        async with self.http.get(self._index + "/_count") as response:
            return int((await response.json())["count"]) if response.status == 200 else 0

    async def index_entries(self) -> list[tuple[str, int, bool, int]]:
        """Every document behind the live alias, all generations: (id, version, live, seq_no);
        the sequence number moves whenever the document is written again."""
        body = {
            "size": 10_000,
            "seq_no_primary_term": True,
            "_source": ["version", "live"],
            "query": {"match_all": {}},
        }
        async with self.http.post(self._index + "/_search", json=body) as response:
            assert response.status == 200, await response.text()
            hits = (await response.json())["hits"]["hits"]
        return [
            (h["_id"], int(h["_source"]["version"]), bool(h["_source"]["live"]), int(h["_seq_no"]))
            for h in hits
        ]

    # -- topics and consumer groups -------------------------------------------------------------

    async def end_offsets(self, name: str) -> dict[int, int]:
        """Per partition (as the registry has them), the offset of the next record."""
        tps = [TopicPartition(self.namespace + name, p) for p in range(topic(name).partitions)]
        ends = await self._offsets.end_offsets(tps)
        return {tp.partition: int(offset) for tp, offset in ends.items()}

    async def records(self, topic: str) -> list[Record]:
        """Every record of the topic, partition by partition."""
        found: list[Record] = []
        for partition, end in (await self.end_offsets(topic)).items():
            found += await self.bus.read(topic, partition, 0, end)
        return found

    async def committed(self, group: str) -> dict[tuple[str, int], int]:
        """The group's committed offsets: (topic, partition) -> next offset."""
        offsets = await self._admin.list_consumer_group_offsets(self.namespace + group)
        return {
            (tp.topic.removeprefix(self.namespace), tp.partition): meta.offset
            for tp, meta in offsets.items()
            if meta.offset >= 0
        }

    async def lag(self, group: str, topic: str) -> int:
        """Records of `topic` the group has not committed yet."""
        committed = await self.committed(group)
        ends = await self.end_offsets(topic)
        return sum(end - committed.get((topic, p), 0) for p, end in ends.items())

    async def rewind(self, group: str, topic: str, offsets: Mapping[int, int]) -> None:
        """Set the committed offsets of a group with no live member (its services stopped)."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=self.namespace + group,
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            tps = {p: TopicPartition(self.namespace + topic, p) for p in offsets}
            consumer.assign(list(tps.values()))
            await consumer.commit({tps[p]: offset for p, offset in offsets.items()})
        finally:
            await consumer.stop()

    async def dead_letters(self) -> dict[str, int]:
        """Records in each dead-letter topic of the namespace (the non-empty ones)."""
        names = [
            t.removeprefix(self.namespace)
            for t in await self._admin.list_topics()
            if t.startswith(self.namespace) and t.endswith(DLQ_SUFFIX)
        ]
        counts = {name: sum((await self.end_offsets(name)).values()) for name in names}
        return {name: n for name, n in counts.items() if n}

    # -- the services' HTTP answers -----------------------------------------------------------

    async def get_json(self, url: str) -> Any:
        async with self.http.get(url) as response:
            assert response.status == 200, f"{url}: {response.status}"
            return await response.json()

    async def get_text(self, url: str, headers: Mapping[str, str] | None = None) -> str:
        async with self.http.get(url, headers=headers) as response:
            assert response.status == 200, f"{url}: {response.status}"
            return await response.text()

    async def news_total(self, render_base: str) -> int:
        """The article count 전체기사 shows."""
        found = TOTAL.search(await self.get_text(render_base + "/news"))
        assert found, "no count on /news"
        return int(found.group(1).replace(",", ""))

    async def sitemap_articles(self, render_base: str) -> list[str]:
        """The article ids render's sitemap lists (every listed article, newest first)."""
        return ARTICLE_LOC.findall(await self.get_text(render_base + "/sitemap.xml"))

    async def listed_articles(self, render_base: str) -> list[str]:
        """The article ids on every page of 전체기사, first page first (a few pages at once)."""
        pages = -(-await self.news_total(render_base) // LIST_PAGE)
        urls = [f"{render_base}/news?page={page}" for page in range(1, pages + 1)]
        found: list[str] = []
        for start in range(0, len(urls), PAGES_AT_ONCE):
            batch = urls[start : start + PAGES_AT_ONCE]
            for html in await asyncio.gather(*map(self.get_text, batch)):
                found += LISTED_CARD.findall(html)
        return found
