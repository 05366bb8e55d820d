"""An asyncio front for one SQLite file: one writer thread, one reader thread, WAL.

Every write is one whole function run in the writer thread, so no two coroutines interleave
statements and SQLite never sees two writers. Writes that arrive while a commit is under way
are grouped into the next transaction (group commit), each in its own savepoint, so one
failing write rolls back alone. Reads run on a small pool of reader threads, each with its
own connection, beside writes (WAL); SQLite releases the GIL while it steps a query, so
readers use more than one core.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Write = tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]


READERS = 2


class SqliteDatabase:
    def __init__(self, path: Path, readers: int = READERS) -> None:
        self.path = path
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"sqlite-w-{path.stem}")
        self._reader = ThreadPoolExecutor(readers, thread_name_prefix=f"sqlite-r-{path.stem}")
        self._wconn: sqlite3.Connection | None = None
        self._local = threading.local()  # each reader thread's connection
        self._rconns: list[sqlite3.Connection] = []
        self._rlock = threading.Lock()
        self._open = False
        self._queued: list[Write] = []
        self._committing = False

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()

        def open_writer() -> sqlite3.Connection:
            conn = self._connect()
            conn.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL survives a process crash; only an OS crash may lose the last commit.
            conn.execute("PRAGMA synchronous = NORMAL")
            return conn

        self._wconn = await loop.run_in_executor(self._writer, open_writer)
        self._open = True

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` atomically on the writer connection; returns once it is committed."""
        if self._wconn is None:
            raise RuntimeError(f"{self.path} is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queued.append((fn, future))
        if not self._committing:
            self._commit_next()
        return await future

    def _commit_next(self) -> None:
        batch, self._queued = self._queued, []
        if not batch:
            self._committing = False
            return
        self._committing = True
        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(self._writer, self._run_batch, batch)
        job.add_done_callback(lambda done: self._settle(batch, done))

    def _run_batch(self, batch: list[Write]) -> list[tuple[bool, Any]]:
        conn = self._wconn
        assert conn is not None
        outcomes: list[tuple[bool, Any]] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for fn, _ in batch:
                conn.execute("SAVEPOINT one_write")
                try:
                    outcomes.append((True, fn(conn)))
                except Exception as exc:
                    conn.execute("ROLLBACK TO one_write")
                    outcomes.append((False, exc))
                conn.execute("RELEASE one_write")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return outcomes

    def _settle(self, batch: list[Write], done: asyncio.Future[list[tuple[bool, Any]]]) -> None:
        error = done.exception()
        for index, (_, future) in enumerate(batch):
            if future.done():
                continue  # its caller was cancelled; the write itself is committed
            if error is not None:
                future.set_exception(error)
                continue
            ok, value = done.result()[index]
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        self._commit_next()

    async def script(self, sql: str) -> None:
        """Run a multi-statement script (schema creation) outside any explicit transaction."""
        conn = self._wconn
        if conn is None:
            raise RuntimeError(f"{self.path} is not open")
        await asyncio.get_running_loop().run_in_executor(self._writer, conn.executescript, sql)

    def _reader_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            with self._rlock:
                self._rconns.append(conn)
        return conn

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if not self._open:
            raise RuntimeError(f"{self.path} is not open")
        return await asyncio.get_running_loop().run_in_executor(
            self._reader, lambda: fn(self._reader_connection())
        )

    async def ping(self) -> bool:
        """True when the file answers a trivial query."""
        try:
            await self.read(lambda c: c.execute("SELECT 1").fetchone())
        except (sqlite3.Error, RuntimeError):
            return False
        return True

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        self._open = False
        self._reader.shutdown(wait=True)
        for conn in self._rconns:
            conn.close()  # their threads are gone; check_same_thread is off
        self._rconns.clear()
        if self._wconn is not None:
            await loop.run_in_executor(self._writer, self._wconn.close)
        self._writer.shutdown(wait=True)
        self._wconn = None
