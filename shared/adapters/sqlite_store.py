"""Document storage on SQLite (embedded): one file per service, one table per collection.

Documents are stored as JSON text; filters, sorts and indexes use `json_extract`, so a
unique index over `(source, guid)` is a real SQLite UNIQUE expression index.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from shared.adapters.sqlite_db import SqliteDatabase
from shared.ports.storage import (
    Collection,
    CompareAndSet,
    Document,
    DuplicateKeyError,
    Filter,
    IndexSpec,
    Insert,
    Put,
    SortSpec,
    StorageError,
    WriteOp,
    WriteResult,
    check_batch,
    check_document,
    check_filter,
)

# orjson (the hot path of every write) with json's strictness: no datetimes or dataclasses.
STRICT_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
FIELD_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
DELETE_CHUNK = 500
COMPARATORS = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


def _field(path: str) -> str:
    if path == "_id":
        return "id"
    if not FIELD_PATH.match(path):
        raise StorageError(f"invalid field path {path!r}")
    return f"json_extract(doc, '$.{path}')"


def _scalar(value: Any, path: str) -> Any:
    if isinstance(value, (dict, list, tuple)):
        raise StorageError(f"filter value of {path!r} must be a scalar")
    return value


def compile_filter(where: Filter | None) -> tuple[str, list[Any]]:
    """Translate the port's filter language into a WHERE clause and its parameters."""
    if not where:
        return "1", []
    check_filter(where)
    clauses: list[str] = []
    params: list[Any] = []
    for path, cond in where.items():
        column = _field(path)
        ops = cond if isinstance(cond, Mapping) else {"$eq": cond}
        for op, value in ops.items():
            if op == "$in":
                items = [_scalar(v, path) for v in value]
                clauses.append(f"{column} IN ({', '.join('?' * len(items))})" if items else "0")
                params.extend(items)
            elif op in ("$eq", "$ne"):
                clauses.append(f"{column} {'IS' if op == '$eq' else 'IS NOT'} ?")
                params.append(_scalar(value, path))
            else:
                clauses.append(f"{column} {COMPARATORS[op]} ?")
                params.append(_scalar(value, path))
    return " AND ".join(clauses), params


def compile_sort(sort: SortSpec) -> str:
    terms = [f"{_field(path)} {'ASC' if direction == 1 else 'DESC'}" for path, direction in sort]
    return ", ".join([*terms, "id ASC"])


def _encode(doc: Document) -> tuple[str, str]:
    check_document(doc)
    doc_id = doc.get("_id")
    if not isinstance(doc_id, str) or not doc_id:
        raise StorageError("a document needs a non-empty string `_id`")
    try:
        return doc_id, orjson.dumps(doc, option=STRICT_JSON).decode()
    except TypeError as exc:  # e.g. a datetime: documents hold JSON values only
        raise StorageError(f"document {doc_id!r} is not JSON: {exc}") from exc


Statement = tuple[str, Sequence[Any], bool]  # SQL, parameters, is a compare-and-set


def run_statements(conn: sqlite3.Connection, statements: list[Statement]) -> list[WriteResult]:
    """A batch's statements, as if each ran in its own savepoint (a clash undoes that one
    alone). Tried whole first, runs of inserts as one `executemany`: every statement is a
    round of GIL hand-offs with the event loop, and clashes are rare. On a clash the batch
    is undone and run again one savepoint per statement."""
    conn.execute("SAVEPOINT batch")
    try:
        results = _run_together(conn, statements)
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO batch")
        conn.execute("RELEASE batch")
        return _run_one_by_one(conn, statements)
    conn.execute("RELEASE batch")
    return results


def _run_together(conn: sqlite3.Connection, statements: list[Statement]) -> list[WriteResult]:
    results: list[WriteResult] = []
    for (sql, is_cas), run in itertools.groupby(statements, key=lambda s: (s[0], s[2])):
        params = [p for _, p, _ in run]
        if is_cas:  # each one's own row count says whether it won
            for one in params:
                won = conn.execute(sql, one).rowcount == 1
                results.append(WriteResult.OK if won else WriteResult.CONFLICT)
        else:
            conn.executemany(sql, params)
            results += [WriteResult.OK] * len(params)
    return results


def _run_one_by_one(conn: sqlite3.Connection, statements: list[Statement]) -> list[WriteResult]:
    results: list[WriteResult] = []
    for sql, params, is_cas in statements:
        conn.execute("SAVEPOINT one_op")
        try:
            changed = conn.execute(sql, params).rowcount
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO one_op")
            results.append(WriteResult.DUPLICATE)
        else:
            ok = not is_cas or changed == 1
            results.append(WriteResult.OK if ok else WriteResult.CONFLICT)
        conn.execute("RELEASE one_op")
    return results


