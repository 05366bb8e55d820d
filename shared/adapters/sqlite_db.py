"""An asyncio front for one SQLite file: one writer thread, one reader thread, WAL.

Every write runs as one whole function in the writer thread inside one transaction, so no
two coroutines interleave statements and SQLite never sees two writers. Reads run on their
own connection, concurrent with writes thanks to WAL.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class SqliteDatabase:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"sqlite-w-{path.stem}")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix=f"sqlite-r-{path.stem}")
        self._wconn: sqlite3.Connection | None = None
        self._rconn: sqlite3.Connection | None = None

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
        self._rconn = await loop.run_in_executor(self._reader, self._connect)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` in one IMMEDIATE transaction on the writer connection."""
        conn = self._wconn
        if conn is None:
            raise RuntimeError(f"{self.path} is not open")

        def run() -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await asyncio.get_running_loop().run_in_executor(self._writer, run)

    async def script(self, sql: str) -> None:
        """Run a multi-statement script (schema creation) outside any explicit transaction."""
        conn = self._wconn
        if conn is None:
            raise RuntimeError(f"{self.path} is not open")
        await asyncio.get_running_loop().run_in_executor(self._writer, conn.executescript, sql)

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._rconn
        if conn is None:
            raise RuntimeError(f"{self.path} is not open")
        return await asyncio.get_running_loop().run_in_executor(self._reader, fn, conn)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        for executor, conn in ((self._writer, self._wconn), (self._reader, self._rconn)):
            if conn is not None:
                await loop.run_in_executor(executor, conn.close)
            executor.shutdown(wait=True)
        self._wconn = self._rconn = None
