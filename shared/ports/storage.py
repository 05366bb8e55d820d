"""Document storage: JSON documents by `_id`, queried by field, with unique keys and CAS.

Documents are plain JSON values (`model_dump(mode="json")`): times are ISO-8601 strings in UTC,
so they sort the same way in every adapter. Keys must not contain `.` or start with `$`
(MongoDB and FerretDB reserve them). A filter maps a field path (dots for nested fields) to a
value (equality) or to operators `$gt $gte $lt $lte $ne $in`. Filters and sorts are portable
on scalar fields only (MongoDB's "equality matches an array element" has no SQLite twin).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal, Protocol, runtime_checkable

Document = dict[str, Any]
Filter = Mapping[str, Any]
SortSpec = Sequence[tuple[str, Literal[1, -1]]]
OPERATORS = frozenset({"$gt", "$gte", "$lt", "$lte", "$ne", "$in"})


class DuplicateKeyError(Exception):
    """A write would break a unique key (or insert an `_id` that exists)."""


class StorageError(Exception):
    """The request itself is wrong (bad filter, bad document); not a backend fault."""


@dataclass(frozen=True)
class IndexSpec:
    """An index over one or more fields; `unique` makes the combination a key."""

    fields: tuple[str, ...]
    unique: bool = False

    @property
    def name(self) -> str:
        return ("uniq_" if self.unique else "idx_") + "__".join(
            f.replace(".", "_") for f in self.fields
        )


@dataclass(frozen=True)
class Insert:
    """`Collection.insert` as one operation of a `write_many` batch."""

    doc: Document


@dataclass(frozen=True)
class Put:
    """`Collection.put` (upsert by `_id`) as one operation of a batch."""

    doc: Document


@dataclass(frozen=True)
class CompareAndSet:
    """`Collection.compare_and_set` as one operation of a batch."""

    doc: Document
    expected_version: int


WriteOp = Insert | Put | CompareAndSet


class WriteResult(StrEnum):
    """What one operation of a batch did."""

    OK = "ok"
    DUPLICATE = "duplicate"  # an insert or put would break a unique key: nothing written
    CONFLICT = "conflict"  # a compare-and-set found another version: nothing written


@runtime_checkable
class Collection(Protocol):
    """One named set of documents owned by one service."""

    async def insert(self, doc: Document) -> None:
        """Insert a new document; DuplicateKeyError if its `_id` or a unique key exists."""
        ...

    async def put(self, doc: Document) -> None:
        """Insert or replace the document with this `_id` (upsert)."""
        ...

    async def get(self, doc_id: str) -> Document | None: ...

    async def find(
        self,
        where: Filter | None = None,
        sort: SortSpec = (),
        limit: int | None = None,
        skip: int = 0,
    ) -> list[Document]: ...

    async def count(self, where: Filter | None = None) -> int: ...

    async def compare_and_set(self, doc: Document, expected_version: int) -> bool:
        """Replace `doc["_id"]`'s document only if its `version` is `expected_version`.

        Of concurrent writers expecting the same version exactly one succeeds; the others get
        False, re-read and retry (or give up).
        """
        ...

    async def delete(self, doc_id: str) -> bool: ...

    async def delete_many(self, doc_ids: Sequence[str]) -> int:
        """Delete these documents (the ones that exist) in one call; how many were deleted.
        Not a transaction either: after a crash any subset may be gone."""
        ...

    async def write_many(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Apply many writes in one call; one result per operation, in order.

        Each operation succeeds or fails on its own, exactly as the single call would (a
        clash or a lost compare-and-set is a result, not an exception; a bad document, or two
        operations on one `_id`, raise StorageError before anything is written). The
        batch is not a transaction: after a crash any subset may be stored. What it saves is
        round trips and commits (SQLite: one transaction; MongoDB: bulk writes).
        """
        ...


@runtime_checkable
class DocumentStorage(Protocol):
    """A service's database: named collections with their indexes."""

    async def collection(self, name: str, indexes: Sequence[IndexSpec] = ()) -> Collection: ...

    async def write_in_order(
        self, batches: Sequence[tuple[Collection, Sequence[WriteOp]]]
    ) -> list[list[WriteResult]]:
        """`write_many` of each batch (on collections of this storage), each one written only
        once the ones before it are: after a crash, a batch's writes are stored only if every
        earlier batch's are. Results per batch, in order. A batch that raises stops the rest.
        SQLite: all in one transaction (one commit); MongoDB: one batch after the other."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


SCALARS = (str, int, float, type(None))  # most values: no Mapping check (an ABC's is slow)
EXACT_SCALARS = frozenset({str, int, float, bool, type(None)})  # a set lookup before isinstance
# Keys already found valid: documents reuse a small vocabulary of field names, so most keys
# are one set lookup (bounded: keys that are data, such as ids, stop being remembered).
_VALID_KEYS: set[str] = set()
MAX_REMEMBERED_KEYS = 4096


def check_document(doc: Mapping[str, Any], path: str = "") -> None:
    """Reject keys the MongoDB wire protocol cannot store, in every adapter alike."""
    for key, value in doc.items():
        if key not in _VALID_KEYS:
            _check_key(key, path)
        if type(value) in EXACT_SCALARS or isinstance(value, SCALARS):
            continue
        if isinstance(value, list):
            for item in value:
                if type(item) not in EXACT_SCALARS and isinstance(item, Mapping):
                    check_document(item, f"{path}{key}[].")
        elif isinstance(value, Mapping):
            check_document(value, f"{path}{key}.")


def _check_key(key: object, path: str) -> None:
    if not isinstance(key, str) or "." in key or key.startswith("$") or "\0" in key:
        raise StorageError(f"invalid document key {path + str(key)!r}")
    if len(_VALID_KEYS) < MAX_REMEMBERED_KEYS:
        _VALID_KEYS.add(key)


def check_batch(ops: Sequence[WriteOp]) -> None:
    """One operation per `_id` in a batch: unordered bulk writes (MongoDB) could reorder two."""
    ids = [op.doc.get("_id") for op in ops]
    if len(set(map(repr, ids))) != len(ids):
        raise StorageError("a write_many batch may hold only one operation per `_id`")


def check_filter(where: Filter) -> None:
    for path, cond in where.items():
        if path.startswith("$"):
            raise StorageError(f"unsupported filter operator {path!r}")
        if isinstance(cond, Mapping):
            unknown = set(cond) - OPERATORS
            if unknown:
                raise StorageError(f"unsupported filter operators {sorted(unknown)} on {path!r}")