class SqliteCollection:
    def __init__(self, db: SqliteDatabase, name: str) -> None:
        self._db = db
        self._table = f'"c_{name}"'
        self._insert_sql = f"INSERT INTO {self._table} (id, doc) VALUES (?, ?)"
        self._put_sql = (
            f"INSERT INTO {self._table} (id, doc) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET doc = excluded.doc"
        )
        self._cas_sql = f"UPDATE {self._table} SET doc = ? WHERE id = ? AND {_field('version')} = ?"

    async def create(self, indexes: Sequence[IndexSpec]) -> None:
        statements = [
            f"CREATE TABLE IF NOT EXISTS {self._table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)"
        ]
        for index in indexes:
            columns = ", ".join(_field(f) for f in index.fields)
            unique = "UNIQUE " if index.unique else ""
            name = f'"{self._table.strip(chr(34))}__{index.name}"'
            statements.append(
                f"CREATE {unique}INDEX IF NOT EXISTS {name} ON {self._table} ({columns})"
            )
        await self._db.script(";\n".join(statements) + ";")

    async def _write(self, sql: str, params: Sequence[Any]) -> int:
        def run(conn: sqlite3.Connection) -> int:
            return conn.execute(sql, params).rowcount

        try:
            return await self._db.write(run)
        except sqlite3.IntegrityError as exc:
            raise DuplicateKeyError(str(exc)) from exc

    async def insert(self, doc: Document) -> None:
        await self._write(self._insert_sql, _encode(doc))

    async def put(self, doc: Document) -> None:
        await self._write(self._put_sql, _encode(doc))

    async def get(self, doc_id: str) -> Document | None:
        row = await self._db.read(
            lambda c: c.execute(f"SELECT doc FROM {self._table} WHERE id = ?", (doc_id,)).fetchone()
        )
        return None if row is None else dict(orjson.loads(row[0]))

    async def find(
        self,
        where: Filter | None = None,
        sort: SortSpec = (),
        limit: int | None = None,
        skip: int = 0,
    ) -> list[Document]:
        clause, params = compile_filter(where)
        sql = (
            f"SELECT doc FROM {self._table} WHERE {clause} ORDER BY {compile_sort(sort)} "
            "LIMIT ? OFFSET ?"
        )
        bounds = [-1 if limit is None else limit, skip]
        rows = await self._db.read(lambda c: c.execute(sql, [*params, *bounds]).fetchall())
        return [dict(orjson.loads(doc)) for (doc,) in rows]

    async def count(self, where: Filter | None = None) -> int:
        clause, params = compile_filter(where)
        sql = f"SELECT COUNT(*) FROM {self._table} WHERE {clause}"
        (n,) = await self._db.read(lambda c: c.execute(sql, params).fetchone())
        return int(n)

    async def compare_and_set(self, doc: Document, expected_version: int) -> bool:
        doc_id, encoded = _encode(doc)
        return await self._write(self._cas_sql, [encoded, doc_id, expected_version]) == 1

    async def write_many(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """All the operations in one transaction (one commit), each in its own savepoint."""
        statements = self.statements(ops)  # encode (and refuse) before writing
        if not statements:
            return []
        return await self._db.write(lambda conn: run_statements(conn, statements))

    def statements(self, ops: Sequence[WriteOp]) -> list[Statement]:
        """The SQL of a batch, checked and encoded (nothing written yet)."""
        check_batch(ops)
        return [self._statement(op) for op in ops]

    @property
    def database(self) -> SqliteDatabase:
        return self._db

    def _statement(self, op: WriteOp) -> Statement:
        if isinstance(op, Insert):
            return self._insert_sql, _encode(op.doc), False
        if isinstance(op, Put):
            return self._put_sql, _encode(op.doc), False
        if isinstance(op, CompareAndSet):
            doc_id, encoded = _encode(op.doc)
            return self._cas_sql, (encoded, doc_id, op.expected_version), True
        raise StorageError(f"unknown write operation {op!r}")

    async def delete(self, doc_id: str) -> bool:
        return await self._write(f"DELETE FROM {self._table} WHERE id = ?", (doc_id,)) == 1

    async def delete_many(self, doc_ids: Sequence[str]) -> int:
        """One transaction, a statement per DELETE_CHUNK ids (SQLite's bound-parameter limit)."""
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return 0
        chunks = [ids[i : i + DELETE_CHUNK] for i in range(0, len(ids), DELETE_CHUNK)]

        def run(conn: sqlite3.Connection) -> int:
            deleted = 0
            for chunk in chunks:
                sql = f"DELETE FROM {self._table} WHERE id IN ({', '.join('?' * len(chunk))})"
                deleted += conn.execute(sql, chunk).rowcount
            return deleted

        return await self._db.write(run)


class SqliteStorage:
    """A service's embedded database: `<data_dir>/<service>.sqlite3`."""

    def __init__(self, path: Path) -> None:
        self._db = SqliteDatabase(path)
        self._opened = False

    async def open(self) -> None:
        await self._db.open()
        self._opened = True

    async def collection(self, name: str, indexes: Sequence[IndexSpec] = ()) -> SqliteCollection:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", name):
            raise StorageError(f"invalid collection name {name!r}")
        collection = SqliteCollection(self._db, name)
        await collection.create(indexes)
        return collection

    async def write_in_order(
        self, batches: Sequence[tuple[Collection, Sequence[WriteOp]]]
    ) -> list[list[WriteResult]]:
        """Every batch in one transaction: one commit, in order."""
        prepared: list[list[Statement]] = []
        for collection, ops in batches:
            if not isinstance(collection, SqliteCollection) or collection.database is not self._db:
                raise StorageError("write_in_order takes collections of this storage only")
            prepared.append(collection.statements(ops))
        if not any(prepared):
            return [[] for _ in prepared]
        return await self._db.write(lambda conn: [run_statements(conn, s) for s in prepared])

    async def ping(self) -> bool:
        return await self._db.ping()

    async def close(self) -> None:
        if self._opened:
            await self._db.close()
            self._opened = False
