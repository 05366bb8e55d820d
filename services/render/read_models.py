"""Render's read models: articles and board posts as its pages show them, built only from events.

Both models live in render's own storage (SQLite embedded, MongoDB/FerretDB distributed) and
apply events idempotently: a document remembers the content version it holds, an older or equal
version changes nothing, so redelivered, duplicated or replayed events are harmless. Every write
is a primary-key insert or a compare-and-set on a storage revision (`version`, bumped on every
write), which is atomic on every backend, even FerretDB v1 whose filtered updates are not.

Lists read small documents (`article_cards`, `posts`) sorted on indexed keys; the whole article
(its body can be large) is read only for its own page.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from services.render.article_lists import (
    ALL,
    LIST_CAP,
    ArticleLists,
    CardList,
    Entry,
    section_list,
)
from services.render.models import ArticleCard, ArticlePage, PostCard, PostPage
from services.render.versioned_writes import upsert_newer
from shared.ports.storage import (
    Collection,
    Document,
    DocumentStorage,
    DuplicateKeyError,
    IndexSpec,
    SortSpec,
)
from shared.schemas import (
    Article,
    BoardComment,
    BoardPost,
    CommentAdded,
    PostCreated,
    PostHidden,
    PostUpdated,
)
from shared.single_flight import SingleFlight

LEAD_CHARS = 160
PAGE_MEMO = 5000
CARD_MEMO = 2000  # lists show at most 100 cards each: the site and its sections
TIME_KEY = "%Y-%m-%dT%H:%M:%S.%fZ"
NEWEST: SortSpec = (("published_key", -1),)  # ties: ascending id, as every adapter sorts
MAX_FOLLOWS = 20
BoardEvent = PostCreated | PostUpdated | PostHidden | CommentAdded


def time_key(when: datetime) -> str:
    """A UTC timestamp that sorts as text in every adapter (fixed width, microseconds, `Z`)."""
    if when.tzinfo is None:
        raise ValueError("time_key needs an aware datetime")
    return when.astimezone(UTC).strftime(TIME_KEY)


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "br", "div", "li", "h2", "h3", "h4", "blockquote", "figcaption"):
            self.parts.append(" ")


def plain_lead(body_html: str, limit: int = LEAD_CHARS) -> str:
    """The body's first `limit` characters of plain text (for lists, descriptions and feeds)."""
    parser = _TextOnly()
    # The body is sanitised on ingest; only its opening matters, so parse no more than needed.
    parser.feed(body_html[: limit * 20])
    parser.close()
    text = re.sub(r"\s+", " ", "".join(parser.parts)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def card_of(article: Article) -> ArticleCard:
    image = article.images[0] if article.images else None
    return ArticleCard(
        article_id=article.article_id,
        headline=article.headline,
        section=article.section,
        published_at=article.published_at,
        updated_at=article.updated_at,
        subhead=article.subhead,
        byline=article.byline,
        lead=plain_lead(article.body_html),
        image_url=str(image.url) if image else None,
        image_alt=image.alt if image else None,
        tags=tuple(article.tags),
    )


def _card_json(card: ArticleCard) -> dict[str, Any]:
    return {
        "article_id": card.article_id,
        "headline": card.headline,
        "section": card.section,
        "published_at": card.published_at.isoformat(),
        "updated_at": card.updated_at.isoformat() if card.updated_at else None,
        "subhead": card.subhead,
        "byline": card.byline,
        "lead": card.lead,
        "image_url": card.image_url,
        "image_alt": card.image_alt,
        "tags": list(card.tags),
    }


def _card_from(doc: Document) -> ArticleCard:
    return _card_of(doc["card"])


def _card_of(c: dict[str, Any]) -> ArticleCard:
    return ArticleCard(
        article_id=c["article_id"],
        headline=c["headline"],
        section=c["section"],
        published_at=datetime.fromisoformat(c["published_at"]),
        updated_at=datetime.fromisoformat(c["updated_at"]) if c.get("updated_at") else None,
        subhead=c.get("subhead"),
        byline=c.get("byline"),
        lead=c.get("lead", ""),
        image_url=c.get("image_url"),
        image_alt=c.get("image_alt"),
        tags=tuple(c.get("tags", ())),
    )


def _newer_article(version: int, retracted: bool) -> Callable[[Document | None], bool]:
    def newer(stored: Document | None) -> bool:
        if stored is None:
            return True
        held = int(stored["article_version"])
        # A retraction is a new version; the equal-version case only guards odd producers.
        return version > held or (version == held and retracted and not stored["retracted"])

    return newer


class ArticleReadModel:
    """Articles from `articles.published`: pages by id, newest-first lists, feeds, sitemaps.

    Lists are read from `ArticleLists` (one document each, see article_lists.py) and kept in
    memory until `forget`; only reads beyond a list's newest cards query the cards.
    """

    def __init__(self, articles: Collection, cards: Collection, lists: ArticleLists) -> None:
        self._articles = articles
        self._cards = cards
        self._lists = lists
        # Article pages by id (None: unknown), so a cached page costs no storage read; whoever
        # learns of a change (this replica's consumer, or the revision poll) calls `forget`.
        self._memo: OrderedDict[str, ArticlePage | None] = OrderedDict()
        self._list_memo: dict[str, CardList] = {}
        # Cards by article id with the article version they show (None: retracted).
        self._card_memo: OrderedDict[str, tuple[int, ArticleCard | None]] = OrderedDict()
        self._counts: dict[str, tuple[int, int]] = {}  # list id -> (count, generation)
        self._flight: SingleFlight[str, int] = SingleFlight()
        self._generation = 0

    def forget(self) -> None:
        """Drop the memo of lists (an article changed somewhere). Article pages are kept: this
        replica's own changes drop theirs in `apply_many`, another replica's `forget_pages`."""
        self._generation += 1
        self._list_memo.clear()

    def forget_pages(self) -> None:
        """Drop the memos of lists and article pages (another replica changed an article)."""
        self.forget()
        self._memo.clear()

    @classmethod
    async def open(cls, storage: DocumentStorage, list_cap: int = LIST_CAP) -> ArticleReadModel:
        articles = await storage.collection("articles")
        cards = await storage.collection(
            "article_cards",
            [
                IndexSpec(("retracted", "published_key")),
                IndexSpec(("section", "retracted", "published_key")),
            ],
        )
        lists = ArticleLists(await storage.collection("article_lists"), list_cap)
        if not await lists.built():  # a store from before the lists: make them once
            await lists.build(await cards.find())
        return cls(articles, cards, lists)

    async def apply(self, article: Article, retracted: bool) -> bool:
        """Hold `article` unless a newer (or the same) version is held; True if it changed."""
        return (await self.apply_many([(article, retracted)]))[0]

    async def apply_many(self, items: Sequence[tuple[Article, bool]]) -> list[bool]:
        """`apply` for a batch of (article, retracted), in order: each article and card is
        written on its own, the lists once for the batch (one write per list touched)."""
        changed: list[bool] = []
        cards: dict[str, Document] = {}
        # A read that began before a write must not be memoised after it: the generation
        # moves before the writes and again after the changed pages are dropped.
        self._generation += 1
        for article, retracted in items:
            written, card = await self._hold(article, retracted)
            changed.append(written)
            if card is not None:
                cards[article.article_id] = card
        await self._follow(list(cards.values()))
        for article, _ in items:
            self._memo.pop(article.article_id, None)
        self.forget()
        return changed

    async def _hold(self, article: Article, retracted: bool) -> tuple[bool, Document | None]:
        """Write the article and its card if newer; whether they changed, and the card as
        stored now."""
        retracted = retracted or article.status == "retracted"
        newer = _newer_article(article.version, retracted)
        common = {"article_version": article.version, "retracted": retracted}
        # The whole article first, the card next, the lists last: a crash in between leaves
        # the card or the lists old, and the redelivered event brings them up to date.
        await upsert_newer(
            self._articles,
            article.article_id,
            lambda s: {**common, "article": article.model_dump(mode="json")} if newer(s) else None,
        )
        edited = article.updated_at or article.published_at

        def card(stored: Document | None) -> Document | None:
            if not newer(stored):
                return None
            held = [] if stored is None else stored.get("sections") or [stored["section"]]
            return {
                **common,
                "section": article.section,
                # Every section it was ever in, so the lists of the ones it left drop it.
                "sections": sorted({*held, article.section}),
                "published_key": time_key(article.published_at),
                "edited_key": time_key(edited),
                "card": _card_json(card_of(article)),
            }

        written = await upsert_newer(self._cards, article.article_id, card)
        if written is not None:
            return True, written
        return False, await self._cards.get(article.article_id)

    async def _follow(self, cards: list[Document]) -> None:
        """Bring the lists up to the stored cards, and to any newer ones written meanwhile."""
        for _ in range(MAX_FOLLOWS):
            if not cards:
                return
            await self._lists.follow(cards)
            now = await asyncio.gather(*(self._cards.get(str(c["_id"])) for c in cards))
            pairs = zip(cards, now, strict=True)
            cards = [n for c, n in pairs if n is not None and n["version"] > c["version"]]
        raise RuntimeError(f"{cards[0]['_id']} is changing too fast")

    async def page(self, article_id: str) -> ArticlePage | None:
        """The article's page (retracted ones too, flagged), or None if no such article."""
        if article_id in self._memo:
            self._memo.move_to_end(article_id)
            return self._memo[article_id]
        generation = self._generation
        doc = await self._articles.get(article_id)
        page = (
            None
            if doc is None
            else ArticlePage(
                Article.model_validate(doc["article"]), retracted=bool(doc["retracted"])
            )
        )
        if generation == self._generation:  # no change landed while reading
            self._memo[article_id] = page
            while len(self._memo) > PAGE_MEMO:
                self._memo.popitem(last=False)
        return page

    async def _list(self, section: str | None) -> CardList:
        list_id = ALL if section is None else section_list(section)
        if (held := self._list_memo.get(list_id)) is not None:
            return held
        generation = self._generation
        cards = await self._lists.read(list_id)
        if generation == self._generation:
            self._list_memo[list_id] = cards
        return cards

    async def latest(
        self, limit: int = 15, offset: int = 0, section: str | None = None
    ) -> list[ArticleCard]:
        """Published (not retracted) articles, newest first."""
        listed = await self._list(section)
        if listed.covers(offset + limit):
            return await self._shown(listed.entries[offset : offset + limit])
        docs = await self._cards.find(self._listed(section), sort=NEWEST, limit=limit, skip=offset)
        return [_card_from(d) for d in docs]

    async def count(self, section: str | None = None) -> int:
        """How many articles are listed (in `section`): from the list document, or counted
        among the cards once after a change the list cannot account for (see `placed`)."""
        listed = await self._list(section)
        if listed.count is not None:
            return listed.count
        list_id = ALL if section is None else section_list(section)
        held = self._counts.get(list_id)
        if held is not None and held[1] == self._generation:
            return held[0]
        generation = self._generation
        where = self._listed(section)
        counted = await self._flight.run(
            list_id, lambda: self._lists.recount(list_id, lambda: self._cards.count(where))
        )
        self._counts[list_id] = (counted, generation)
        return counted

    async def cards(self, article_ids: list[str]) -> dict[str, ArticleCard]:
        """The listed (not retracted) cards of these articles, by id (one read by id each:
        FerretDB would scan the whole collection for an `$in`)."""
        docs = await asyncio.gather(*(self._cards.get(i) for i in dict.fromkeys(article_ids)))
        return {d["_id"]: _card_from(d) for d in docs if d is not None and not d["retracted"]}

    async def last_edited(self) -> datetime | None:
        """The site's 최종편집: the latest publication, update or retraction."""
        key = (await self._list(None)).edited
        return None if key is None else datetime.strptime(key, TIME_KEY).replace(tzinfo=UTC)

    async def _shown(self, entries: Sequence[Entry]) -> list[ArticleCard]:
        """The cards of these list entries, in order: a card is the same for one article
        version, so it is read once per version (by id) and kept; a card retracted since the
        list was read is left out."""
        missing = [
            e["id"]
            for e in entries
            if (held := self._card_memo.get(e["id"])) is None or held[0] < int(e["v"])
        ]
        for doc in await asyncio.gather(*(self._cards.get(i) for i in missing)):
            if doc is not None:
                card = None if doc["retracted"] else _card_from(doc)
                self._card_memo[doc["_id"]] = (int(doc["article_version"]), card)
        shown: list[ArticleCard] = []
        for e in entries:
            if (held := self._card_memo.get(e["id"])) is not None:
                self._card_memo.move_to_end(e["id"])
                if held[1] is not None:
                    shown.append(held[1])
        while len(self._card_memo) > CARD_MEMO:
            self._card_memo.popitem(last=False)
        return shown

    async def since(self, when: datetime, limit: int = 1000) -> list[ArticleCard]:
        """Published articles first published at or after `when`, newest first."""
        start = time_key(when)
        listed = await self._list(None)
        if not listed.truncated or (listed.entries and listed.entries[-1]["key"] < start):
            return await self._shown([e for e in listed.entries if e["key"] >= start][:limit])
        where = {"retracted": False, "published_key": {"$gte": start}}
        docs = await self._cards.find(where, sort=NEWEST, limit=limit)
        return [_card_from(d) for d in docs]

    @staticmethod
    def _listed(section: str | None) -> dict[str, Any]:
        return {"retracted": False} if section is None else {"section": section, "retracted": False}


def _post_fields(post: BoardPost, hidden: bool, comments: int) -> Document:
    return {
        "board": post.board,
        "hidden": hidden,
        "pinned": post.pinned,
        "created_key": time_key(post.created_at),
        "post_version": post.version,
        "comments": comments,
        "post": post.model_dump(mode="json"),
    }


def _card_of_post(doc: Document) -> PostCard:
    post = BoardPost.model_validate(doc["post"])
    return PostCard(
        post_id=post.post_id,
        board=post.board,
        title=post.title,
        author_nick=post.author_nick,
        created_at=post.created_at,
        pinned=post.pinned,
        comments=int(doc.get("comments", 0)),
    )


class BoardReadModel:
    """Board posts and comments from `boards.events`; hidden posts are kept but never shown.

    boards.events is keyed by post id, so one post's events arrive in order and a redelivery
    replays a suffix in order: the rules below converge to the same state either way.
    """

    def __init__(self, posts: Collection, comments: Collection) -> None:
        self._posts = posts
        self._comments = comments
        # Board lists until the next boards change (`forget`); post pages by the post's
        # storage revision, which every edit, hiding and comment count moves.
        self._lists: dict[tuple[str, int, int], tuple[list[PostCard], int]] = {}
        self._pages: OrderedDict[str, tuple[int, PostPage]] = OrderedDict()
        self._generation = 0

    def forget(self) -> None:
        """Drop the memo of board lists (a board changed somewhere)."""
        self._generation += 1
        self._lists.clear()

    @classmethod
    async def open(cls, storage: DocumentStorage) -> BoardReadModel:
        posts = await storage.collection(
            "posts", [IndexSpec(("board", "hidden", "pinned", "created_key"))]
        )
        comments = await storage.collection("comments", [IndexSpec(("post_id", "created_key"))])
        return cls(posts, comments)

    async def apply(self, event: BoardEvent) -> bool:
        """Apply one boards event; True if the read model changed."""
        self._generation += 1  # a read begun before the write is not memoised after it
        if isinstance(event, PostCreated):
            changed = await self._created(event.post)
        elif isinstance(event, PostUpdated):
            changed = await self._updated(event.post)
        elif isinstance(event, PostHidden):
            changed = await self._hidden(event.post_id)
        else:
            changed = await self._comment(event.comment)
        self.forget()
        return changed

    async def _created(self, post: BoardPost) -> bool:
        def fields(stored: Document | None) -> Document | None:
            return _post_fields(post, False, 0) if stored is None else None

        return await upsert_newer(self._posts, post.post_id, fields) is not None

    async def _updated(self, post: BoardPost) -> bool:
        # An edit raises the post's version; a staff restore re-announces the same version,
        # so an equal version counts when it makes a hidden post visible or changes content.
        def fields(stored: Document | None) -> Document | None:
            if stored is None:
                return _post_fields(post, False, 0)
            held = int(stored["post_version"])
            same = stored["post"] == post.model_dump(mode="json") and not stored["hidden"]
            if post.version < held or (post.version == held and same):
                return None
            return _post_fields(post, False, int(stored.get("comments", 0)))

        return await upsert_newer(self._posts, post.post_id, fields) is not None

    async def _hidden(self, post_id: str) -> bool:
        def fields(stored: Document | None) -> Document | None:
            if stored is None or stored["hidden"]:
                return None
            return {k: v for k, v in stored.items() if k not in ("_id", "version")} | {
                "hidden": True
            }

        return await upsert_newer(self._posts, post_id, fields) is not None

    async def _comment(self, comment: BoardComment) -> bool:
        doc = {
            "_id": comment.comment_id,
            "post_id": comment.post_id,
            "created_key": time_key(comment.created_at),
            "comment": comment.model_dump(mode="json"),
        }
        try:
            await self._comments.insert(doc)
            inserted = True
        except DuplicateKeyError:
            inserted = False
        # Recounted, not incremented: a redelivery after a crash fixes the count instead of
        # adding to it twice.
        total = await self._comments.count({"post_id": comment.post_id})

        def fields(stored: Document | None) -> Document | None:
            if stored is None or int(stored.get("comments", 0)) == total:
                return None
            return {k: v for k, v in stored.items() if k not in ("_id", "version")} | {
                "comments": total
            }

        recounted = await upsert_newer(self._posts, comment.post_id, fields) is not None
        return inserted or recounted

    async def posts(self, board: str, page: int = 1, size: int = 20) -> tuple[list[PostCard], int]:
        """One page of a board (pinned first, then newest) and the board's visible total."""
        key = (board, page, size)
        if (held := self._lists.get(key)) is not None:
            return held
        generation = self._generation
        where = {"board": board, "hidden": False}
        total = await self._posts.count(where)
        docs = await self._posts.find(
            where,
            sort=[("pinned", -1), ("created_key", -1)],
            limit=size,
            skip=max(page - 1, 0) * size,
        )
        found = [_card_of_post(d) for d in docs], total
        if generation == self._generation:
            self._lists[key] = found
        return found

    async def post(self, post_id: str) -> PostPage | None:
        """A visible post with its comments, each top-level one followed by its replies."""
        doc = await self._posts.get(post_id)
        if doc is None or doc["hidden"]:
            return None
        held = self._pages.get(post_id)
        if held is not None and held[0] == doc["version"]:
            self._pages.move_to_end(post_id)
            return held[1]
        found = await self._comments.find({"post_id": post_id}, sort=[("created_key", 1)])
        comments = [BoardComment.model_validate(d["comment"]) for d in found]
        replies: dict[str, list[BoardComment]] = {}
        for c in comments:
            if c.parent_id is not None:
                replies.setdefault(c.parent_id, []).append(c)
        ordered: list[BoardComment] = []
        for c in comments:
            if c.parent_id is None:
                ordered.append(c)
                ordered.extend(replies.get(c.comment_id, ()))
        page = PostPage(BoardPost.model_validate(doc["post"]), tuple(ordered))
        # Comments are written before the count that moves the revision, so a page read
        # under this revision has at least its comments.
        self._pages[post_id] = (int(doc["version"]), page)
        while len(self._pages) > PAGE_MEMO:
            self._pages.popitem(last=False)
        return page

    async def latest(self, board: str, limit: int = 5) -> list[PostCard]:
        """A board's newest visible posts (pinned or not), for the home page."""
        key = (board, 0, limit)
        if (held := self._lists.get(key)) is not None:
            return held[0]
        generation = self._generation
        docs = await self._posts.find(
            {"board": board, "hidden": False}, sort=[("created_key", -1)], limit=limit
        )
        cards = [_card_of_post(d) for d in docs]
        if generation == self._generation:
            self._lists[key] = (cards, len(cards))
        return cards
