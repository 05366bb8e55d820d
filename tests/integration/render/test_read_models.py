"""Render's read models on both storage backends: idempotent by version, lists and pages."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from services.render.article_lists import ArticleLists
from services.render.read_models import ArticleReadModel, BoardReadModel
from shared.ports.storage import Collection, Document, DocumentStorage
from shared.schemas import ArticleStatus, CommentAdded, PostCreated, PostHidden, PostUpdated
from tests.integration.render.factories import T0, article, article_id, comment, post


async def test_articles_list_newest_first_by_section_with_counts(
    render_storage: DocumentStorage,
) -> None:
    model = await ArticleReadModel.open(render_storage)
    for n in range(1, 8):
        assert await model.apply(article(n, section="pohang" if n % 2 else "gyeongju"), False)
    latest = await model.latest(limit=3)
    assert [c.article_id for c in latest] == [article_id(7), article_id(6), article_id(5)]
    assert [c.article_id for c in await model.latest(limit=2, offset=3)] == [
        article_id(4),
        article_id(3),
    ]
    pohang = await model.latest(section="pohang")
    assert [c.article_id for c in pohang] == [article_id(n) for n in (7, 5, 3, 1)]
    assert (await model.count(), await model.count("pohang"), await model.count("daegu")) == (
        7,
        4,
        0,
    )
    card = latest[0]
    assert card.headline == "포항시 기사 7 판 1"
    assert card.lead == "포항시는 7번째 소식을 전했다. 둘째 문단."
    assert card.published_at == T0 + timedelta(minutes=7)


async def test_an_older_or_repeated_version_changes_nothing(
    render_storage: DocumentStorage,
) -> None:
    model = await ArticleReadModel.open(render_storage)
    assert await model.apply(article(1, version=2), False)
    assert not await model.apply(article(1, version=2), False)  # redelivered
    assert not await model.apply(article(1, version=1), False)  # late, older
    page = await model.page(article_id(1))
    assert page is not None and not page.retracted
    assert page.article.version == 2
    assert (await model.latest())[0].headline == "포항시 기사 1 판 2"
    assert await model.count() == 1


async def test_a_retracted_article_keeps_its_page_but_leaves_the_lists(
    render_storage: DocumentStorage,
) -> None:
    model = await ArticleReadModel.open(render_storage)
    await model.apply(article(1), False)
    await model.apply(article(2), False)
    retracted = article(1, version=2, status=ArticleStatus.RETRACTED)
    assert await model.apply(retracted, True)
    assert not await model.apply(article(1, version=1), False)
    page = await model.page(article_id(1))
    assert page is not None and page.retracted
    assert [c.article_id for c in await model.latest()] == [article_id(2)]
    assert await model.count() == 1
    assert await model.page(article_id(99)) is None


async def test_last_edited_and_since(render_storage: DocumentStorage) -> None:
    model = await ArticleReadModel.open(render_storage)
    assert await model.last_edited() is None
    for n in (1, 2, 3):
        await model.apply(article(n), False)
    assert await model.last_edited() == T0 + timedelta(minutes=3)
    await model.apply(article(1, version=3), False)  # updated three hours later
    assert await model.last_edited() == T0 + timedelta(minutes=1, hours=3)
    recent = await model.since(T0 + timedelta(minutes=2))
    assert [c.article_id for c in recent] == [article_id(3), article_id(2)]
    assert len(await model.since(T0, limit=1)) == 1


async def test_concurrent_versions_of_one_article_end_on_the_newest(
    render_storage: DocumentStorage,
) -> None:
    model = await ArticleReadModel.open(render_storage)
    await asyncio.gather(*(model.apply(article(1, version=v), False) for v in (3, 1, 5, 2, 4)))
    page = await model.page(article_id(1))
    assert page is not None and page.article.version == 5
    assert (await model.latest())[0].headline == "포항시 기사 1 판 5"


async def test_board_lists_pinned_first_then_newest_without_hidden(
    render_storage: DocumentStorage,
) -> None:
    model = await BoardReadModel.open(render_storage)
    for n in range(1, 6):
        assert await model.apply(PostCreated(post=post(n, pinned=n == 1)))
    assert not await model.apply(PostCreated(post=post(2)))  # redelivered
    assert await model.apply(PostHidden(post_id="p0004", board="free", reason="spam", hidden_at=T0))
    cards, total = await model.posts("free", page=1, size=3)
    assert total == 4
    assert [c.post_id for c in cards] == ["p0001", "p0005", "p0003"]
    assert cards[0].pinned
    cards, _ = await model.posts("free", page=2, size=3)
    assert [c.post_id for c in cards] == ["p0002"]
    assert [c.post_id for c in await model.latest("free", limit=2)] == ["p0005", "p0003"]
    assert await model.post("p0004") is None
    assert await model.posts("notice") == ([], 0)


async def test_post_edits_restores_and_comments(render_storage: DocumentStorage) -> None:
    model = await BoardReadModel.open(render_storage)
    await model.apply(PostCreated(post=post(1)))
    assert await model.apply(PostUpdated(post=post(1, version=2)))
    assert not await model.apply(PostUpdated(post=post(1, version=1)))  # older
    assert not await model.apply(PostUpdated(post=post(1, version=2)))  # redelivered
    assert await model.apply(PostHidden(post_id="p0001", board="free", reason="x", hidden_at=T0))
    assert not await model.apply(
        PostHidden(post_id="p0001", board="free", reason="x", hidden_at=T0)
    )
    # Staff restore: the same content version announced again makes the post visible.
    assert await model.apply(PostUpdated(post=post(1, version=2)))
    page = await model.post("p0001")
    assert page is not None and page.post.title == "자유게시판 글 1 판 2"

    first, second = comment(1, "p0001"), comment(2, "p0001")
    reply = comment(3, "p0001", parent_id="c0001")
    for c in (first, second, reply):
        assert await model.apply(CommentAdded(comment=c))
    assert not await model.apply(CommentAdded(comment=reply))  # redelivered
    page = await model.post("p0001")
    assert page is not None
    assert [c.comment_id for c in page.comments] == ["c0001", "c0003", "c0002"]
    cards, _ = await model.posts("free")
    assert cards[0].comments == 3


async def test_pages_are_memoised_until_forgotten(render_storage: DocumentStorage) -> None:
    mine = await ArticleReadModel.open(render_storage)
    other_replica = await ArticleReadModel.open(render_storage)
    await mine.apply(article(1), False)
    assert await mine.page(article_id(2)) is None
    first = await mine.page(article_id(1))
    assert first is not None and await mine.page(article_id(1)) is first  # no second read
    await other_replica.apply(article(1, version=2), False)
    await other_replica.apply(article(2), False)
    assert await mine.page(article_id(1)) is first  # until the revision poll says otherwise
    mine.forget_pages()
    newer = await mine.page(article_id(1))
    assert newer is not None and newer.article.version == 2
    assert await mine.page(article_id(2)) is not None
    await mine.apply(article(1, version=3), False)  # this replica's own change: at once
    latest = await mine.page(article_id(1))
    assert latest is not None and latest.article.version == 3
    # This replica's changes drop only their own pages: the others stay memoised.
    second = await mine.page(article_id(2))
    await mine.apply(article(3), False)
    mine.forget()  # what this replica's own revision touch does
    assert await mine.page(article_id(2)) is second
    assert await mine.page(article_id(1)) is await mine.page(article_id(1))


class CountingQueries:
    """A collection, counting the reads that are not by id."""

    def __init__(self, collection: Collection) -> None:
        self._collection = collection
        self.queries = 0

    def __getattr__(self, name: str) -> Any:
        if name in ("find", "count"):
            self.queries += 1
        return getattr(self._collection, name)


async def test_pages_read_short_lists_without_querying_the_cards(
    render_storage: DocumentStorage,
) -> None:
    model = await ArticleReadModel.open(render_storage)
    for n in range(1, 6):
        await model.apply(article(n, section="pohang" if n % 2 else "gyeongju"), False)
    spy = CountingQueries(model._cards)
    model._cards = spy
    model.forget()
    assert [c.article_id for c in await model.latest(3)] == [article_id(n) for n in (5, 4, 3)]
    assert [c.article_id for c in await model.latest(section="gyeongju")] == [
        article_id(4),
        article_id(2),
    ]
    assert (await model.count(), await model.count("pohang")) == (5, 3)
    assert await model.last_edited() == T0 + timedelta(minutes=5)
    assert [c.article_id for c in await model.since(T0 + timedelta(minutes=4))] == [
        article_id(5),
        article_id(4),
    ]
    assert spy.queries == 0


async def test_reads_beyond_a_full_list_go_to_the_cards_in_the_same_order(
    render_storage: DocumentStorage,
) -> None:
    model = await ArticleReadModel.open(render_storage, list_cap=4)
    # Two stories share each minute; within a minute storage sorts by ascending id.
    for n in range(1, 11):
        await model.apply(article(n, published_at=T0 + timedelta(minutes=n // 2)), False)
    newest = [article_id(n) for n in (10, 8, 9, 6, 7, 4, 5, 2, 3, 1)]
    pages = [await model.latest(3, offset) for offset in (0, 3, 6, 9)]
    assert [c.article_id for page in pages for c in page] == newest
    assert await model.count() == 10
    assert [c.article_id for c in await model.since(T0 + timedelta(minutes=3))] == newest[:5]
    # A retraction inside the list shortens it; reads past it still come out whole.
    await model.apply(article(8, version=2, status=ArticleStatus.RETRACTED), True)
    model.forget()
    assert [c.article_id for c in await model.latest(5)] == [newest[0], *newest[2:6]]
    assert await model.count() == 9
    # An old story published late lands beyond the list, in its place among the cards.
    await model.apply(article(11, published_at=T0 - timedelta(days=1)), False)
    model.forget()
    assert [c.article_id for c in await model.latest(2, 8)] == [newest[-1], article_id(11)]


async def test_a_story_moved_to_another_section_leaves_the_first_sections_list(
    render_storage: DocumentStorage,
) -> None:
    model = await ArticleReadModel.open(render_storage)
    await model.apply(article(1, section="pohang"), False)
    await model.apply(article(2, section="pohang"), False)
    await model.apply(article(1, version=2, section="gyeongju"), False)
    assert [c.article_id for c in await model.latest(section="pohang")] == [article_id(2)]
    assert [c.article_id for c in await model.latest(section="gyeongju")] == [article_id(1)]
    assert (await model.count("pohang"), await model.count("gyeongju")) == (1, 1)


async def test_a_crash_between_card_and_lists_is_repaired_by_the_redelivery(
    render_storage: DocumentStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = await ArticleReadModel.open(render_storage)
    await model.apply(article(1), False)

    async def crash(self: ArticleLists, cards: Sequence[Document]) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as patch:
        patch.setattr(ArticleLists, "follow", crash)
        with pytest.raises(RuntimeError):
            await model.apply(article(2), False)
        with pytest.raises(RuntimeError):
            await model.apply(article(1, version=2, status=ArticleStatus.RETRACTED), True)
    model.forget()
    # The lists still hold only 1, whose card already says retracted: nothing is shown.
    assert await model.latest() == [] and await model.count() == 1
    assert not await model.apply(article(2), False)  # the card is held: nothing new...
    assert not await model.apply(article(1, version=2, status=ArticleStatus.RETRACTED), True)
    model.forget()
    assert [c.article_id for c in await model.latest()] == [article_id(2)]  # ...but repaired
    assert await model.count() == 1


async def test_lists_are_built_once_for_a_store_written_before_them(
    render_storage: DocumentStorage,
) -> None:
    model = await ArticleReadModel.open(render_storage, list_cap=2)
    for n in (1, 2, 3):
        await model.apply(article(n, section="gyeongju" if n == 2 else "pohang"), False)
    await model.apply(article(3, version=2, status=ArticleStatus.RETRACTED), True)
    lists = await render_storage.collection("article_lists")
    await lists.delete_many([d["_id"] for d in await lists.find()])
    rebuilt = await ArticleReadModel.open(render_storage, list_cap=2)
    assert [c.article_id for c in await rebuilt.latest(1)] == [article_id(2)]
    assert [c.article_id for c in await rebuilt.latest(section="pohang")] == [article_id(1)]
    assert await rebuilt.count() == 2
    assert await rebuilt.last_edited() == T0 + timedelta(minutes=3, hours=2)
    assert await lists.get("~built") is not None


async def test_a_full_list_counts_without_the_cards_until_a_story_lands_beyond_it(
    render_storage: DocumentStorage,
) -> None:
    model = await ArticleReadModel.open(render_storage, list_cap=3)
    for n in range(1, 8):
        await model.apply(article(n), False)
    spy = CountingQueries(model._cards)
    model._cards = spy
    model.forget()
    assert await model.count() == 7 and spy.queries == 0
    # A story with an old date lands beyond the list; the cards are counted once.
    await model.apply(article(8, published_at=T0 - timedelta(days=1)), False)
    await model.apply(article(2, version=2, status=ArticleStatus.RETRACTED), True)
    model.forget()
    assert await model.count() == 7 and spy.queries == 1
    model.forget()
    assert await model.count() == 7 and spy.queries == 1  # sure again
    await model.apply(article(9), False)
    model.forget()
    assert await model.count() == 8 and spy.queries == 1


async def test_board_lists_and_post_pages_are_read_once_per_change(
    render_storage: DocumentStorage,
) -> None:
    model = await BoardReadModel.open(render_storage)
    await model.apply(PostCreated(post=post(1)))
    await model.apply(PostCreated(post=post(2)))
    posts, comments = CountingQueries(model._posts), CountingQueries(model._comments)
    model._posts, model._comments = posts, comments
    for _ in range(3):
        cards, total = await model.posts("free")
        assert ([c.post_id for c in cards], total) == (["p0002", "p0001"], 2)
        assert [c.post_id for c in await model.latest("free")] == ["p0002", "p0001"]
        page = await model.post("p0001")
        assert page is not None and page.comments == ()
    assert (posts.queries, comments.queries) == (3, 1)
    await model.apply(CommentAdded(comment=comment(1, "p0001")))  # moves the post's revision
    page = await model.post("p0001")
    assert page is not None and [c.comment_id for c in page.comments] == ["c0001"]
    cards, _ = await model.posts("free")
    assert [c.comments for c in cards] == [0, 1]
    model.forget()  # another replica's change, by the revision poll
    await model.posts("free")
    assert posts.queries == 3 + 2 + 2
