"""Newest-first article lists kept as small documents, so no page sorts the card collection.

FerretDB v1 evaluates every filter but a single `_id` in Go over the whole collection and sorts
in memory (deploy/local/FERRETDB-NOTES.md): a sorted, limited read of 6,000 cards took 400 ms,
and every page asked for several (the sidebar's 최신뉴스, the 최종편집 date, the home blocks).
So render keeps, beside the cards, one document per list (the whole site, `all`, and each
section, `section:<slug>`) holding its newest `cap` cards, and one with the 최종편집 key. Pages
read them by `_id`.

A list holds exactly the listed (published, not retracted) articles that come before or at
its last entry (newest `published_key` first, ties by ascending id as storage sorts them);
`truncated` says whether older ones exist beyond it. So a read within a list is exact, a read
beyond a truncated one goes to the cards (deep pages, the full sitemap), and a retraction
inside a list only shortens it until new stories fill it again.

Lists follow the cards: after an article's card is written, `follow` makes every list agree
with the card as stored now, then reads the card again and follows once more if a newer version
landed meanwhile. A crash between card and lists is repaired by the redelivery (it follows the
stored card even when the card does not change), and concurrent versions of one article leave
the lists showing the newest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from services.render.versioned_writes import upsert_newer
from shared.ports.storage import Collection, Document, DuplicateKeyError

LIST_CAP = 100
"""Cards per list: the home page, sidebar, feeds and the first five pages of 20."""
ALL = "all"
BUILT = "~built"
MAX_FOLLOWS = 20

Entry = dict[str, Any]  # {"id", "v" (article version), "key" (published_key)}


def section_list(section: str) -> str:
    return f"section:{section}"


@dataclass(frozen=True)
class CardList:
    """One list as stored: its entries newest first, whether older listed articles exist, and
    how many (`beyond`, exact while `unsure` is 0)."""

    entries: tuple[Entry, ...]
    truncated: bool
    beyond: int = 0
    unsure: int = 0
    edited: str | None = None  # `all` only: the newest `edited_key` (최종편집)

    @classmethod
    def of(cls, doc: Document | None) -> CardList:
        if doc is None:
            return cls((), False)
        return cls(
            tuple(json.loads(doc["entries"])),
            bool(doc["truncated"]),
            int(doc.get("beyond", 0)),
            # A list from before `beyond` was kept is unsure until counted once.
            int(doc.get("unsure", 1 if doc["truncated"] and "beyond" not in doc else 0)),
            doc.get("edited"),
        )

    @property
    def count(self) -> int | None:
        """How many articles are listed in all, when known without counting the cards."""
        return None if self.unsure else len(self.entries) + self.beyond

    def covers(self, end: int) -> bool:
        """Whether the first `end` listed articles are all here."""
        return end <= len(self.entries) or not self.truncated


def _after(entry: Entry, other: Entry) -> bool:
    """Whether `entry` comes after `other`: newest first, ties by id as storage sorts them."""
    return (entry["key"], other["id"]) < (other["key"], entry["id"])


def _sort(entries: list[Entry]) -> None:
    entries.sort(key=lambda e: e["id"])
    entries.sort(key=lambda e: e["key"], reverse=True)  # stable: ids stay ascending


def placed(
    current: CardList, article_id: str, version: int, wanted: Entry | None, cap: int
) -> CardList | None:
    """`current` with `article_id` at its state `version` (`wanted`: its entry if listed here,
    None if not); None when nothing changes (already so, or a newer version is held).

    `beyond` follows every entry that leaves the list's end, in the same write, so it stays
    exact through redeliveries. What happens to an article already beyond (a story published
    with an old date, a retraction) cannot be told from a redelivery, so it makes the count
    `unsure` until the cards are counted again (`ArticleLists.recount`).
    """
    held = next((e for e in current.entries if e["id"] == article_id), None)
    if held is not None and int(held["v"]) > version:
        return None
    if held is not None and held == wanted:
        return None
    others = [e for e in current.entries if e["id"] != article_id]
    truncated, beyond = current.truncated, current.beyond
    last = others[-1] if others else None
    out = truncated and (last is None or (wanted is not None and _after(wanted, last)))
    if held is None and (wanted is None or out):
        if not truncated:
            return None  # not listed, and the list holds every listed article
        return replace(current, unsure=current.unsure + 1)
    if wanted is not None and out:
        beyond += 1  # still listed, but now older than the list's end
    elif wanted is not None:
        others.append(wanted)
        _sort(others)
        if len(others) > cap:
            beyond += len(others) - cap
            del others[cap:]
            truncated = True
    return CardList(tuple(others), truncated, beyond, current.unsure, current.edited)


def _entry(card: Document) -> Entry:
    return {"id": str(card["_id"]), "v": int(card["article_version"]), "key": card["published_key"]}


def list_doc(cards: CardList) -> Document:
    # The entries as one JSON string: FerretDB reads and writes a document's nested values one
    # by one (a 100-entry array took 4.4 ms to read, 10 ms to compare-and-set; as a string
    # 1.2 ms and 4 ms, a tiny document's cost).
    return {
        "entries": json.dumps(list(cards.entries), separators=(",", ":")),
        "truncated": cards.truncated,
        "beyond": cards.beyond,
        "unsure": cards.unsure,
    } | ({} if cards.edited is None else {"edited": cards.edited})


class ArticleLists:
    """The list documents in render's `article_lists` collection."""

    def __init__(self, lists: Collection, cap: int = LIST_CAP) -> None:
        self._lists = lists
        self.cap = cap

    async def read(self, list_id: str) -> CardList:
        return CardList.of(await self._lists.get(list_id))

    async def built(self) -> bool:
        return await self._lists.get(BUILT) is not None

    async def follow(self, cards: Sequence[Document]) -> None:
        """Make every list agree with these stored cards (see the module's notes): one write
        per list they touch, the lists side by side."""
        moves: dict[str, list[tuple[str, int, Entry | None]]] = {}
        for card in cards:
            article_id, version = str(card["_id"]), int(card["article_version"])
            entry = None if card["retracted"] else _entry(card)
            moves.setdefault(ALL, []).append((article_id, version, entry))
            for section in card.get("sections") or [card["section"]]:
                here = entry if section == card["section"] else None
                moves.setdefault(section_list(section), []).append((article_id, version, here))
        edited = max((str(c["edited_key"]) for c in cards), default="")

        def change(list_id: str) -> Callable[[Document | None], Document | None]:
            def changed(stored: Document | None) -> Document | None:
                current = new = CardList.of(stored)
                for article_id, version, want in moves[list_id]:
                    new = placed(new, article_id, version, want, self.cap) or new
                if list_id == ALL and (current.edited or "") < edited:
                    new = replace(new, edited=edited)
                return None if new == current else list_doc(new)

            return changed

        await asyncio.gather(*(upsert_newer(self._lists, i, change(i)) for i in moves))

    async def recount(self, list_id: str, count: Callable[[], Awaitable[int]]) -> int:
        """Count the list's articles among the cards (`count`), and make the list sure of its
        count again if nothing changed it meanwhile (else a later recount does)."""
        stored = await self._lists.get(list_id)
        value = await count()
        if stored is not None and CardList.of(stored).unsure:
            listed = CardList.of(stored)
            sure = replace(listed, beyond=value - len(listed.entries), unsure=0)
            doc = {**list_doc(sure), "_id": list_id, "version": int(stored["version"]) + 1}
            await self._lists.compare_and_set(doc, int(stored["version"]))
        return value

    async def build(self, cards: Sequence[Document]) -> None:
        """Make the lists from all the cards once, for a store written before lists
        existed. Only creates documents: a list a running replica made already is kept."""
        lists: dict[str, list[Entry]] = {}
        beyond: dict[str, int] = {}
        listed = [(_entry(c), c["section"]) for c in cards if not c["retracted"]]
        listed.sort(key=lambda pair: pair[0]["id"])
        listed.sort(key=lambda pair: pair[0]["key"], reverse=True)
        for entry, section in listed:
            for list_id in (ALL, section_list(section)):
                held = lists.setdefault(list_id, [])
                if len(held) < self.cap:
                    held.append(entry)
                else:
                    beyond[list_id] = beyond.get(list_id, 0) + 1
        edited = max((str(c["edited_key"]) for c in cards), default=None)
        docs: list[Document] = []
        for list_id, entries in lists.items():
            more = beyond.get(list_id, 0)
            made = CardList(tuple(entries), more > 0, more)
            if list_id == ALL:
                made = replace(made, edited=edited)
            docs.append({"_id": list_id, "version": 1, **list_doc(made)})
        if edited is not None and ALL not in lists:  # every story retracted
            docs.append({"_id": ALL, "version": 1, **list_doc(CardList((), False, edited=edited))})
        for doc in [*docs, {"_id": BUILT, "version": 1}]:
            with contextlib.suppress(DuplicateKeyError):  # a running replica made it
                await self._lists.insert(doc)
