"""Render's one way to write a document: only when the new state is newer, by primary-key
insert or compare-and-set on the storage revision (`version`, bumped on every write), which is
atomic on every backend, even FerretDB v1 whose filtered updates are not."""

from __future__ import annotations

from collections.abc import Callable

from shared.ports.storage import Collection, Document, DuplicateKeyError

MAX_TRIES = 50


async def upsert_newer(
    collection: Collection,
    doc_id: str,
    fields: Callable[[Document | None], Document | None],
) -> Document | None:
    """Write `fields(stored)` as the document `doc_id` unless it returns None (nothing newer).

    A missing document is created by a primary-key insert; an existing one is replaced by
    compare-and-set on its storage revision. A lost race re-reads and decides again. Returns
    the written document, or None when nothing changed.
    """
    for _ in range(MAX_TRIES):
        stored = await collection.get(doc_id)
        new = fields(stored)
        if new is None:
            return None
        if stored is None:
            doc = {**new, "_id": doc_id, "version": 1}
            try:
                await collection.insert(doc)
            except DuplicateKeyError:
                continue
            return doc
        doc = {**new, "_id": doc_id, "version": int(stored["version"]) + 1}
        if await collection.compare_and_set(doc, int(stored["version"])):
            return doc
    raise RuntimeError(f"{doc_id} is changing too fast")
