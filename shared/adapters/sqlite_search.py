"""The embedded SearchIndex: SQLite FTS5 over the search service's Korean tokens, BM25.

Each generation of the index is a pair of tables (`docs_<gen>` with versions, filters and the
stored fields; `fts_<gen>` with the token columns), and the `aliases` table says which
generation queries read — so a rebuilt generation replaces the old one in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from shared.adapters.sqlite_db import SqliteDatabase
from shared.ports.search import (
    FIELD_WEIGHTS,
    MAX_PAGE_SIZE,
    SUGGEST_GRAMS,
    SUGGEST_KEYS,
    IndexDocument,
    SearchHit,
    SearchQuery,
    SearchResults,
    SortOrder,
    SuggestQuery,
    SuggestResults,
)

T = TypeVar("T")
KST = timezone(timedelta(hours=9))
MAX_SLIP_CANDIDATES = 50
HIGHEST = "\U0010ffff"
TOKEN_COLUMNS = [f"{name}_{kind}" for name in FIELD_WEIGHTS for kind in ("t", "c")]
COLUMN_WEIGHTS = [FIELD_WEIGHTS[column.rsplit("_", 1)[0]] for column in TOKEN_COLUMNS]
PART_COLUMNS = " ".join(c for c in TOKEN_COLUMNS if c.endswith("_t"))
COMPOUND_COLUMNS = " ".join(c for c in TOKEN_COLUMNS if c.endswith("_c"))


def _quote(token: str) -> str:
    """A token as an FTS5 string: never operator syntax, whatever the reader typed. FTS5 reads
    a NUL as the end of the expression (an "unterminated string" error), so none is passed."""
    return '"' + token.replace("\x00", "").replace('"', '""') + '"'


def match_expression(query: SearchQuery) -> str | None:
    """The FTS5 MATCH for a query: phrases required, terms and compounds ranked (OR)."""
    optional = [f"{{{PART_COLUMNS}}} : {_quote(t)}" for t in dict.fromkeys(query.terms)]
    optional += [f"{{{COMPOUND_COLUMNS}}} : {_quote(c)}" for c in dict.fromkeys(query.compounds)]
    required = [
        f"{{{PART_COLUMNS}}} : " + _quote(" ".join(phrase)) for phrase in query.phrases if phrase
    ]
    if not optional and not required:
        return None
    clauses = [f"({r})" for r in required]
    if optional:
        clauses.append("(" + " OR ".join(optional) + ")")
    return " AND ".join(clauses)


def _utc(value: str | None) -> str | None:
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(UTC).isoformat()


def _month(value: str | None) -> str | None:
    if not value:
        return None
    return datetime.fromisoformat(value).astimezone(KST).strftime("%Y-%m")


class SqliteSearchIndex:
    def __init__(self, path: Path, alias: str = "articles") -> None:
        self._db = SqliteDatabase(path)
        self._alias = alias
        self._opened = False

    async def ensure(self) -> None:
        if not self._opened:
            await self._db.open()
            self._opened = True
        await self._db.script(
            "CREATE TABLE IF NOT EXISTS aliases (alias TEXT PRIMARY KEY, generation TEXT NOT NULL);"
        )
        live = await self.generation()
        if live is None:
            await self.create_generation("1")
            await self.activate("1")
        else:
            await self.create_generation(live)  # adds tables a newer version introduced

    async def generation(self) -> str | None:
        row = await self._db.read(
            lambda c: c.execute(
                "SELECT generation FROM aliases WHERE alias = ?", (self._alias,)
            ).fetchone()
        )
        return None if row is None else str(row[0])

    async def create_generation(self, generation: str) -> None:
        """Create the (empty) tables of a generation; queries keep reading the active one."""
        if not generation.isalnum():
            raise ValueError(f"a generation is alphanumeric, not {generation!r}")
        columns = ", ".join(TOKEN_COLUMNS)
        await self._db.script(
            f"CREATE TABLE IF NOT EXISTS docs_{generation} ("
            " doc_id TEXT PRIMARY KEY, version INTEGER NOT NULL, live INTEGER NOT NULL,"
            " section TEXT, byline TEXT, published_at TEXT, month TEXT, source TEXT);"
            f"CREATE INDEX IF NOT EXISTS docs_{generation}_published"
            f" ON docs_{generation} (live, published_at);"
            f"CREATE VIRTUAL TABLE IF NOT EXISTS fts_{generation} USING fts5({columns},"
            " tokenize = 'unicode61 remove_diacritics 0');"
            f"CREATE TABLE IF NOT EXISTS keys_{generation} ("
            " doc INTEGER NOT NULL, key TEXT NOT NULL);"
            f"CREATE INDEX IF NOT EXISTS keys_{generation}_key ON keys_{generation} (key);"
            f"CREATE INDEX IF NOT EXISTS keys_{generation}_doc ON keys_{generation} (doc);"
            f"CREATE VIRTUAL TABLE IF NOT EXISTS grams_{generation} USING fts5(grams,"
            " tokenize = 'unicode61 remove_diacritics 0');"
        )

    async def activate(self, generation: str) -> None:
        """Point the alias at `generation` (one transaction: a query sees old or new)."""

        def swap(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO aliases (alias, generation) VALUES (?, ?) "
                "ON CONFLICT (alias) DO UPDATE SET generation = excluded.generation",
                (self._alias, generation),
            )

        await self._db.write(swap)

    async def _active(self) -> str:
        generation = await self.generation()
        if generation is None:
            raise RuntimeError("the search index is not created; call ensure() first")
        return generation

    async def upsert(self, doc: IndexDocument, generation: str | None = None) -> bool:
        gen = generation or await self._active()
        fields = doc.fields
        source = {
            k: fields.get(k)
            for k in fields
            if not k.endswith(("_t", "_c")) and k not in (SUGGEST_KEYS, SUGGEST_GRAMS)
        }
        keys = [str(k) for k in fields.get(SUGGEST_KEYS) or ()]
        grams = str(fields.get(SUGGEST_GRAMS) or "")
        row = (
            doc.doc_id, doc.version, fields.get("section"), fields.get("byline"),
            _utc(fields.get("published_at")), _month(fields.get("published_at")),
            json.dumps(source, ensure_ascii=False),
        )  # fmt: skip
        tokens = [str(fields.get(column) or "") for column in TOKEN_COLUMNS]

        def apply(conn: sqlite3.Connection) -> bool:
            current = conn.execute(
                f"SELECT rowid, version FROM docs_{gen} WHERE doc_id = ?", (doc.doc_id,)
            ).fetchone()
            if current is not None and current[1] >= doc.version:
                return False
            if current is not None:
                _forget(conn, gen, current[0])
            cursor = conn.execute(
                f"INSERT INTO docs_{gen} (doc_id, version, live, section, byline, published_at,"
                " month, source) VALUES (?, ?, 1, ?, ?, ?, ?, ?)",
                (row[0], row[1], *row[2:]),
            )
            placeholders = ", ".join("?" for _ in TOKEN_COLUMNS)
            conn.execute(
                f"INSERT INTO fts_{gen} (rowid, {', '.join(TOKEN_COLUMNS)}) "
                f"VALUES (?, {placeholders})",
                (cursor.lastrowid, *tokens),
            )
            conn.executemany(
                f"INSERT INTO keys_{gen} (doc, key) VALUES (?, ?)",
                [(cursor.lastrowid, key) for key in keys],
            )
            conn.execute(
                f"INSERT INTO grams_{gen} (rowid, grams) VALUES (?, ?)", (cursor.lastrowid, grams)
            )
            return True

        return await self._db.write(apply)

    async def retract(self, doc_id: str, version: int, generation: str | None = None) -> bool:
        gen = generation or await self._active()

        def apply(conn: sqlite3.Connection) -> bool:
            current = conn.execute(
                f"SELECT rowid, version FROM docs_{gen} WHERE doc_id = ?", (doc_id,)
            ).fetchone()
            if current is not None and current[1] >= version:
                return False
            if current is not None:
                _forget(conn, gen, current[0])
            conn.execute(
                f"INSERT INTO docs_{gen} (doc_id, version, live) VALUES (?, ?, 0)",
                (doc_id, version),
            )
            return True

        return await self._db.write(apply)

    async def drop_generation(self, generation: str) -> None:
        if generation == await self.generation():
            raise ValueError(f"generation {generation} is live; activate another first")
        await self._db.script(
            f"DROP TABLE IF EXISTS fts_{generation}; DROP TABLE IF EXISTS docs_{generation};"
            f"DROP TABLE IF EXISTS keys_{generation}; DROP TABLE IF EXISTS grams_{generation};"
        )

    async def refresh(self, generation: str | None = None) -> None:
        return None  # a committed write is visible at once

    async def _read_live(self, fn: Callable[[sqlite3.Connection, str], T]) -> T:
        """Run `fn` with the live generation in one read transaction, so a swap and the drop
        of the old generation never fall between resolving the alias and reading its tables."""
        alias = self._alias

        def run(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN")
            try:
                row = conn.execute(
                    "SELECT generation FROM aliases WHERE alias = ?", (alias,)
                ).fetchone()
                if row is None:
                    raise RuntimeError("the search index is not created; call ensure() first")
                return fn(conn, str(row[0]))
            finally:
                conn.execute("COMMIT")

        return await self._db.read(run)

    async def search(self, query: SearchQuery) -> SearchResults:
        match = match_expression(query)
        if match is None:
            return SearchResults(0, [], {"section": {}, "month": {}})
        where = ["{fts} MATCH ?", "d.live = 1"]
        params: list[Any] = [match]
        if query.section:
            where.append("d.section = ?")
            params.append(query.section)
        if query.byline:
            where.append("d.byline = ?")
            params.append(query.byline)
        if query.published_from:
            where.append("d.published_at >= ?")
            params.append(query.published_from.astimezone(UTC).isoformat())
        if query.published_to:
            where.append("d.published_at < ?")
            params.append(query.published_to.astimezone(UTC).isoformat())
        weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
        order = "score DESC" if query.sort is SortOrder.RELEVANCE else "d.published_at DESC"
        size = max(0, min(query.size, MAX_PAGE_SIZE))

        def run(conn: sqlite3.Connection, gen: str) -> SearchResults:
            condition = " AND ".join(where).replace("{fts}", f"fts_{gen}")
            # CROSS JOIN keeps the FTS match first (else SQLite may walk every live doc).
            joined = f"fts_{gen} CROSS JOIN docs_{gen} AS d ON d.rowid = fts_{gen}.rowid"
            score = f"-bm25(fts_{gen}, {weights})"
            rows = conn.execute(
                f"SELECT d.doc_id, {score} AS score, d.source FROM {joined} WHERE {condition} "
                f"ORDER BY {order}, d.doc_id LIMIT ? OFFSET ?",
                (*params, size, max(0, query.offset)),
            ).fetchall()
            facets: dict[str, dict[str, int]] = {}
            for facet in ("section", "month"):
                counts = conn.execute(
                    f"SELECT d.{facet}, count(*) FROM {joined} WHERE {condition} "
                    f"GROUP BY d.{facet} ORDER BY count(*) DESC, d.{facet}",
                    params,
                ).fetchall()
                facets[facet] = {str(k): int(n) for k, n in counts if k is not None}
            total = int(
                conn.execute(f"SELECT count(*) FROM {joined} WHERE {condition}", params).fetchone()[
                    0
                ]
            )
            hits = [SearchHit(r[0], float(r[1]), _source(r[2])) for r in rows]
            return SearchResults(total, hits, facets)

        return await self._read_live(run)

    async def suggest(self, query: SuggestQuery) -> SuggestResults:
        size = max(1, min(query.size, MAX_PAGE_SIZE))
        ranges = " OR ".join("(k.key >= ? AND k.key < ?)" for _ in query.prefixes)
        bounds = [b for p in query.prefixes for b in (p, p + HIGHEST)]
        grams = " OR ".join(_quote(g) for g in dict.fromkeys(query.grams))

        def run(conn: sqlite3.Connection, gen: str) -> SuggestResults:
            matches: list[SearchHit] = []
            if ranges:
                rows = conn.execute(
                    f"SELECT d.doc_id, d.source FROM docs_{gen} AS d WHERE d.live = 1 AND d.rowid"
                    f" IN (SELECT k.doc FROM keys_{gen} AS k WHERE {ranges})"
                    " ORDER BY d.published_at DESC, d.doc_id LIMIT ?",
                    (*bounds, size),
                ).fetchall()
                matches = [SearchHit(r[0], 1.0, _source(r[1])) for r in rows]
            candidates: list[SearchHit] = []
            if grams:
                rows = conn.execute(
                    f"SELECT d.doc_id, -bm25(grams_{gen}), d.source FROM grams_{gen}"
                    f" CROSS JOIN docs_{gen} AS d ON d.rowid = grams_{gen}.rowid"
                    f" WHERE grams_{gen} MATCH ? AND d.live = 1 ORDER BY 2 DESC LIMIT ?",
                    (grams, MAX_SLIP_CANDIDATES),
                ).fetchall()
                candidates = [SearchHit(r[0], float(r[1]), _source(r[2])) for r in rows]
            return SuggestResults(matches, candidates)

        return await self._read_live(run)

    async def count(self, generation: str | None = None) -> int:
        def run(conn: sqlite3.Connection, live: str) -> int:
            gen = generation or live
            return int(
                conn.execute(f"SELECT count(*) FROM docs_{gen} WHERE live = 1").fetchone()[0]
            )

        return await self._read_live(run)

    async def ping(self) -> bool:
        return await self._db.ping()

    async def close(self) -> None:
        if self._opened:
            await self._db.close()
            self._opened = False


def _forget(conn: sqlite3.Connection, gen: str, rowid: int) -> None:
    """Delete a document's rows from every table of a generation."""
    for table in (f"fts_{gen}", f"grams_{gen}"):
        conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (rowid,))
    conn.execute(f"DELETE FROM keys_{gen} WHERE doc = ?", (rowid,))
    conn.execute(f"DELETE FROM docs_{gen} WHERE rowid = ?", (rowid,))


def _source(raw: str | None) -> Mapping[str, Any]:
    return {} if raw is None else dict(json.loads(raw))
