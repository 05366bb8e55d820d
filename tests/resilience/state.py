"""A comparable picture of everything the stack's consumers wrote: ingest's stories, versions
and outbox, the events on `articles.published`, the search index, render's read model, its
전체기사 list and sitemap, and 많이본 뉴스's view counts."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from services.render.most_viewed import ViewCounter
from shared.ports.bus import Record
from shared.topics import ARTICLES_PUBLISHED
from tests.resilience.audit import Audit

# (article id, source, guid, storage revision, article version, event ids) per story.
StoryRow = tuple[str, str, str, int, int, tuple[str, ...]]
# (article id, storage revision, article version) per document of render's read model.
ReadRow = tuple[str, int, int]
# (article id, article version, event id) per record of articles.published.
EventRow = tuple[str, int, str]


@dataclass(frozen=True)
class State:
    stories: tuple[StoryRow, ...]
    superseded_versions: int  # ingest's `versions` history
    pending_events: int  # ingest's outbox
    events: Counter[EventRow]  # every record of articles.published, with its multiplicity
    search_documents: int  # as search's /api/search/status counts them
    index: tuple[tuple[str, int, bool, int], ...]  # (id, version, live, seq_no) in the index
    render_articles: tuple[ReadRow, ...]
    render_cards: tuple[ReadRow, ...]
    listed: int  # the count 전체기사 shows
    # Article ids on every page of 전체기사, with their multiplicity (None: not walked; deep
    # pages cost a sort of the whole list each on FerretDB, too slow for 5,000 articles).
    list_pages: Counter[str] | None
    sitemap: Counter[str]  # article ids in the sitemap, with their multiplicity
    views: dict[str, int]  # 많이본 뉴스's counts per article


async def snapshot(
    audit: Audit, search_base: str, render_base: str, *, walk_list: bool = True
) -> State:
    stories = await (await audit.ingest("stories")).find()
    published = await audit.records(ARTICLES_PUBLISHED.name)
    status = await audit.get_json(search_base + "/api/search/status")
    return State(
        stories=tuple(sorted(
            (s["_id"], s["source"], s["guid"], int(s["version"]), int(s["article"]["version"]),
             tuple(s["events"]))
            for s in stories
        )),
        superseded_versions=await (await audit.ingest("versions")).count(),
        pending_events=await (await audit.ingest("outbox")).count(),
        events=Counter(map(event_row, published)),
        search_documents=int(status["documents"]),
        index=tuple(sorted(await audit.index_entries())),
        render_articles=await read_rows(audit, "articles"),
        render_cards=await read_rows(audit, "article_cards"),
        listed=await audit.news_total(render_base),
        list_pages=Counter(await audit.listed_articles(render_base)) if walk_list else None,
        sitemap=Counter(await audit.sitemap_articles(render_base)),
        views=await view_totals(audit),
    )  # fmt: skip


def event_row(record: Record) -> EventRow:
    """What an ArticlePublished record announces: which article, which version, which event."""
    envelope = json.loads(record.value)
    article = envelope["payload"]["article"]
    return article["article_id"], int(article["version"]), envelope["event_id"]


async def read_rows(audit: Audit, name: str) -> tuple[ReadRow, ...]:
    docs = await (await audit.render(name)).find()
    return tuple(sorted((d["_id"], int(d["version"]), int(d["article_version"])) for d in docs))


async def view_totals(audit: Audit) -> dict[str, int]:
    counter = await ViewCounter.open(
        audit.render_storage, window=timedelta(hours=24), dedup=timedelta(minutes=30)
    )
    return await counter.totals()
